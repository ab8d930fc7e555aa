// What is on the beamer, in every part of the evening: every theme with the beamer turning its
// own screens, held still on one screen (pace "hold"), or one theme at a time (pace "one"). The
// choice is stored like any host action (set_pace), so it holds over a beamer reload and over
// several server workers. The beamer reports what it shows (projector_view): the line at the
// top of the section says it, and Vorige / Volgende in "all" step through the beamer's screens.
import { isolate } from '../live.js';
import { host, say, send, setDisabled, themeTitle, words } from './common.js';

// The parts of the evening whose board has the whole analysis as its last row.
const WITH_WHOLE = ['lobby', 'recognition', 'break', 'results'];
const prev = document.getElementById('pace-prev');
const next = document.getElementById('pace-next');
const hold = document.getElementById('pace-hold');
let view = null; // the beamer's last report: {themes, screen, screens, starts, ...}
// The theme asked for last and not yet confirmed: two quick presses on Volgende go two steps.
let wanted = null;

/** The themes the beamer goes through in this phase, in order (0: the whole). */
function order() {
  const ids = host.state.themes.map((t) => t.id);
  return WITH_WHOLE.includes(host.state.phase) ? [...ids, 0] : ids;
}

// The first theme of each of the beamer's screens, once each, in order.
function screenStarts() {
  if (!view || !view.starts) return [];
  return view.starts.filter((id, i) => view.starts.indexOf(id) === i);
}

// The screen the beamer is on now, by its first theme (held: the one the host holds).
function currentStart() {
  const { pace } = host.state;
  if (pace.mode === 'hold') return pace.theme;
  return view && view.screen > 0 ? view.starts[view.screen - 1] : null;
}

function setPace(fields, to) {
  wanted = to;
  send('set_pace', fields, {
    key: 'pace',
    status: 'pace',
    done(ack) {
      if (wanted === to || !ack.ok) wanted = null;
    },
  });
}

function step(by) {
  const { pace } = host.state;
  if (pace.mode === 'one') {
    const ids = order();
    const at = ids.indexOf(wanted ?? pace.theme);
    const to = ids[Math.min(ids.length - 1, Math.max(0, at + by))];
    setPace({ pace: 'one', theme: to }, to);
    return;
  }
  // Every theme: on to the beamer's next (or previous) screen, and it stays there.
  const starts = screenStarts();
  const at = starts.indexOf(wanted ?? currentStart());
  const to = starts[Math.min(starts.length - 1, Math.max(0, at + by))];
  if (to !== undefined) setPace({ pace: 'hold', theme: to }, to);
}

function titles(ids) {
  return ids.map((id) => isolate(themeTitle(id))).join(', ');
}

/** Bring the section up to date with the newest state and the beamer's last report. */
export function drawBeamer() {
  const { pace } = host.state;
  for (const radio of document.querySelectorAll('input[name="pace"]')) {
    radio.checked = radio.value === (pace.mode === 'one' ? 'one' : 'all');
  }
  const now = document.getElementById('pace-now');
  const starts = screenStarts();
  hold.hidden = pace.mode === 'one';
  hold.textContent = pace.mode === 'hold' ? words.resume : words.hold;
  hold.setAttribute('aria-pressed', String(pace.mode === 'hold'));
  if (pace.mode === 'one') {
    const ids = order();
    const at = ids.indexOf(pace.theme);
    setDisabled(prev, at <= 0, next);
    setDisabled(next, at === -1 || at >= ids.length - 1, prev);
    now.textContent = at >= 0
      ? say('pace_one', { title: isolate(themeTitle(pace.theme)), n: at + 1, of: ids.length })
      : words.pace_all;
  } else {
    const at = starts.indexOf(wanted ?? currentStart());
    setDisabled(prev, starts.length < 2 || at <= 0, next, hold);
    setDisabled(next, starts.length < 2 || at === -1 || at >= starts.length - 1, prev, hold);
    // Pausing needs a screen to hold: the beamer must have said which one it shows.
    setDisabled(hold, pace.mode !== 'hold' && starts.length < 2, prev, next);
    if (pace.mode === 'hold') now.textContent = say('pace_hold', { title: isolate(themeTitle(pace.theme)) });
    else now.textContent = starts.length > 1 ? words.pace_turning : words.pace_all;
  }
  const line = document.getElementById('beamer-now');
  if (!view || view.screens === undefined) line.textContent = words.beamer_unknown;
  else if (!view.themes.length) line.textContent = words.beamer_now_none;
  else if (view.screens > 1) line.textContent = say('beamer_now', { ...view, titles: titles(view.themes) });
  else line.textContent = say('beamer_now_all', { titles: titles(view.themes) });
}

/** Listen for what the beamer reports it shows. */
export function listenForBeamer(socket) {
  socket.on('projector_view', (message) => {
    view = message;
    if (host.state) drawBeamer();
  });
}

for (const radio of document.querySelectorAll('input[name="pace"]')) {
  radio.addEventListener('change', () => {
    if (!radio.checked) return;
    const first = order()[0];
    const current = host.state.pace.theme ?? (view && view.themes[0]) ?? first;
    const fields = radio.value === 'all' ? { pace: 'all' } : { pace: 'one', theme: order().includes(current) ? current : first };
    setPace(fields, null);
  });
}
prev.addEventListener('click', () => step(-1));
next.addEventListener('click', () => step(1));
hold.addEventListener('click', () => {
  if (host.state.pace.mode === 'hold') setPace({ pace: 'all' }, null);
  else {
    const start = currentStart();
    if (start !== null && start !== undefined) setPace({ pace: 'hold', theme: start }, start);
  }
});
