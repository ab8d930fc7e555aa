// The host screen: switch phases, and hand the state, the tally and the changes to the parts
// of the screen under host/ (themes, recognition, tally, additions, cards).
import { connect, setStatus, texts } from './live.js';
import { acked, host, say, send } from './host/common.js';
import { additionsFromState, listenForAdditions, render as drawAdditions } from './host/additions.js';
import { drawBeamer, listenForBeamer } from './host/beamer.js';
import { applyNote, drawCards, notesFromState } from './host/cards.js';
import { drawRecognition } from './host/recognition.js';
import { drawNav } from './host/nav.js';
import { drawTally } from './host/tally.js';
import { drawThemes } from './host/themes.js';
import { drawWelcome } from './host/welcome.js';

function drawAll() {
  drawTally();
  drawBeamer();
  drawRecognition();
  drawThemes();
  drawCards();
}

host.live = connect({
  role: 'host',
  onState(state) {
    host.state = state;
    if (state.tally) host.tally = state.tally;
    document.body.dataset.phase = state.phase;
    for (const button of document.querySelectorAll('button.phase')) {
      button.setAttribute('aria-pressed', String(button.dataset.phase === state.phase));
    }
    setStatus('set_phase', say('phase_now', { phase: texts.phases[state.phase] }), 'ok');
    drawNav(state.phase);
    drawWelcome();
    notesFromState(state);
    drawAll();
    if (state.additions) additionsFromState(state);
    else drawAdditions(); // theme titles of the groups may have changed
  },
  onTally(tally) {
    host.tally = tally;
    if (host.state) drawAll();
  },
  onAck: acked,
});

listenForAdditions(host.live.socket);
listenForBeamer(host.live.socket);
host.live.socket.on('note', applyNote);

// The phase buttons in the card and Terug / Verder in the bar at the top: one way to switch.
for (const button of document.querySelectorAll('button.phase, #host-nav button[data-phase]')) {
  button.addEventListener('click', () => {
    if (!button.dataset.phase) return;
    // Success shows in the state that follows ("Nu op alle schermen: …"); only a refusal here.
    send('set_phase', { phase: button.dataset.phase }, { key: 'set_phase', status: 'set_phase', done: (ack) => ack.ok });
  });
}
