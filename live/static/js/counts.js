// Numbers on the screens: tally counts into the page, and the words after a number in the
// right form ("1 persoon koos dit", "2 mensen kozen dit"). The words come from live/texts.py.
import { texts } from './live.js';

// The page's language picks the plural category; the words per category come from the catalogue.
// Safari 12 has no Intl.PluralRules: there 1 is "one" and every other number "other", which is
// right for Dutch and English (other languages fall back to their "other" words).
const plural = typeof Intl === 'object' && typeof Intl.PluralRules === 'function'
  ? new Intl.PluralRules(document.documentElement.lang || 'nl')
  : { select: (n) => (n === 1 ? 'one' : 'other') };

/** Of `forms` ({one, few, other, …}), the words after the number n in this language. */
export function pluralWords(forms, n) {
  const words = forms[plural.select(n)];
  return words === undefined || words === null ? forms.other : words;
}

/** The words after the number n for a key of texts.counts, in the form the language needs. */
export function countWords(key, n) {
  return pluralWords(texts.counts[key], n);
}

/** row[key] as a number, 0 when the row lacks it. */
const num = (row, key) => (row[key] === undefined || row[key] === null ? 0 : row[key]);

// An element marked data-plural="key" holds the words after a count; data-k or data-count on
// the same line says which number. Outside a theme row it follows the meeting-wide count.
function fillWords(scope, key, n) {
  for (const el of scope.querySelectorAll(`[data-plural="${key}"]`)) el.textContent = countWords(key, n);
}

/** "70 met telefoon, 10 op papier, 4 met hulp" into every element marked data-origins: every
 * voice is counted openly. Only the phones while nobody came in another way. */
function fillOrigins(tally) {
  const origins = tally.origins || {};
  const parts = ['phone', 'paper', 'helper'] // (the JSON of the words is sorted by key)
    .filter((key) => key === 'phone' || origins[key])
    .map((key) => `${origins[key] || 0} ${texts.origin_counts[key]}`);
  for (const el of document.querySelectorAll('[data-origins]')) {
    el.textContent = tally.participants ? `(${parts.join(', ')})` : '';
  }
}

// Writes tally numbers into every element marked with data-k inside a theme row.
export function fillTally(tally) {
  for (const el of document.querySelectorAll('[data-count="participants"]')) {
    el.textContent = String(tally.participants);
  }
  fillWords(document, 'participants', tally.participants);
  fillOrigins(tally);
  let max = 1;
  for (const row of tally.themes) max = Math.max(max, row.chosen, row.pledged);
  for (const row of tally.themes) {
    // A beamer's row of a hidden theme has `answered` but no split: never NaN on a screen.
    const answered = row.answered === undefined || row.answered === null ? row.yes + row.partly + row.no : row.answered;
    for (const el of document.querySelectorAll(`[data-theme="${row.theme}"] [data-k]`)) {
      el.textContent = String(el.dataset.k === 'answered' ? answered : num(row, el.dataset.k));
    }
    for (const holder of document.querySelectorAll(`[data-theme="${row.theme}"]`)) {
      for (const key of ['chosen', 'pledged']) fillWords(holder, key, num(row, key));
    }
    for (const holder of document.querySelectorAll(`.theme-row[data-theme="${row.theme}"]`)) {
      for (const seg of holder.querySelectorAll('.seg')) {
        const kind = [...seg.classList].find((c) => c !== 'seg');
        const share = kind === 'chosen' ? row.chosen / max : answered ? num(row, kind) / answered : 0;
        // CSSOM, not a style attribute: allowed by the Content-Security-Policy.
        seg.style.width = `${(share * 100).toFixed(1)}%`;
        seg.toggleAttribute('data-empty', share === 0);
      }
    }
  }
}

/** Whole percentages of yes/partly/no that add up to 100 (largest remainder), or zeros. */
export function percentages(row) {
  const keys = ['yes', 'partly', 'no'];
  const total = keys.reduce((sum, k) => sum + num(row, k), 0);
  const out = { yes: 0, partly: 0, no: 0 };
  if (!total) return out;
  const exact = keys.map((k) => (num(row, k) * 100) / total);
  keys.forEach((k, i) => { out[k] = Math.floor(exact[i]); });
  let left = 100 - keys.reduce((sum, k) => sum + out[k], 0);
  const order = keys.map((k, i) => [exact[i] - out[k], k]).sort((a, b) => b[0] - a[0]);
  for (const [, k] of order) {
    if (left <= 0) break;
    out[k] += 1;
    left -= 1;
  }
  return out;
}

/** The meeting-wide count of phones, in every element marked data-count="participants". */
export function fillParticipants(tally) {
  for (const el of document.querySelectorAll('[data-count="participants"]')) {
    el.textContent = String(tally.participants);
  }
  fillWords(document, 'participants', tally.participants);
  fillOrigins(tally);
}
