// The projector screen: phase, live bars and the additions the host chose to show.
import { fillTally } from './counts.js';
import { connect, showPhase } from './live.js';

// When the shown additions do not all fit at a size the back of the hall can read, they are
// shown a page at a time, and the page turns by itself.
const TURN_EVERY_MS = 10000;
// The whole board may shrink a little when many themes or additions crowd it; additions have
// their own floor in live.css, so they never get smaller than the hall can read.
const SCALES = [1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7];
const ADDITION_PHASES = ['recognition', 'break'];

const shown = new Map(); // id -> addition, only those the host shows
const versions = new Map(); // id -> meeting version of the last change applied
let recent = []; // the last changes, replayed over a snapshot that was read before them
let additionsVersion = 0;
let phase = 'lobby';
let pages = []; // [{ids, plan}]: what each page shows, and how
let boardScale = 1;
let page = 0;
let timer = null;
let lastReport = '';
let live = null;

const pager = document.getElementById('additions-pager');

// Everything fits when nothing runs off the bottom and nothing is hidden under the join
// corner. Left of the corner there is still room: a short last line may sit beside it.
function fits() {
  const corner = document.querySelector('.corner').getBoundingClientRect();
  const under = (r) => r.width > 0 && r.right > corner.left && r.bottom > corner.top;
  const range = document.createRange();
  for (const section of document.querySelectorAll('main > section:not([hidden])')) {
    if (section.getBoundingClientRect().bottom > window.innerHeight) return false;
    for (const el of section.querySelectorAll('.meter, img')) {
      if (under(el.getBoundingClientRect())) return false;
    }
    const texts = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
    while (texts.nextNode()) {
      range.selectNodeContents(texts.currentNode);
      for (const r of range.getClientRects()) if (under(r)) return false;
    }
  }
  return true;
}

function clearAdditions() {
  for (const list of document.querySelectorAll('.additions')) list.replaceChildren();
}

function placeAddition(id) {
  const a = shown.get(id);
  const list = document.querySelector(`.theme-row[data-theme="${a.theme}"] .additions`);
  if (!list) return null;
  const item = document.createElement('li');
  item.dataset.addition = String(id);
  item.textContent = a.text; // attendee text: never as HTML
  list.append(item);
  return item;
}

function setScale(scale) {
  // CSSOM, not a style attribute: allowed by the Content-Security-Policy.
  document.body.style.setProperty('--fit', String(scale));
}

function setPager(current, count) {
  pager.hidden = count < 2;
  pager.textContent = count < 2 ? '' : `Aanvullingen ${current} van ${count}`;
}

// The largest scale at which the board fits as it is now, or null.
function largestFit(high) {
  document.body.classList.remove('additions-beside');
  for (const scale of SCALES.filter((x) => x <= high)) {
    setScale(scale);
    if (fits()) return scale;
  }
  return null;
}

// Ways to lay out additions, best first: beside their theme (short ones), or below it (long
// ones), with the board's letters a little smaller if need be. Additions keep their own floor.
function plansFor(top) {
  const plans = [];
  for (const scale of SCALES.filter((x) => x <= top && (x >= 0.9 || x === top))) {
    plans.push({ scale, beside: true }, { scale, beside: false });
  }
  return plans;
}
const LAST_RESORT = SCALES.filter((x) => x < 0.9).map((scale) => ({ scale, beside: false }));

function usePlan(plan) {
  setScale(plan.scale);
  document.body.classList.toggle('additions-beside', plan.beside);
}

// The index of the first plan, from `from` on, under which what is placed fits; or -1.
function firstFit(plans, from = 0) {
  for (let i = from; i < plans.length; i += 1) {
    usePlan(plans[i]);
    if (fits()) return i;
  }
  return -1;
}

// Split the shown additions (oldest first) into pages that each fit above the join corner.
// More additions never fit better, so within a page the plan only moves down the list.
function paginate(ids, plans) {
  const result = [];
  let current = [];
  let k = 0;
  clearAdditions();
  for (const id of ids) {
    const item = placeAddition(id);
    let found = firstFit(plans, k);
    if (found < 0 && current.length > 0) {
      item.remove();
      result.push({ ids: current, plan: plans[k] });
      current = [];
      clearAdditions();
      placeAddition(id);
      found = firstFit(plans);
    }
    if (found < 0) {
      // Too long even alone: the board's letters shrink for this page (the addition's do not).
      const last = firstFit(LAST_RESORT);
      result.push({ ids: [id], plan: LAST_RESORT.at(last) });
      clearAdditions();
      k = 0;
      continue;
    }
    k = found;
    current.push(id);
  }
  if (current.length > 0) result.push({ ids: current, plan: plans[k] });
  return result;
}

function showPage() {
  const shownPage = pages[page] || { ids: [], plan: { scale: boardScale, beside: false } };
  clearAdditions();
  usePlan(shownPage.plan);
  for (const id of shownPage.ids) placeAddition(id);
  setPager(page + 1, pages.length);
  report();
}

function layout() {
  const keep = ((pages[page] || {}).ids || [])[0];
  const ids = [...shown.keys()].sort((a, b) => a - b);
  clearAdditions();
  setPager(0, 0);
  // The largest scale at which the board fits without any addition (many themes need less).
  boardScale = largestFit(1) ?? SCALES.at(-1);
  pages = [];
  if (ADDITION_PHASES.includes(phase) && ids.length > 0) {
    const plans = plansFor(boardScale);
    // First: every shown addition at once.
    ids.forEach(placeAddition);
    const found = firstFit(plans);
    if (found >= 0) {
      pages = [{ ids, plan: plans[found] }];
    } else {
      // Then: a page at a time, saying so. The page line takes room too.
      setPager(9, 9);
      pages = paginate(ids, plans);
    }
  }
  const again = pages.findIndex((p) => p.ids.includes(keep));
  page = again >= 0 ? again : Math.min(page, Math.max(0, pages.length - 1));
  // A steady beat: a change on the beamer does not hold the pages still.
  if (pages.length < 2) {
    clearTimeout(timer);
    timer = null;
  } else if (timer === null) {
    timer = setTimeout(turn, TURN_EVERY_MS);
  }
  showPage();
}

function turn() {
  page = (page + 1) % Math.max(1, pages.length);
  showPage();
  timer = pages.length > 1 ? setTimeout(turn, TURN_EVERY_MS) : null;
}

// Tell the host screens what is on the beamer now (only when it changed, or when asked).
function report(force = false) {
  if (!live) return;
  const ids = ADDITION_PHASES.includes(phase) ? (pages[page] || { ids: [] }).ids : [];
  const view = { additions: ids, page: ids.length ? page + 1 : 0, pages: ids.length ? pages.length : 0 };
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

window.addEventListener('resize', layout);

live = connect({
  role: 'projector',
  onState(state) {
    phase = state.phase;
    showPhase(state.phase);
    if (state.join_url) {
      for (const el of document.querySelectorAll('.join-display')) {
        el.textContent = state.join_url.replace(/^https?:\/\//, '');
      }
    }
    if (state.tally) fillTally(state.tally);
    if (state.additions) {
      shown.clear();
      versions.clear();
      for (const a of state.additions) shown.set(a.id, a);
      additionsVersion = state.additions_version || 0;
      recent.forEach(apply);
    }
    layout();
  },
  onTally(tally) {
    fillTally(tally);
    // Growing numbers can wrap a line; only then is the layout worked out again.
    if (!fits()) layout();
  },
});

live.socket.on('addition', (change) => {
  recent = [...recent.slice(-99), change];
  if (apply(change)) layout();
});
live.socket.on('report_view', () => report(true));
live.socket.on('connect', () => report(true));
