// The host screen: switch phases, watch the counts, moderate additions.
import { fillTally } from './counts.js';
import { connect, errorText, setStatus, texts } from './live.js';

const list = document.getElementById('additions');
const themeTitles = new Map(
  [...document.querySelectorAll('tr[data-theme] th')].map((th) => [Number(th.parentElement.dataset.theme), th.textContent]),
);

function renderAdditions(additions) {
  list.replaceChildren();
  document.getElementById('no-additions').hidden = additions.length > 0;
  for (const a of additions) {
    const item = document.createElement('li');
    item.dataset.status = a.status;
    const theme = document.createElement('p');
    theme.className = 'mod-theme';
    theme.textContent = themeTitles.get(a.theme) || '';
    const text = document.createElement('p');
    text.className = 'mod-text';
    text.textContent = a.text; // attendee text: never as HTML
    const state = document.createElement('p');
    state.className = 'mod-state';
    state.textContent = { pending: 'Nog niet bekeken', shown: 'Staat op de beamer', hidden: 'Verborgen' }[a.status];
    const button = document.createElement('button');
    button.type = 'button';
    const show = a.status !== 'shown';
    button.className = show ? 'primary' : '';
    button.textContent = show ? 'Tonen op beamer' : 'Verbergen';
    button.addEventListener('click', () => live.send('moderate', { addition: a.id, show }));
    item.append(theme, text, state, button);
    list.append(item);
  }
}

const live = connect({
  role: 'host',
  onState(state) {
    document.body.dataset.phase = state.phase;
    for (const button of document.querySelectorAll('button.phase')) {
      button.setAttribute('aria-pressed', String(button.dataset.phase === state.phase));
    }
    setStatus('set_phase', `Nu op alle schermen: ${texts.phases[state.phase]}`, 'ok');
    if (state.tally) fillTally(state.tally);
    if (state.additions) renderAdditions(state.additions);
  },
  onTally: fillTally,
  onAck(item, ack) {
    if (!ack.ok) setStatus('set_phase', errorText(ack.error), 'error');
  },
});

for (const button of document.querySelectorAll('button.phase')) {
  button.addEventListener('click', () => {
    live.send('set_phase', { phase: button.dataset.phase }, 'set_phase');
    setStatus('set_phase', 'Bezig…');
  });
}
