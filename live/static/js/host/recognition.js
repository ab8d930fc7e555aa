// Recognition: the results on the beamer hidden or shown (all at once or per theme), and raised
// hands counted per theme. What the beamer shows (one theme at a time, held, turning): beamer.js.
import { errorText, setStatus, texts } from '../live.js';
import {
  el, fieldError, host, keyed, named, recognitionOrder, say, send, setDisabled, tallyRow, themeTitle, words,
} from './common.js';

const ANSWERS = ['yes', 'partly', 'no'];
const list = document.getElementById('per-theme');

function resultsShown(id) {
  const results = host.state.results;
  return !results.hidden && !results.themes.includes(id);
}

function sendHands(input, id, answer) {
  const raw = input.value.trim();
  const count = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(count >= 0 && count <= 100000)) {
    fieldError(input, words.hands_bad);
    return;
  }
  fieldError(input, '');
  send('manual_count', { theme: id, answer, count }, {
    key: `hands-${id}-${answer}`,
    status: `hands-${id}`,
    done(ack) {
      delete input.dataset.dirty;
      if (!ack.ok) fieldError(input, errorText(ack.error));
    },
  });
}

function makeTheme(id) {
  const title = el('span', { className: 'row-title' });
  const toggle = el('input', { type: 'checkbox', id: `results-${id}` });
  toggle.addEventListener('change', () => {
    send('set_results', { hidden: !toggle.checked, theme: id }, { status: 'results' });
  });
  const hands = ANSWERS.map((answer) => {
    const input = el('input', {
      type: 'number', id: `hands-${id}-${answer}`, min: '0', max: '100000', step: '1', inputMode: 'numeric',
      'aria-describedby': `hands-${id}-${answer}-error`,
    });
    input.addEventListener('input', () => { input.dataset.dirty = '1'; });
    input.addEventListener('change', () => sendHands(input, id, answer));
    return el(
      'p',
      { className: 'field' },
      el('label', { htmlFor: input.id }, ...named(texts.answers[answer], words.hands_legend.toLowerCase())),
      input,
      el('span', { className: 'field-error', id: `${input.id}-error`, hidden: true }),
    );
  });
  return el(
    'li',
    {},
    el(
      'fieldset',
      {},
      el('legend', {}, title, el('span', { className: 'now-mark' })),
      el('p', { className: 'field check' }, el('label', { htmlFor: toggle.id }, toggle, el('span', {}, words.results_toggle))),
      el('div', { className: 'hands', role: 'group', 'aria-label': words.hands_legend }, ...hands),
      el('p', { className: 'saved', dataset: { status: `hands-${id}` }, 'aria-live': 'polite' }),
    ),
  );
}

function fillTheme(li, id) {
  const pace = host.state.pace;
  const now = pace.mode === 'one' && pace.theme === id;
  li.classList.toggle('now', now);
  li.querySelector('.row-title').textContent = themeTitle(id);
  li.querySelector('.now-mark').textContent = now ? ` · ${words.now_mark}` : '';
  const toggle = li.querySelector('input[type="checkbox"]');
  toggle.checked = resultsShown(id);
  toggle.disabled = host.state.results.hidden;
  const row = tallyRow(id);
  for (const answer of ANSWERS) {
    const input = li.querySelector(`#hands-${id}-${answer}`);
    // Never overwrite what the host is typing.
    if (row && !input.dataset.dirty && document.activeElement !== input) {
      input.value = String(row.sources.hands[answer]);
    }
  }
}

/** Bring the section up to date with the newest state and tally. */
export function drawRecognition() {
  const { results } = host.state;
  const order = recognitionOrder();
  const shown = order.filter(resultsShown).length;
  document.getElementById('results-now').textContent = shown === 0
    ? words.results_all_hidden
    : shown === order.length
      ? words.results_all_shown
      : say('results_mixed', { shown, of: order.length });
  const [hide, show] = [document.getElementById('results-hide'), document.getElementById('results-show')];
  setDisabled(hide, shown === 0, show);
  setDisabled(show, shown === order.length, hide);
  list.classList.toggle('locked', results.hidden);
  document.getElementById('results-locked').hidden = !results.hidden;
  keyed(list, order, makeTheme, fillTheme);
}

document.getElementById('results-hide').addEventListener('click', () => {
  // Theme by theme, not the one switch for all: then the host can still show one theme at a
  // time afterwards (the switch for all forgets per-theme choices). Hiding never flashes.
  const visible = recognitionOrder().filter(resultsShown);
  setStatus('results', words.saving);
  for (const id of visible) send('set_results', { hidden: true, theme: id }, { status: 'results' });
});
document.getElementById('results-show').addEventListener('click', () => {
  send('set_results', { hidden: false }, { status: 'results' });
});
