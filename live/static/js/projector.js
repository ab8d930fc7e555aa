// The projector screen: the phase, and a board drawn from the newest state (themes, pace,
// hidden or revealed results, tables, cards) with live counts and the additions the host shows.
// board.js builds the rows, pages.js decides what fits on a screen and turns the pages.
import { fillParticipants } from './counts.js';
import { connect, showPhase } from './live.js';
import { ADDITION_PHASES, buildRow, fillAll, fillCards, heldTheme, oneAtATime, themesShown } from './projector/board.js';
import { fitLobby, fits, Pages } from './projector/pages.js';

const CONTRAST_KEY = 'live:beamer:contrast';

const shown = new Map(); // id -> addition, only those the host shows
const versions = new Map(); // id -> meeting version of the last change applied
const notes = new Map(); // id -> card note {id, theme, field, text}
let recent = []; // the last changes, replayed over a snapshot that was read before them
let additionsVersion = 0;
let state = null;
let tally = null;
let lastReport = '';
let live = null;

const list = document.getElementById('themes');
const pages = new Pages({
  list,
  themesPager: document.getElementById('themes-pager'),
  additionsPager: document.getElementById('additions-pager'),
  onShow: () => report(),
});

// -- high contrast, for a washed-out beamer: key "c" or the button in the corner -------------

const contrastButton = document.getElementById('contrast');

function storedContrast() {
  try {
    return window.localStorage.getItem(CONTRAST_KEY) === 'on';
  } catch {
    return false;
  }
}

function setContrast(on) {
  document.body.classList.toggle('contrast', on);
  contrastButton.setAttribute('aria-pressed', String(on));
  try {
    window.localStorage.setItem(CONTRAST_KEY, on ? 'on' : 'off');
  } catch {
    // A browser without storage still switches; it just forgets on reload.
  }
}

setContrast(storedContrast());
contrastButton.addEventListener('click', () => setContrast(!document.body.classList.contains('contrast')));
document.addEventListener('keydown', (event) => {
  if (event.key !== 'c' || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest && event.target.closest('input, textarea, select')) return;
  setContrast(!document.body.classList.contains('contrast'));
});

// -- the welcome: the hall's Wi-Fi and the join QR code; back on the beamer for latecomers -----
// The host brings it back (state.welcome), or the one at the laptop presses "w" or the button.
// A phase change ends a welcome shown by the key; the server ends the host's.

const lobby = document.getElementById('lobby');
const welcomeButton = document.getElementById('welcome');
let localWelcome = false;
let wifiShown = '';

/** The part of the evening the screen shows: the welcome ("lobby") or the phase itself. */
function viewPhase() {
  if (!state) return document.body.dataset.phase || 'lobby';
  return state.welcome || localWelcome ? 'lobby' : state.phase;
}

function drawWifi() {
  const wifi = lobby.dataset.hosted === 'yes' ? null : state.wifi;
  lobby.classList.toggle('with-wifi', Boolean(wifi));
  const key = wifi ? JSON.stringify([wifi.name, wifi.password]) : '';
  if (!wifi || key === wifiShown) {
    wifiShown = key;
    return;
  }
  wifiShown = key;
  document.getElementById('wifi-name').textContent = wifi.name;
  document.getElementById('wifi-password').textContent = wifi.password;
  document.getElementById('wifi-password-line').hidden = !wifi.password;
  document.getElementById('wifi-open').hidden = Boolean(wifi.password);
  const qr = document.getElementById('wifi-qr');
  qr.src = qr.dataset.src + '?v=' + state.version;
}

function showView() {
  const view = viewPhase();
  showPhase(view);
  // In the lobby the welcome is on the screen already: the button is for the parts after it.
  welcomeButton.hidden = !state || state.phase === 'lobby';
  welcomeButton.setAttribute('aria-pressed', String(view === 'lobby' && state !== null && state.phase !== 'lobby'));
}

function toggleWelcome() {
  if (!state || state.phase === 'lobby') return;
  localWelcome = !(state.welcome || localWelcome);
  if (!localWelcome && state.welcome) state.welcome = false; // this beamer only, until the next state
  showView();
  layout();
}

welcomeButton.addEventListener('click', toggleWelcome);
document.addEventListener('keydown', (event) => {
  if (event.key !== 'w' || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest && event.target.closest('input, textarea, select')) return;
  toggleWelcome();
});

// -- drawing ---------------------------------------------------------------------------------

function additionsFor() {
  if (!state || !ADDITION_PHASES.includes(state.phase)) return [];
  return [...shown.values()].sort((a, b) => a.id - b.id);
}

// The colour key of ja / deels / nee only beside bars: not while every result is hidden.
const legend = document.querySelector('.board-head .legend');
function showLegend() {
  legend.hidden = !list.querySelector('.theme-row .split:not([hidden])');
}

// Rows again from the state (a theme added, edited, reordered or removed; another phase or pace).
function draw() {
  if (!state) return;
  const themes = themesShown(state);
  document.body.classList.toggle('pace-one', oneAtATime(state));
  list.replaceChildren(...themes.map((theme) => buildRow(theme, state)));
  fillAll(list, tally, state.themes);
  showLegend();
  fillCards(list, [...notes.values()]);
  layout();
}

function layout() {
  if (!state) return;
  if (viewPhase() === 'lobby') {
    fitLobby();
    return;
  }
  pages.layout({
    rowIds: [...list.querySelectorAll(':scope > .theme-row')].map((row) => Number(row.dataset.theme)),
    additions: additionsFor(),
    allThemes: state.themes,
    one: oneAtATime(state),
    hold: heldTheme(state),
  });
}

// Tell the host screens what is on the beamer now (only when it changed, or when asked).
function report(force = false) {
  if (!live) return;
  const view = pages.current();
  const text = JSON.stringify(view);
  if (text === lastReport && !force) return;
  lastReport = text;
  live.socket.timeout(5000).emit('showing', view, (err, ack) => {
    if (err || !ack || !ack.ok) {
      lastReport = '';
      setTimeout(() => report(), 2000);
    }
  });
}

function apply(change) {
  if (change.version < additionsVersion || change.version < (versions.get(change.id) || 0)) return false;
  versions.set(change.id, change.version);
  if (change.status === 'shown') shown.set(change.id, change);
  else shown.delete(change.id);
  return true;
}

// Another screen size is a new layout altogether: its pages start a fresh beat.
window.addEventListener('resize', () => {
  pages.restartBeat();
  layout();
});

live = connect({
  role: 'projector',
  onState(next) {
    if (state && state.phase !== next.phase) localWelcome = false;
    state = next;
    drawWifi();
    showView();
    if (state.join_url) {
      for (const el of document.querySelectorAll('.join-display')) {
        el.textContent = state.join_url.replace(/^https?:\/\//, '');
      }
    }
    if (state.tally) {
      tally = state.tally;
      fillParticipants(tally);
    }
    if (state.cards) {
      notes.clear();
      for (const note of state.cards) notes.set(note.id, note);
    }
    if (state.additions) {
      shown.clear();
      versions.clear();
      for (const a of state.additions) shown.set(a.id, a);
      additionsVersion = state.additions_version || 0;
      recent.forEach(apply);
    }
    draw();
  },
  onTally(next) {
    tally = next;
    fillParticipants(tally);
    if (!state) return;
    const legendWas = legend.hidden;
    fillAll(list, tally, state.themes);
    showLegend();
    // Growing numbers can wrap a line; only then is the layout worked out again.
    if (legend.hidden !== legendWas || !fits()) layout();
  },
});

live.socket.on('addition', (change) => {
  recent = [...recent.slice(-99), change];
  if (apply(change)) layout();
});
// Counts of "Dat herken ik ook", coalesced by the server (at most ten a second), newest only.
let endorsedSeq = 0;
live.socket.on('endorsements', (message) => {
  if (message.seq < endorsedSeq) return;
  endorsedSeq = message.seq;
  for (const a of shown.values()) {
    const n = message.counts[String(a.id)];
    if (n) a.endorsements = n;
    else delete a.endorsements;
  }
  if (pages.setEndorsements(message.counts) && !fits()) layout();
});
live.socket.on('note', (note) => {
  if (note.removed) notes.delete(note.id);
  else notes.set(note.id, note);
  if (!state || state.phase !== 'results') return;
  fillCards(list, [...notes.values()]);
  layout();
});
live.socket.on('report_view', () => report(true));
live.socket.on('connect', () => report(true));
