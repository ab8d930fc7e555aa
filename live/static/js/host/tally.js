// The Live table: answers per theme and the whole, drawn from state.themes, with how many of
// the answers are raised hands.
import { fillTally } from '../counts.js';
import { el, host, keyed, recognitionOrder, say, tallyRow, themeTitle, words } from './common.js';

const body = document.getElementById('tally-rows');
const CELLS = ['yes', 'partly', 'no', 'answered', 'chosen', 'pledged'];

function makeRow() {
  return el(
    'tr',
    {},
    el('th', { scope: 'row' }, el('span', { className: 'row-title' }), el('span', { className: 'now-mark' })),
    ...CELLS.map((k) => (k === 'answered'
      ? el('td', {}, el('span', { className: 'n', dataset: { k } }), el('span', { className: 'hands-of' }))
      : el('td', { dataset: { k } }))),
  );
}

function fillRow(tr, id) {
  const row = tallyRow(id);
  const pace = host.state.pace;
  // data-theme marks the rows of real themes (counts.js and checks read them); the whole has none.
  if (id !== 0) tr.dataset.theme = String(id);
  // The theme on now matters while people answer; after the break the table is about choices.
  const answering = ['recognition', 'break'].includes(host.state.phase);
  tr.classList.toggle('now', answering && pace.mode === 'one' && pace.theme === id);
  tr.querySelector('.row-title').textContent = themeTitle(id);
  tr.querySelector('.now-mark').textContent = tr.classList.contains('now') ? ` (${words.now_mark})` : '';
  for (const td of tr.querySelectorAll('td[data-k]')) {
    // (The answered count is the span below, beside "waarvan N handen".)
    // The whole is never chosen or pledged for: an empty cell, not a 0.
    td.textContent = id === 0 && td.dataset.k !== 'yes' && td.dataset.k !== 'partly' && td.dataset.k !== 'no'
      ? ''
      : String(row ? row[td.dataset.k] ?? 0 : 0);
  }
  tr.querySelector('.n').textContent = String(row ? row.answered : 0);
  const hands = row ? Object.values(row.sources.hands).reduce((a, b) => a + b, 0) : 0;
  tr.querySelector('.hands-of').textContent = hands === 0 ? '' : ` (${hands === 1 ? words.of_hand : say('of_hands', { n: hands })})`;
}

/** Draw the table again: rows from state.themes (the whole last), numbers from the tally. */
export function drawTally() {
  if (!host.state) return;
  if (host.tally) fillTally(host.tally); // the number of phones, and its words
  keyed(body, recognitionOrder(), makeRow, fillRow);
}
