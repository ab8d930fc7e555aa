// A working group's own page (terugkombijeenkomst): its plan in plain fields, saved with `plan`
// while the meeting is in its lobby; "wij willen hulp" (`ask_help`); and, live, the tops and
// questions the host shows for this group, the agreements, its members and its card.
import { connect, errorText, replaceChildren, setStatus, texts } from './live.js';

const words = texts.follow_up;
const theme = Number(document.body.dataset.theme);
const form = document.getElementById('plan-form');
// The order of the page (the JSON of the words comes with its keys sorted).
const fields = ['goal', 'actions', 'tasks', 'needs', 'when', 'first_step'];
const CARD_ORDER = ['how', 'needs', 'lead', 'first_step'];
const shown = new Map(); // addition id -> {id, text, kind}
let state = null;
let saved = {}; // the plan as the server has it, to know which fields someone changed here

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text; // attendee text: never as HTML
  return node;
}

function title(id) {
  const found = state && state.themes.find((t) => t.id === id);
  return found ? found.title : '';
}

/** Write the plan into the fields a person here is not changing. */
function drawPlan(plan) {
  for (const name of fields) {
    const box = form.elements[name];
    const untouched = box.value === (saved[name] || '');
    if (untouched && document.activeElement !== box) box.value = plan[name] || '';
  }
  saved = { ...plan };
}

function drawOpen(phase) {
  const open = phase === 'lobby';
  document.getElementById('plan-open').hidden = !open;
  document.getElementById('plan-closed').hidden = open;
  for (const name of fields) form.elements[name].readOnly = !open;
  document.getElementById('plan-save').hidden = !open;
}

function drawExtra() {
  const list = document.getElementById('extra-list');
  const items = [...shown.values()].sort((a, b) => a.id - b.id);
  replaceChildren(list, ...items.map((a) => {
    const li = make('li', `extra ${a.kind}`);
    li.append(make('strong', 'extra-kind', `${words.kinds[a.kind] || ''}: `), make('span', '', a.text));
    return li;
  }));
  document.getElementById('no-extra').hidden = items.length > 0;
}

function drawAgreements(agreements) {
  const list = document.getElementById('agreement-list');
  replaceChildren(list, ...agreements.map((a) => {
    const li = make('li', a.themes.includes(theme) ? 'agreement ours' : 'agreement');
    li.append(make('p', 'agreement-text', a.text));
    const meta = [`Werkgroep: ${a.themes.map(title).join(' en ')}`];
    if (a.who) meta.push(`Wie: ${a.who}`);
    if (a.due) meta.push(`Wanneer: ${a.due}`);
    li.append(make('p', 'hint', meta.join(' · ')));
    return li;
  }));
  document.getElementById('no-agreements').hidden = agreements.length > 0;
}

function drawMembers(group) {
  const list = document.getElementById('member-list');
  replaceChildren(list, ...(group.members || []).map((m) => {
    const li = make('li', 'member');
    li.append(make('strong', '', m.name));
    const contact = [texts.roles_short[m.role], m.email, m.phone].filter(Boolean).join(' · ');
    if (contact) li.append(make('span', 'hint', contact));
    return li;
  }));
  const others = Object.values(group.others || {}).reduce((a, b) => a + b, 0);
  document.getElementById('member-others').textContent = others
    ? `En ${others} ${others === 1 ? 'persoon' : 'mensen'} die hun naam niet delen.`
    : '';
}

function drawCard(card) {
  const box = document.getElementById('card-lines');
  const byField = new Map();
  for (const note of card || []) {
    if (!byField.has(note.field)) byField.set(note.field, []);
    byField.get(note.field).push(note.text);
  }
  const rows = [];
  for (const field of CARD_ORDER) {
    rows.push(make('dt', '', texts.card_fields[field]));
    const notes = byField.get(field) || [];
    if (notes.length === 0) rows.push(make('dd', 'hint', 'Niets opgeschreven.'));
    for (const text of notes) rows.push(make('dd', '', text));
  }
  replaceChildren(box, ...rows);
}

const live = connect({
  role: 'group',
  onState(next) {
    state = next;
    drawOpen(state.phase);
    drawPlan(state.group.plan);
    drawMembers(state.group);
    drawCard(state.group.card);
    shown.clear();
    for (const a of state.additions || []) if (a.status === 'shown') shown.set(a.id, a);
    drawExtra();
    drawAgreements(state.agreements || []);
  },
  onAck(item, ack) {
    const text = ack.ok ? (item.event === 'ask_help' ? 'De adviseur weet nu dat u hulp wilt.' : 'Opgeslagen ✓') : errorText(ack.error);
    setStatus(item.event, text, ack.ok ? 'ok' : 'error');
  },
  onRetry(item) {
    setStatus(item.event, texts.phone.saving);
  },
});

live.socket.on('plan', (message) => {
  if (message.theme === theme) drawPlan(message.plan);
});
live.socket.on('addition', (a) => {
  if (a.theme !== theme) return;
  if (a.status === 'shown') shown.set(a.id, a);
  else shown.delete(a.id);
  drawExtra();
});
live.socket.on('agreements', (message) => drawAgreements(message.agreements));

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const changed = {};
  for (const name of fields) changed[name] = form.elements[name].value;
  setStatus('plan', texts.phone.saving);
  live.send('plan', { fields: changed }, 'plan');
});
document.getElementById('ask-help').addEventListener('click', () => {
  setStatus('ask_help', texts.phone.saving);
  live.send('ask_help', {}, 'ask_help');
});
