// Additions a page at a time, grouped per theme: show or hide each, merge one into another that
// says the same, or make a new theme of it. The numbers of hidden and merged ones are in view.
import { errorText, isolate, setStatus, texts } from '../live.js';
import { el, host, named, say, send, setDisabled, themeTitle, words } from './common.js';

const PAGE = 50;
const groups = document.getElementById('additions');
const orderSelect = document.getElementById('mod-order');
const statusSelect = document.getElementById('mod-status');
const pageNav = document.querySelector('.mod-pages');

// What this screen shows: one page of additions, in the host's order, maybe of one status.
const view = { order: 'oldest', offset: 0, limit: PAGE, status: null };
let items = [];
let itemsVersion = 0; // meeting version the page was read at
const versions = new Map(); // id -> meeting version of the newest change applied
let recent = []; // the last changes, replayed over a page that was read before them
let counts = { version: 0, total: 0, pending: 0, shown: 0, hidden: 0, promoted: 0, merged: 0 };
let beamer = null; // what the beamer reported it shows: {additions, page, pages}
// The one merge or new-theme form that is open, kept over redraws with what was typed in it.
let tool = null; // {id, kind: 'merge' | 'promote', draft}

function beamerState(a) {
  if (a.status === 'pending') return [words.pending, ''];
  if (a.status === 'hidden') return [words.hidden, ''];
  if (a.status === 'merged') return [say('merged_into', { n: a.merged_into }), ''];
  if (a.status === 'promoted') return [words.promoted, ''];
  if (beamer && beamer.additions.includes(a.id)) return [words.on_beamer_now, 'now'];
  if (beamer && beamer.pages > 0) return [words.on_beamer_waiting, 'waiting'];
  return [words.on_beamer_chosen, ''];
}

function renderSummary() {
  const summary = document.getElementById('additions-summary');
  summary.textContent = counts.total === 0
    ? words.no_additions
    : say('additions_summary', { ...counts, word: counts.total === 1 ? words.addition_one : words.addition_other });
  document.getElementById('additions-merged').textContent = say('merged_count', counts);
  const matching = view.status ? counts[view.status] : counts.total;
  pageNav.hidden = matching <= view.limit && view.offset === 0;
  const range = document.getElementById('mod-range');
  range.textContent = items.length
    ? say('page_range', { first: view.offset + 1, last: view.offset + items.length, of: matching })
    : say('page_empty', { of: matching });
  const [prev, next] = [document.getElementById('mod-prev'), document.getElementById('mod-next')];
  setDisabled(prev, view.offset === 0, next, statusSelect);
  setDisabled(next, view.offset + view.limit >= matching, prev, statusSelect);
  const beamerLine = document.getElementById('beamer-view');
  beamerLine.hidden = beamer === null;
  if (beamer) {
    beamerLine.textContent = beamer.pages === 0
      ? words.beamer_none
      : beamer.pages === 1 ? words.beamer_all : say('beamer_page', beamer);
  }
}

function shortText(text, n = 60) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

function closeTool(focusKey) {
  tool = null;
  render(focusKey);
}

// Escape in an open form is Annuleren: it closes, the keyboard is back on the button that opened it.
function escapable(form, a) {
  form.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    closeTool(`${a.id}:${tool.kind}`);
  });
  return form;
}

function toolForm(a) {
  return escapable(toolFormFor(a), a);
}

function toolFormFor(a) {
  if (tool.kind === 'merge') {
    // One on this page from a list, or any other by its number (the same text may be pages away).
    const others = items.filter((o) => o.id !== a.id && o.status !== 'merged' && o.status !== 'promoted');
    const draft = tool.draft || (tool.draft = { pick: '', number: '' });
    const select = el('select', { id: `merge-into-${a.id}`, dataset: { focus: `${a.id}:into` } },
      el('option', { value: '' }, others.length ? words.pick_addition : words.no_other),
      ...others.map((o) => el('option', { value: String(o.id) }, `${say('number', { n: o.id })}: ${isolate(shortText(o.text))}`)));
    select.value = draft.pick;
    select.addEventListener('change', () => { draft.pick = select.value; });
    const number = el('input', {
      type: 'number', id: `merge-number-${a.id}`, min: '1', step: '1', inputMode: 'numeric', dataset: { focus: `${a.id}:number` },
    });
    number.value = draft.number;
    number.addEventListener('input', () => { draft.number = number.value; });
    const go = () => {
      const into = Number(number.value.trim() || select.value);
      if (!Number.isInteger(into) || into < 1) {
        setStatus('additions', words.pick_addition_first, 'error');
        select.focus();
        return;
      }
      send('merge_addition', { addition: a.id, into }, {
        status: 'additions',
        done(ack) {
          // The form goes; the keyboard stays on this addition (its Tonen / Verbergen button).
          if (ack.ok) closeTool(`${a.id}:show`);
          return false;
        },
      });
    };
    return el('div', { className: 'mod-tool' },
      el('p', { className: 'field' }, el('label', { htmlFor: select.id }, words.merge_addition_label), select),
      el('p', { className: 'field' }, el('label', { htmlFor: number.id }, words.merge_number_label), number),
      el('div', { className: 'button-row' },
        el('button', { type: 'button', className: 'primary', dataset: { focus: `${a.id}:go` }, onclick: go }, words.merge),
        el('button', { type: 'button', dataset: { focus: `${a.id}:cancel` }, onclick: () => closeTool(`${a.id}:merge`) }, words.cancel)));
  }
  const hint = el('span', { id: `promote-${a.id}-hint`, className: 'hint' }, words.theme_title_stays);
  const input = el('input', { id: `promote-${a.id}`, maxLength: 120, autocomplete: 'off', dataset: { focus: `${a.id}:title` } });
  input.setAttribute('aria-describedby', hint.id);
  input.value = tool.draft ?? a.text.slice(0, 120);
  input.addEventListener('input', () => { tool.draft = input.value; });
  const go = () => {
    if (!input.value.trim()) {
      setStatus('additions', words.title_needed, 'error');
      input.focus();
      return;
    }
    send('add_theme', { title: input.value.trim(), addition: a.id }, {
      status: 'additions',
      done(ack) {
        if (!ack.ok) return false;
        setStatus('additions', words.added, 'ok');
        // A theme now, without buttons: the keyboard stays on the addition itself.
        closeTool(`${a.id}:item`);
        return true;
      },
    });
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') go();
  });
  return el('div', { className: 'mod-tool' },
    el('p', { className: 'field' }, el('label', { htmlFor: input.id }, words.theme_title), hint, input),
    el('div', { className: 'button-row' },
      el('button', { type: 'button', className: 'primary', dataset: { focus: `${a.id}:make` }, onclick: go }, words.make_theme_button),
      el('button', { type: 'button', dataset: { focus: `${a.id}:cancel` }, onclick: () => closeTool(`${a.id}:promote`) }, words.cancel)));
}

function item(a) {
  // Focusable from script only: where the keyboard waits when an addition has no buttons left.
  const li = el('li', { tabIndex: -1, dataset: { status: a.status, addition: String(a.id), focus: `${a.id}:item` } },
    // A terugkombijeenkomst's top or question says which it is.
    el('p', { className: 'mod-meta' }, say('number', { n: a.id }),
      a.kind ? el('strong', { className: `mod-kind ${a.kind}` }, ` · ${texts.follow_up.kinds[a.kind]}`) : null),
    el('p', { className: 'mod-text' }, a.text)); // attendee text: never as HTML
  const [label, onBeamer] = beamerState(a);
  li.dataset.onBeamer = onBeamer;
  li.append(el('p', { className: 'mod-state' }, label));
  if (a.mentions > 1) li.append(el('p', { className: 'mod-mentions' }, say('mentions', { n: a.mentions })));
  if (a.endorsements) {
    const n = a.endorsements;
    li.append(el('p', { className: 'mod-endorsed' }, n === 1 ? words.endorsed_one : say('endorsed_count', { n })));
  }
  if (a.status === 'shown' && !a.kind) li.append(handsForm(a));
  const about = `${say('number', { n: a.id })}`;
  const actions = el('div', { className: 'button-row' });
  if (a.status === 'merged') {
    // Showing a merged one takes it out of its group: the button says that, not "Tonen op beamer".
    const hint = el('span', { className: 'hint', id: `apart-${a.id}-hint` }, say('show_apart_hint', { n: a.merged_into }));
    actions.append(el('button', {
      type: 'button', dataset: { focus: `${a.id}:show` }, 'aria-describedby': hint.id,
      onclick: () => send('moderate', { addition: a.id, show: true }, { status: 'additions' }),
    }, ...named(words.show_apart, about)), hint);
  } else if (a.status !== 'promoted') {
    const show = a.status !== 'shown';
    actions.append(el('button', {
      type: 'button', className: show ? 'primary' : '', dataset: { focus: `${a.id}:show` },
      onclick: () => send('moderate', { addition: a.id, show }, { status: 'additions' }),
    }, show ? words.show : words.hide));
  }
  if (a.status !== 'promoted' && a.status !== 'merged') {
    // A top or a question is said to a working group: it never becomes a group of its own.
    const tools = [['merge', words.merge_addition], ['promote', words.make_theme]].slice(0, a.kind ? 1 : 2);
    for (const [kind, text] of tools) {
      const open = Boolean(tool && tool.id === a.id && tool.kind === kind);
      actions.append(el('button', {
        type: 'button', 'aria-expanded': String(open), dataset: { focus: `${a.id}:${kind}` },
        onclick: () => {
          tool = open ? null : { id: a.id, kind, draft: null };
          render(open ? `${a.id}:${kind}` : `${a.id}:${kind === 'merge' ? 'into' : 'title'}`);
        },
      }, ...named(text, about)));
    }
  }
  li.append(actions);
  if (tool && tool.id === a.id) li.append(toolForm(a));
  return li;
}

/** Raised hands for a shown addition: "Dat herken ik ook" from people without a phone. */
function handsForm(a) {
  const input = el('input', {
    id: `hands-${a.id}`, type: 'number', min: '0', max: '100000', inputMode: 'numeric',
    dataset: { focus: `${a.id}:hands` },
  });
  const save = () => {
    const count = Number(input.value);
    if (!Number.isInteger(count) || count < 0) {
      setStatus('additions', errorText('bad_count'), 'error');
      input.focus();
      return;
    }
    send('addition_hands', { addition: a.id, count }, { status: 'additions' });
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') save();
  });
  return el('p', { className: 'field hands' },
    el('label', { htmlFor: input.id }, words.hands_label), input,
    el('button', { type: 'button', dataset: { focus: `${a.id}:hands-save` }, onclick: save }, words.hands_save));
}

function groupOrder() {
  const ids = host.state ? host.state.themes.map((t) => t.id) : [];
  return [...ids, 0];
}

// What an item looks like, so an unchanged one keeps its element: a redraw (every 100 ms in a
// flood) must not swap a button between the press and the release of the host's click.
const drawn = new Map(); // addition id -> {key, li}
const sections = new Map(); // theme id -> the <section> of its additions

function itemKey(a) {
  const open = tool && tool.id === a.id ? tool.kind : '';
  const others = open === 'merge'
    ? items.filter((o) => o.id !== a.id && o.status !== 'merged' && o.status !== 'promoted').map((o) => [o.id, o.text])
    : [];
  return JSON.stringify([a.theme, a.status, a.text, a.merged_into, a.mentions, a.endorsements, beamerState(a), open, others]);
}

function itemFor(a) {
  const key = itemKey(a);
  const old = drawn.get(a.id);
  if (old && old.key === key) return old.li;
  const li = item(a);
  drawn.set(a.id, { key, li });
  return li;
}

function sectionFor(theme, lis) {
  let section = sections.get(theme);
  if (!section) {
    section = el('section', { className: 'mod-group' }, el('h3', {}), el('ul', { className: 'mod-list' }));
    sections.set(theme, section);
  }
  const heading = section.querySelector('h3');
  const title = themeTitle(theme);
  if (heading.textContent !== title) heading.textContent = title;
  setChildren(section.querySelector('ul'), lis);
  return section;
}

// Put these children in, only when they differ from what is there (moving nothing otherwise).
function setChildren(parent, children) {
  const now = parent.children;
  if (now.length === children.length && children.every((c, i) => now[i] === c)) return;
  parent.replaceChildren(...children);
}

/** Draw the page again; whoever was on a control (keyboard) stays on that addition's control. */
export function render(focusKey = undefined) {
  const focused = groups.contains(document.activeElement) ? document.activeElement.dataset.focus : null;
  const refocus = focusKey === undefined ? focused : focusKey;
  if (tool && !items.some((a) => a.id === tool.id && a.status !== 'promoted' && a.status !== 'merged')) tool = null;
  const byTheme = new Map();
  for (const a of items) {
    if (!byTheme.has(a.theme)) byTheme.set(a.theme, []);
    byTheme.get(a.theme).push(a);
  }
  const order = groupOrder();
  const themes = [...byTheme.keys()].sort((x, y) => {
    const [i, j] = [order.indexOf(x), order.indexOf(y)];
    return (i < 0 ? 1e6 + x : i) - (j < 0 ? 1e6 + y : j);
  });
  setChildren(groups, themes.map((theme) => sectionFor(theme, byTheme.get(theme).map(itemFor))));
  // Forget what is no longer on this page.
  const onPage = new Set(items.map((a) => a.id));
  for (const id of drawn.keys()) if (!onPage.has(id)) drawn.delete(id);
  for (const theme of sections.keys()) if (!byTheme.has(theme)) sections.delete(theme);
  document.getElementById('no-additions').hidden = items.length > 0 || counts.total > 0;
  if (refocus && document.activeElement?.dataset.focus !== refocus) {
    groups.querySelector(`[data-focus="${refocus}"]`)?.focus();
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
  const { version, ...addition } = change;
  const at = items.findIndex((a) => a.id === change.id);
  if (at >= 0) {
    items[at] = { ...items[at], ...addition, merged_into: addition.merged_into, mentions: addition.mentions };
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

function setCounts(version, byStatus) {
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  counts = { ...counts, ...byStatus, version, total };
}

function load() {
  const query = { order: view.order, offset: view.offset, limit: view.limit };
  if (view.status) query.status = view.status;
  host.live.socket.timeout(8000).emit('list_additions', query, (err, ack) => {
    if (err || !ack || !ack.ok) {
      setStatus('additions', errorText(ack ? ack.error : 'offline'), 'error');
      return;
    }
    setStatus('additions', '');
    items = ack.additions;
    itemsVersion = ack.version;
    if (ack.version >= counts.version) setCounts(ack.version, ack.counts);
    recent.forEach(apply);
    render();
  });
}

/** A new snapshot: the first page comes with it, other views are asked for again. */
export function additionsFromState(state) {
  if (!state.additions) return;
  const version = state.additions_version || 0;
  if (version >= counts.version) setCounts(version, state.additions_counts);
  if (view.order === 'oldest' && view.offset === 0 && view.status === null) {
    // The snapshot holds exactly the first page in the usual order.
    items = state.additions;
    itemsVersion = version;
    recent.forEach(apply);
    render();
  } else {
    load();
  }
}

/** Listen for additions, their counts and what the beamer shows. */
export function listenForAdditions(socket) {
  socket.on('addition', (change) => {
    recent = [...recent.slice(-99), change];
    if (apply(change)) renderSoon();
  });
  // Counts of "Dat herken ik ook" (coalesced, at most ten a second), newest only.
  let endorsedSeq = 0;
  socket.on('endorsements', (message) => {
    if (message.seq < endorsedSeq) return;
    endorsedSeq = message.seq;
    items = items.map((a) => (a.status === 'shown' ? { ...a, endorsements: message.counts[String(a.id)] || 0 } : a));
    renderSoon();
  });
  socket.on('additions_counts', (message) => {
    // Coalesced: the store's sequence orders them (a reconnect's snapshot has no seq, so any
    // message after it is newer).
    if (message.version < counts.version || message.seq < counts.seq) return;
    counts = { ...counts, ...message };
    renderSoon();
  });
  socket.on('projector_view', (message) => {
    beamer = message;
    render();
  });
}

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
