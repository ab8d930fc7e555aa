// The projector screen: phase, live bars and the additions the host chose to show.
import { fillTally } from './counts.js';
import { connect, showPhase } from './live.js';

function showAdditions(additions) {
  for (const list of document.querySelectorAll('.additions')) list.replaceChildren();
  // Only the newest few per theme fit on the beamer.
  const perTheme = new Map();
  const newest = [...additions].reverse().filter((a) => {
    perTheme.set(a.theme, (perTheme.get(a.theme) || 0) + 1);
    return perTheme.get(a.theme) <= 3;
  }).reverse();
  for (const a of newest) {
    const list = document.querySelector(`.theme-row[data-theme="${a.theme}"] .additions`);
    if (!list) continue;
    const item = document.createElement('li');
    item.textContent = a.text; // attendee text: never as HTML
    list.append(item);
  }
}

connect({
  role: 'projector',
  onState(state) {
    showPhase(state.phase);
    if (state.join_url) {
      for (const el of document.querySelectorAll('.join-display')) {
        el.textContent = state.join_url.replace(/^https?:\/\//, '');
      }
    }
    if (state.tally) fillTally(state.tally);
    if (state.additions) showAdditions(state.additions);
  },
  onTally: fillTally,
});
