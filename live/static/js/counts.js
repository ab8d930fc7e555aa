// Writes tally numbers into every element marked with data-k inside a theme row.
export function fillTally(tally) {
  for (const el of document.querySelectorAll('[data-count="participants"]')) {
    el.textContent = String(tally.participants);
  }
  let max = 1;
  for (const row of tally.themes) max = Math.max(max, row.chosen, row.pledged);
  for (const row of tally.themes) {
    const answered = row.yes + row.partly + row.no;
    for (const el of document.querySelectorAll(`[data-theme="${row.theme}"] [data-k]`)) {
      el.textContent = String(el.dataset.k === 'answered' ? answered : (row[el.dataset.k] ?? 0));
    }
    for (const holder of document.querySelectorAll(`.theme-row[data-theme="${row.theme}"]`)) {
      for (const seg of holder.querySelectorAll('.seg')) {
        const kind = [...seg.classList].find((c) => c !== 'seg');
        const share = kind === 'chosen' ? row.chosen / max : answered ? row[kind] / answered : 0;
        // CSSOM, not a style attribute: allowed by the Content-Security-Policy.
        seg.style.width = `${(share * 100).toFixed(1)}%`;
        seg.toggleAttribute('data-empty', share === 0);
      }
    }
  }
}
