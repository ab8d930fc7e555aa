// The host screen: switch phases, watch the counts, moderate additions a page at a time.
import { fillTally } from './counts.js';
import { connect, errorText, setStatus, texts } from './live.js';

const PAGE = 50;
const list = document.getElementById('additions');
const orderSelect = document.getElementById('mod-order');
const statusSelect = document.getElementById('mod-status');
const pageNav = document.querySelector('.mod-pages');
const themeTitles = new Map(
  [...document.querySelectorAll('tr[data-theme] th')].map((th) => [Number(th.parentElement.dataset.theme), th.textContent]),
);

// What this screen shows: one page of additions, in the host's order, maybe of one status.
const view = { order: 'oldest', offset: 0, limit: PAGE, status: null };
let items = [];
let itemsVersion = 0; // meeting version the page was read at
const versions = new Map(); // id -> meeting version of the newest change applied
let recent = []; // the last changes, replayed over a page that was read before them
let counts = { version: 0, total: 0, pending: 0, shown: 0, hidden: 0 };
let beamer = null; // what the beamer reported it shows: {additions, page, pages}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function beamerState(a) {
  if (a.status === 'pending') return ['Nog niet bekeken', ''];
  if (a.status === 'hidden') return ['Verborgen', ''];
  if (beamer && beamer.additions.includes(a.id)) return ['Nu op de beamer', 'now'];
  if (beamer && beamer.pages > 0) return ['Wacht op zijn beurt op de beamer', 'waiting'];
  return ['Gekozen voor de beamer', ''];
}

function renderSummary() {
  const summary = document.getElementById('additions-summary');
  summary.textContent = counts.total === 0
    ? 'Nog geen aanvullingen.'
    : `${plural(counts.total, 'aanvulling', 'aanvullingen')}: ${counts.pending} nog niet bekeken, `
      + `${counts.shown} gekozen voor de beamer, ${counts.hidden} verborgen.`;
  const matching = view.status ? counts[view.status] : counts.total;
  pageNav.hidden = matching <= view.limit && view.offset === 0;
  const range = document.getElementById('mod-range');
  range.textContent = items.length
    ? `Nummer ${view.offset + 1} tot ${view.offset + items.length} van ${matching}`
    : `Niets meer op deze pagina (${matching} in totaal)`;
  document.getElementById('mod-prev').disabled = view.offset === 0;
  document.getElementById('mod-next').disabled = view.offset + view.limit >= matching;
  const beamerLine = document.getElementById('beamer-view');
  beamerLine.hidden = beamer === null;
  if (beamer) {
    beamerLine.textContent = beamer.pages === 0
      ? 'Op de beamer staan nu geen aanvullingen.'
      : beamer.pages === 1
        ? 'Op de beamer staan nu alle gekozen aanvullingen.'
        : `Op de beamer nu: aanvullingen ${beamer.page} van ${beamer.pages}. Ze wisselen elke 10 seconden.`;
  }
}

function render() {
  // The list is drawn anew; whoever was on a button (keyboard) stays on that addition's button.
  const focused = list.contains(document.activeElement) ? document.activeElement.closest('li') : null;
  const refocus = focused ? focused.dataset.addition : null;
  list.replaceChildren();
  document.getElementById('no-additions').hidden = items.length > 0 || counts.total > 0;
  for (const a of items) {
    const item = document.createElement('li');
    item.dataset.status = a.status;
    item.dataset.addition = String(a.id);
    const theme = document.createElement('p');
    theme.className = 'mod-theme';
    theme.textContent = themeTitles.get(a.theme) || '';
    const text = document.createElement('p');
    text.className = 'mod-text';
    text.textContent = a.text; // attendee text: never as HTML
    const state = document.createElement('p');
    state.className = 'mod-state';
    const [label, onBeamer] = beamerState(a);
    state.textContent = label;
    item.dataset.onBeamer = onBeamer;
    const button = document.createElement('button');
    button.type = 'button';
    const show = a.status !== 'shown';
    button.className = show ? 'primary' : '';
    button.textContent = show ? 'Tonen op beamer' : 'Verbergen';
    button.addEventListener('click', () => live.send('moderate', { addition: a.id, show }));
    item.append(theme, text, state, button);
    list.append(item);
    if (refocus === item.dataset.addition) button.focus();
  }
  renderSummary();
}

// During a flood, many changes a second arrive: the list is drawn again at most every 100 ms.
let drawSoon = null;
function renderSoon() {
  if (drawSoon === null) {
    drawSoon = setTimeout(() => {
      drawSoon = null;
      render();
    }, 100);
  }
}

// One new or moderated addition: update it where it is, or add a new one where it belongs.
function apply(change) {
  if (change.version < itemsVersion || change.version < (versions.get(change.id) || 0)) return false;
  versions.set(change.id, change.version);
  const addition = { id: change.id, theme: change.theme, text: change.text, status: change.status };
  const at = items.findIndex((a) => a.id === change.id);
  if (at >= 0) {
    items[at] = addition;
    return true;
  }
  const fresh = change.status === 'pending' && (view.status === null || view.status === 'pending');
  if (!fresh || items.some((a) => a.id > change.id)) return false;
  if (view.order === 'newest' && view.offset === 0) {
    // The newest page keeps its length: the oldest on it moves to the next page.
    items = [addition, ...items].slice(0, view.limit);
    return true;
  }
  if (view.order === 'oldest' && items.length < view.limit) {
    items.push(addition); // a page that is not full is the last page
    return true;
  }
  return false;
}

function load() {
  const query = { order: view.order, offset: view.offset, limit: view.limit };
  if (view.status) query.status = view.status;
  live.socket.timeout(8000).emit('list_additions', query, (err, ack) => {
    if (err || !ack || !ack.ok) {
      setStatus('additions', errorText(ack ? ack.error : 'offline'), 'error');
      return;
    }
    setStatus('additions', '');
    items = ack.additions;
    itemsVersion = ack.version;
    if (ack.version >= counts.version) counts = { version: ack.version, total: ack.counts.pending + ack.counts.shown + ack.counts.hidden, ...ack.counts };
    recent.forEach(apply);
    render();
  });
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
    if (!state.additions) return;
    const version = state.additions_version || 0;
    if (version >= counts.version) counts = { version, total: state.additions_total, ...state.additions_counts };
    if (view.order === 'oldest' && view.offset === 0 && view.status === null) {
      // The snapshot holds exactly the first page in the usual order.
      items = state.additions;
      itemsVersion = version;
      recent.forEach(apply);
      render();
    } else {
      load();
    }
  },
  onTally: fillTally,
  onAck(item, ack) {
    if (!ack.ok) setStatus('set_phase', errorText(ack.error), 'error');
  },
});

live.socket.on('addition', (change) => {
  recent = [...recent.slice(-99), change];
  if (apply(change)) renderSoon();
});
live.socket.on('additions_counts', (message) => {
  if (message.version < counts.version) return;
  counts = message;
  renderSoon();
});
live.socket.on('projector_view', (message) => {
  beamer = message;
  render();
});

orderSelect.addEventListener('change', () => {
  view.order = orderSelect.value;
  view.offset = 0;
  load();
});
statusSelect.addEventListener('change', () => {
  view.status = statusSelect.value || null;
  view.offset = 0;
  load();
});
document.getElementById('mod-prev').addEventListener('click', () => {
  view.offset = Math.max(0, view.offset - view.limit);
  load();
});
document.getElementById('mod-next').addEventListener('click', () => {
  view.offset += view.limit;
  load();
});

for (const button of document.querySelectorAll('button.phase')) {
  button.addEventListener('click', () => {
    live.send('set_phase', { phase: button.dataset.phase }, 'set_phase');
    setStatus('set_phase', 'Bezig…');
  });
}
