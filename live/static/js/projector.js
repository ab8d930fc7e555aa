// The projector screen: phase, live bars and the additions the host chose to show.
import { fillTally } from './counts.js';
import { connect, showPhase } from './live.js';

let shownAdditions = [];

function showAdditions(additions, keep = 3) {
  for (const list of document.querySelectorAll('.additions')) list.replaceChildren();
  // Only the newest few per theme fit on the beamer.
  const perTheme = new Map();
  const newest = [...additions].reverse().filter((a) => {
    perTheme.set(a.theme, (perTheme.get(a.theme) || 0) + 1);
    return perTheme.get(a.theme) <= keep;
  }).reverse();
  for (const a of newest) {
    const list = document.querySelector(`.theme-row[data-theme="${a.theme}"] .additions`);
    if (!list) continue;
    const item = document.createElement('li');
    item.textContent = a.text; // attendee text: never as HTML
    list.append(item);
  }
}

// Many themes or additions may not fit above the join corner. Rather than cut off the bottom,
// the letters shrink a little, then fewer additions per theme are shown (the newest stay), and
// only then do the letters shrink further, down to a floor that is still readable.
const PLANS = [];
for (const keep of [3, 2, 1, 0]) for (const scale of [1, 0.95, 0.9, 0.85]) PLANS.push([keep, scale]);
for (const scale of [0.8, 0.75, 0.7]) PLANS.push([0, scale]);

function fits() {
  const sections = document.querySelectorAll('main > section:not([hidden])');
  const bottom = Math.max(0, ...[...sections].map((s) => s.getBoundingClientRect().bottom));
  return bottom <= document.querySelector('.corner').getBoundingClientRect().top;
}

function fit() {
  for (const [keep, scale] of PLANS) {
    showAdditions(shownAdditions, keep);
    // CSSOM, not a style attribute: allowed by the Content-Security-Policy.
    document.body.style.setProperty('--fit', String(scale));
    if (fits()) return;
  }
}

window.addEventListener('resize', fit);

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
    if (state.additions) shownAdditions = state.additions;
    fit();
  },
  onTally(tally) {
    fillTally(tally);
    // Growing numbers can wrap a line; only then is the layout worked out again.
    if (!fits()) fit();
  },
});
