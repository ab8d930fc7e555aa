// The beamer's rows: which themes a phase shows, one row per theme, and the numbers in it.
// Everything comes from the newest state and tally; attendee text is only ever textContent.
import { countWords, percentages } from '../counts.js';
import { texts } from '../live.js';

const T = texts.projector;
const ANSWERS = ['yes', 'partly', 'no'];
const ROLES = ['lead', 'member', 'occasional'];
// The card's order, as on the phone and the host (the words' JSON comes sorted by key).
const FIELDS = ['how', 'needs', 'lead', 'first_step'];
// A card in short: this many notes per field, each cut to this many characters.
const NOTES_PER_FIELD = 2;
const NOTE_CHARS = 70;
export const WHOLE = 0;
export const ADDITION_PHASES = ['recognition', 'break'];
const RECOGNITION_PHASES = ['recognition', 'break', 'results'];
const CHOICE_PHASES = ['topics', 'pledges', 'results'];

function el(tag, className = '', text = null) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== null) node.textContent = text;
  return node;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));
}

// The whole analysis as a row (recognition, the break and the results ask about it).
function wholeRow() {
  return { id: WHOLE, title: T.whole, description: '', tables: [], capacity: null };
}

// The one theme the host put on the beamer (pace "one"), if this phase shows it; else null.
function oneTheme(state) {
  if (!state.pace || state.pace.mode !== 'one') return null;
  const current = state.pace.theme;
  if (current === WHOLE) return RECOGNITION_PHASES.includes(state.phase) ? wholeRow() : null;
  return state.themes.find((t) => t.id === current) || null;
}

/** True when one theme is on the beamer at a time (pace "one", in any phase of the board). */
export function oneAtATime(state) {
  return oneTheme(state) !== null;
}

/** The theme the host holds the beamer on (pace "hold": every theme, the pages held still), or null. */
export function heldTheme(state) {
  return state.pace && state.pace.mode === 'hold' ? state.pace.theme : null;
}

/** The themes this phase shows, in the host's order: [{id, title, description, ...}]. */
export function themesShown(state) {
  const one = oneTheme(state);
  if (one) return [one];
  if (RECOGNITION_PHASES.includes(state.phase)) return [...state.themes, wholeRow()];
  return state.themes;
}

// "Ja 3 (60%)": the label, the number and its share.
function answerPart(answer) {
  const part = el('span', `part ${answer}`);
  const count = el('strong', '', '0');
  count.dataset.k = answer;
  const pct = el('span', 'pct', '');
  pct.dataset.pct = answer;
  part.append(`${texts.answers[answer]} `, count, ' ', pct);
  return part;
}

/** A number that fillRow keeps up to date, and the words after it in the right plural form. */
function countedWords(key) {
  const n = el('strong', '', '0');
  n.dataset.k = key;
  const words = el('span', '', countWords(key, 0));
  words.dataset.plural = key;
  return [n, ' ', words];
}

function recognitionPart() {
  const box = el('div', 'recognition');
  // While results are hidden, the beamer knows only how many answered.
  const only = el('p', 'answered-only');
  only.append(...countedWords('answered'));
  const split = el('div', 'split');
  const meter = el('div', 'meter');
  meter.setAttribute('aria-hidden', 'true');
  for (const answer of ANSWERS) meter.append(el('span', `seg ${answer}`));
  const nums = el('p', 'nums');
  ANSWERS.forEach((answer, i) => {
    if (i) nums.append(' · ');
    nums.append(answerPart(answer));
  });
  const hands = el('span', 'hands');
  nums.append(hands);
  split.append(meter, nums);
  box.append(only, split);
  return box;
}

function choicePart(theme, phase) {
  const box = el('div', 'choice-part');
  const meter = el('div', 'meter single');
  meter.setAttribute('aria-hidden', 'true');
  meter.append(el('span', 'seg chosen'));
  const nums = el('p', 'nums');
  // "3 mensen kozen dit": hidden while nobody chose, when the badge says "Nog niemand" alone.
  const count = el('span', 'chosen-count');
  count.append(...countedWords('chosen'));
  nums.append(count);
  if (theme.capacity) nums.append(' ', el('span', 'places', fill(T.places, { n: theme.capacity })));
  // "Vol" or "Nog niemand", written by fillRow.
  const badge = el('strong', 'badge');
  badge.hidden = true;
  nums.append(' ', badge);
  box.append(meter, nums);
  if (theme.tables && theme.tables.length) {
    const where = el('p', 'tables', `${T.tables} `);
    where.append(el('span', 'table-names', theme.tables.join(' · ')));
    box.append(where);
  }
  if (phase !== 'topics') {
    const roles = el('p', 'roles');
    const pledged = el('strong', '', '0');
    pledged.dataset.k = 'pledged';
    roles.append(`${T.volunteers} `, pledged, ' · ');
    ROLES.forEach((role, i) => {
      if (i) roles.append(' · ');
      const n = el('strong', '', '0');
      n.dataset.role = role;
      // A role and its number stay on one line: "Af en toe" never breaks after "Af".
      const one = el('span', 'role', `${texts.roles_short[role]} `);
      one.append(n);
      roles.append(one);
    });
    box.append(roles, el('p', 'no-lead', T.no_lead));
  }
  return box;
}

function cardPart() {
  const box = el('dl', 'card-short');
  for (const field of FIELDS) {
    const line = el('div', 'card-line');
    line.dataset.field = field;
    line.append(el('dt', '', T.card_fields[field]), el('dd'));
    box.append(line);
  }
  return box;
}

/** A fresh row for a theme in this phase (numbers come with fillRow). */
export function buildRow(theme, state) {
  const { phase } = state;
  const row = el('li', 'theme-row');
  row.dataset.theme = String(theme.id);
  if (theme.id === WHOLE) row.classList.add('whole');
  const main = el('div', 'theme-main');
  main.append(el('h2', '', theme.title));
  if (oneAtATime(state) && theme.description) main.append(el('p', 'desc', theme.description));
  if (RECOGNITION_PHASES.includes(phase)) main.append(recognitionPart());
  if (CHOICE_PHASES.includes(phase) && theme.id !== WHOLE) {
    main.append(choicePart(theme, phase));
    if (phase === 'results') main.append(cardPart());
  }
  row.append(main);
  if (ADDITION_PHASES.includes(phase)) {
    const list = el('ul', 'additions');
    list.setAttribute('aria-label', 'Aanvullingen');
    row.append(list);
  }
  return row;
}

function put(row, key, n) {
  for (const node of row.querySelectorAll(`[data-k="${key}"]`)) node.textContent = String(n);
  for (const node of row.querySelectorAll(`[data-plural="${key}"]`)) node.textContent = countWords(key, n);
}

function width(seg, share) {
  // CSSOM, not a style attribute: allowed by the Content-Security-Policy.
  seg.style.width = `${(Math.min(1, share) * 100).toFixed(1)}%`;
  seg.toggleAttribute('data-empty', share === 0);
}

/** Write one tally row (and the theme's capacity) into its beamer row. */
export function fillRow(row, data, theme, most) {
  const hidden = data.hidden || data.yes === undefined;
  row.classList.toggle('results-hidden', hidden);
  const answered = data.answered ?? 0;
  put(row, 'answered', answered);
  const split = row.querySelector('.split');
  if (split) {
    row.querySelector('.answered-only').hidden = !hidden;
    split.hidden = hidden;
    if (!hidden) {
      const pct = percentages(data);
      for (const answer of ANSWERS) {
        put(row, answer, data[answer]);
        row.querySelector(`[data-pct="${answer}"]`).textContent = `(${pct[answer]}%)`;
        width(row.querySelector(`.seg.${answer}`), answered ? data[answer] / answered : 0);
      }
      const hands = data.sources ? ANSWERS.reduce((s, a) => s + (data.sources.hands[a] || 0), 0) : 0;
      row.querySelector('.hands').textContent = hands
        ? ` · ${fill(T.of_hands, { n: hands, word: countWords('hands', hands) })}`
        : '';
    }
  }
  const chosen = data.chosen ?? 0;
  put(row, 'chosen', chosen);
  put(row, 'pledged', data.pledged ?? 0);
  const seg = row.querySelector('.seg.chosen');
  if (seg) width(seg, theme.capacity ? chosen / theme.capacity : chosen / Math.max(1, most));
  const full = Boolean(theme.capacity) && chosen >= theme.capacity;
  const nobody = !full && chosen === 0;
  const badge = row.querySelector('.badge');
  if (badge) {
    badge.dataset.kind = full ? 'full' : nobody ? 'nobody' : '';
    badge.textContent = full ? T.full : nobody ? T.nobody : '';
    badge.hidden = !badge.textContent;
    // One of the two: "Nog niemand" (and the room there is), never beside "0 mensen kozen dit".
    row.querySelector('.chosen-count').hidden = nobody;
    const places = row.querySelector('.places');
    if (places) places.textContent = fill(nobody ? T.places_free : T.places, { n: theme.capacity });
    if (nobody) badge.parentElement.prepend(badge);
    else badge.parentElement.append(badge);
  }
  const roles = data.roles || {};
  for (const role of ROLES) {
    for (const node of row.querySelectorAll(`[data-role="${role}"]`)) node.textContent = String(roles[role] ?? 0);
  }
  row.classList.toggle('lacks-lead', !(roles.lead > 0));
}

/** The card of each theme in short: a few notes per field, never who wrote them. */
export function fillCards(list, notes) {
  for (const row of list.querySelectorAll('.theme-row')) {
    const theme = Number(row.dataset.theme);
    for (const line of row.querySelectorAll('.card-line')) {
      const found = notes.filter((n) => n.theme === theme && n.field === line.dataset.field).map((n) => n.text);
      const shortened = found.slice(0, NOTES_PER_FIELD).map((t) => (t.length > NOTE_CHARS ? `${t.slice(0, NOTE_CHARS - 1).trimEnd()}…` : t));
      const more = found.length - shortened.length;
      // Each note set apart (bdi), so a right-to-left note cannot move the dots or the count.
      const parts = shortened.flatMap((t, i) => [...(i ? [' · '] : []), el('bdi', '', t)]);
      if (more > 0) parts.push(` · ${fill(T.more_notes, { n: more })}`);
      line.querySelector('dd').replaceChildren(...parts);
      line.hidden = found.length === 0;
    }
    const card = row.querySelector('.card-short');
    if (card) card.hidden = !card.querySelector('.card-line:not([hidden])');
  }
}

/** The rows' numbers from a tally (every theme and the whole). */
export function fillAll(list, tally, themes) {
  if (!tally) return;
  const byId = new Map(tally.themes.map((r) => [r.theme, r]));
  if (tally.whole) byId.set(WHOLE, tally.whole);
  const most = Math.max(1, ...tally.themes.map((r) => r.chosen ?? 0));
  const themeById = new Map(themes.map((t) => [t.id, t]));
  for (const row of list.querySelectorAll('.theme-row')) {
    const id = Number(row.dataset.theme);
    const data = byId.get(id);
    if (data) fillRow(row, data, themeById.get(id) || { capacity: null }, most);
  }
}

/** "Thema's 1-5 van 20" for a page of rows; whole-only pages say "Het geheel". */
export function themesLabel(ids, allThemes) {
  const positions = ids.filter((id) => id !== WHOLE).map((id) => allThemes.findIndex((t) => t.id === id) + 1);
  if (positions.length === 0) return T.whole_page;
  const first = Math.min(...positions);
  const last = Math.max(...positions);
  return fill(first === last ? T.theme_page : T.themes_page, { first, last, total: allThemes.length });
}

/** The longest a themes label gets for this many themes (room is kept for it while measuring). */
export function longestThemesLabel(total) {
  return fill(T.themes_page, { first: total, last: total, total });
}

/** "Aanvullingen 2 van 3". */
export function additionsLabel(page, pages) {
  return fill(T.additions_page, { page, pages });
}
