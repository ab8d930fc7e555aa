// The phone screen for the whole evening: it follows the phase and draws every part from the
// live state (phone/recognition.js, phone/topics.js, phone/card.js, phone/pledges.js). This file
// owns the connection, what the server remembers for this phone, and the change of phase.
import { connect, isShown, setStatus, showPhase, texts } from './live.js';
import { createCard } from './phone/card.js';
import { createFollowUp } from './phone/follow_up.js';
import { createPledges } from './phone/pledges.js';
import { createRecognition } from './phone/recognition.js';
import { createTopics } from './phone/topics.js';

const words = texts.phone;
let live = null;
// The parts send through the page's outbox, which exists once the page is connected below.
const send = (...args) => live.send(...args);

const recognition = createRecognition({ send });
const card = createCard({ send });
const pledges = createPledges({ send });
const followUp = createFollowUp({ send }); // null on an evening's page
const topics = createTopics({
  send,
  onChosen(theme, byThisPhone) {
    card.follow(theme);
    if (byThisPhone) pledges.chose(theme);
  },
});

// -- a new part of the evening ---------------------------------------------------------------

let shownPhase = null;

/** Bring the new heading into view and to the screen reader, so nobody misses the change. */
function announcePhase(phase) {
  const first = shownPhase === null;
  const changed = phase !== shownPhase;
  shownPhase = phase;
  // The first state after opening, or a reconnect to the same part: the reader stays where it is.
  if (first || !changed) return;
  const heading = [...document.querySelectorAll('main section:not([hidden]) h1')][0];
  if (!heading) return;
  const news = document.getElementById('phase-news');
  news.textContent = `${words.new_part} ${heading.textContent}`;
  // Someone halfway through writing an addition that is still on screen keeps their place.
  const typing = document.activeElement;
  if (typing && typing.tagName === 'TEXTAREA' && typing.value.trim() && isShown(typing)) return;
  window.scrollTo(0, 0);
  heading.focus({ preventScroll: true });
}

// -- which status line an action reports on ---------------------------------------------------

const NOTE_EVENTS = new Set(['note', 'edit_note', 'remove_note', 'card']);

function statusKey(item) {
  const p = item.payload;
  if (item.event === 'vote') return `vote-${p.theme}`;
  if (item.event === 'addition') return p.kind ? followUp.statusKey : `addition-${p.theme}`;
  if (item.event === 'endorse') return `endorse-${p.addition}`;
  if (NOTE_EVENTS.has(item.event)) return card.statusKey(item);
  return item.event;
}

function showPending() {
  // Actions not yet acknowledged win over the older saved answers.
  for (const item of live.pending()) {
    recognition.applyPending(item);
    topics.applyPending(item);
    setStatus(statusKey(item), words.saving);
  }
}

function draw(state) {
  showPhase(state.phase);
  recognition.draw(state);
  topics.draw(state);
  card.draw(state);
  pledges.draw(state);
  if (followUp) followUp.draw(state);
  if (state.mine) {
    recognition.applyMine(state.mine);
    topics.applyMine(state.mine);
    card.applyMine(state.mine, state);
    pledges.applyMine(state.mine);
    showPending();
  }
  announcePhase(state.phase);
}

live = connect({
  role: 'phone',
  onState: draw,
  onRetry(item) {
    // Busy or a lost answer: it goes again by itself, so this is not an error for the reader.
    setStatus(statusKey(item), words.saving);
  },
  onAck(item, ack) {
    if (item.event === 'addition' && item.payload.kind) followUp.answered(item, ack);
    else if (item.event === 'endorse') recognition.endorsedAck(item, ack);
    else if (item.event === 'choose') topics.answered(item, ack);
    else if (NOTE_EVENTS.has(item.event)) card.answered(item, ack);
    else if (item.event === 'pledge' || item.event === 'withdraw') pledges.answered(item, ack);
    else if (!ack.ok) setStatus(statusKey(item), texts.errors[ack.error] || texts.errors.server_error, 'error');
    else if (item.event === 'addition') recognition.added(item, ack);
    else setStatus(statusKey(item), words.saved, 'ok');
  },
});
live.socket.on('note', (note) => card.onNote(note));

// The page came with the meeting as every phone sees it: draw it now, so a tap on a slow Wi-Fi
// needs no wait for the socket (it waits in the outbox). The socket's first state, with this
// phone's own answers, follows and is drawn over it.
const first = document.getElementById('first-state');
if (first && !live.socket.connected) {
  // What this phone answered before comes with the socket; what waits in its outbox shows now.
  draw(JSON.parse(first.textContent));
  showPending();
}
live.socket.on('addition', (a) => recognition.onAddition(a));
live.socket.on('agreements', (message) => followUp && followUp.agreements(message.agreements));
