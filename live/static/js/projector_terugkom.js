// The beamer of a terugkombijeenkomst: follows the phase; draws the presenting group's plan with
// the tops and questions the host shows for it, the agreements as they are made, and at the end
// each group's first step. It never gets names: only plans, counts and agreements.
import { connect, replaceChildren, showPhase, texts } from './live.js';

const words = texts.follow_up;
const PLAN = ['goal', 'actions', 'tasks', 'needs', 'when', 'first_step'];
const shown = new Map(); // addition id -> {id, theme, text, kind}
let state = null;

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text; // attendee text: never as HTML
  return node;
}

const title = (id) => (state.themes.find((t) => t.id === id) || { title: '' }).title;

function drawPresenting() {
  const theme = state.presenting;
  const group = (state.groups || []).find((g) => g.theme === theme);
  document.getElementById('present-title').textContent = theme ? title(theme) : '';
  document.querySelector('.present-label').hidden = !theme;
  document.getElementById('present-none').hidden = Boolean(group);
  document.getElementById('present-body').hidden = !group;
  if (!group) return;
  const rows = [];
  for (const name of PLAN) {
    const text = group.plan[name];
    if (!text) continue;
    rows.push(make('div', `plan-row ${name}`));
    rows[rows.length - 1].append(make('dt', '', words.plan[name]), make('dd', '', text));
  }
  if (rows.length === 0) rows.push(make('p', 'big', 'Deze groep vertelt het plan zelf.'));
  replaceChildren(document.getElementById('plan-board'), ...rows);
  const items = [...shown.values()].filter((a) => a.theme === theme && a.kind).sort((a, b) => a.id - b.id);
  replaceChildren(document.getElementById('extra-items'), ...items.slice(-6).map((a) => {
    const li = make('li', `extra ${a.kind}`);
    li.append(make('strong', 'extra-kind', `${words.kinds[a.kind]}: `), make('span', '', a.text));
    return li;
  }));
}

function agreementItem(a) {
  const li = make('li', 'agreement');
  li.append(make('p', 'agreement-text', a.text));
  const meta = [a.themes.map(title).join(' + ')];
  if (a.who) meta.push(`Wie: ${a.who}`);
  if (a.due) meta.push(`Wanneer: ${a.due}`);
  li.append(make('p', 'agreement-meta', meta.join(' · ')));
  return li;
}

function drawAgreements() {
  const list = state.agreements || [];
  document.getElementById('agree-none').hidden = list.length > 0;
  document.getElementById('results-agree-none').hidden = list.length > 0;
  // The newest in view: a long list shows its last ones.
  const board = document.getElementById('agreement-board');
  const last = list.slice(-6);
  board.start = list.length - last.length + 1; // the numbers stay those of the whole list
  replaceChildren(board, ...last.map(agreementItem));
  replaceChildren(document.getElementById('results-agreements'), ...list.map(agreementItem));
}

function drawResults() {
  replaceChildren(document.getElementById('first-steps'), ...(state.groups || []).map((g) => {
    const li = make('li', 'first-step');
    li.append(make('strong', '', title(g.theme)), make('span', '', g.plan.first_step || 'Nog geen eerste stap.'));
    return li;
  }));
}

// Shrink everything a little (--fit, as the evening's beamer) while the screen would scroll, but
// never below 24 px: read from the back of the hall, a plan must not be cut off at the bottom.
const FLOOR = 24;
function fit() {
  const body = document.body;
  body.style.setProperty('--fit', '1');
  const base = parseFloat(getComputedStyle(body).fontSize);
  let scale = 1;
  while (document.documentElement.scrollHeight > window.innerHeight && base * (scale - 0.03) >= FLOOR) {
    scale -= 0.03;
    body.style.setProperty('--fit', String(scale));
  }
}

function drawAll() {
  showPhase(state.phase);
  drawPresenting();
  drawAgreements();
  drawResults();
  fit();
}
window.addEventListener('resize', () => fit());

const live = connect({
  role: 'projector',
  onState(next) {
    state = next;
    shown.clear();
    for (const a of state.additions || []) if (a.status === 'shown') shown.set(a.id, a);
    drawAll();
  },
});

live.socket.on('addition', (a) => {
  if (a.status === 'shown') shown.set(a.id, a);
  else shown.delete(a.id);
  if (state) {
    drawPresenting();
    fit();
  }
});
live.socket.on('plan', (message) => {
  if (!state) return;
  const group = (state.groups || []).find((g) => g.theme === message.theme);
  if (group) group.plan = message.plan;
  drawPresenting();
  drawResults();
  fit();
});
live.socket.on('agreements', (message) => {
  if (!state) return;
  state.agreements = message.agreements;
  drawAgreements();
  fit();
});
