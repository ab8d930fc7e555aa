// After the break: every subgroup card live (four questions), typing in a card from paper,
// changing or removing any note, and per theme the volunteers by role, warning without a trekker.
import { errorText, setStatus } from '../live.js';
import { el, fieldError, host, named, say, send, tallyRow, words } from './common.js';

// In the order of the card (the texts arrive as JSON with sorted keys).
const FIELDS = ['how', 'needs', 'lead', 'first_step'];
const list = document.getElementById('card-list');
const PLEDGING = ['pledges', 'results'];
const notes = new Map(); // note id -> {id, theme, field, text}
let editing = null; // {id, draft}: the note being changed, kept over redraws

/** Every note of every card, from a snapshot. */
export function notesFromState(state) {
  if (!state.cards) return;
  notes.clear();
  for (const note of state.cards) notes.set(note.id, note);
}

/** One changed note (`note` message): added, changed or removed. */
export function applyNote(note) {
  if (note.removed) notes.delete(note.id);
  else notes.set(note.id, note);
  drawCards();
}

function noteItem(note) {
  const about = note.text.length > 30 ? `${note.text.slice(0, 29)}…` : note.text;
  if (editing && editing.id === note.id) {
    const box = el('textarea', { id: `note-${note.id}`, maxLength: 280, dataset: { focus: `${note.id}:text` } });
    box.value = editing.draft ?? note.text;
    box.addEventListener('input', () => { editing.draft = box.value; });
    const save = () => send('edit_note', { note: note.id, text: box.value.trim() }, {
      status: 'cards',
      done(ack) {
        if (ack.ok) {
          editing = null;
          drawCards(`${note.id}:edit`);
        }
        return false;
      },
    });
    return el('li', { dataset: { note: String(note.id) } },
      el('p', { className: 'field' }, el('label', { htmlFor: box.id }, words.note_edit_label), box),
      el('div', { className: 'button-row' },
        el('button', { type: 'button', className: 'primary', dataset: { focus: `${note.id}:save` }, onclick: save }, words.save),
        el('button', { type: 'button', dataset: { focus: `${note.id}:cancel` }, onclick: () => { editing = null; drawCards(`${note.id}:edit`); } }, words.cancel)));
  }
  return el('li', { dataset: { note: String(note.id) } },
    el('p', { className: 'note-text' }, note.text), // attendee text: never as HTML
    el('div', { className: 'button-row' },
      el('button', {
        type: 'button', dataset: { focus: `${note.id}:edit` },
        onclick: () => { editing = { id: note.id, draft: null }; drawCards(`${note.id}:text`); },
      }, ...named(words.edit, about)),
      el('button', {
        type: 'button', dataset: { focus: `${note.id}:remove` },
        onclick: () => send('remove_note', { note: note.id }, {
          status: 'cards',
          done(ack) {
            if (!ack.ok) return false;
            setStatus('cards', words.note_removed, 'ok');
            // The note left the card: the keyboard goes on at the card's title.
            drawCards(`card:${note.theme}`);
            return true;
          },
        }),
      }, ...named(words.remove, about))));
}

function themeCard(theme) {
  const row = tallyRow(theme.id);
  const roles = row ? row.roles : { lead: 0, member: 0, occasional: 0 };
  const headingId = `card-h-${theme.id}`;
  const mine = [...notes.values()].filter((n) => n.theme === theme.id).sort((a, b) => a.id - b.id);
  return el('section', { className: 'theme-card', 'aria-labelledby': headingId, dataset: { card: String(theme.id) } },
    el('h3', { id: headingId, tabIndex: -1, dataset: { focus: `card:${theme.id}` } }, theme.title),
    el('p', { className: 'roles' }, say('roles_line', roles)),
    // Only once people sign up: before that every theme would warn, and say nothing.
    roles.lead === 0 && PLEDGING.includes(host.state.phase) ? el('p', { className: 'warn no-lead' }, words.no_lead) : null,
    ...FIELDS.map((field) => {
      const here = mine.filter((n) => n.field === field);
      return el('div', { className: 'card-field', dataset: { field } },
        el('h4', {}, words.fields[field]),
        here.length ? el('ul', { className: 'notes' }, ...here.map(noteItem)) : el('p', { className: 'empty' }, words.no_notes));
    }));
}

/** Draw every card again; the focus stays on the control it was on. */
let drawn = '';
export function drawCards(focusKey = undefined) {
  if (!host.state) return;
  // Redrawn only when something on it changed: a tally a second must not disturb typing.
  const roles = host.state.themes.map((t) => JSON.stringify(tallyRow(t.id)?.roles ?? null));
  const signature = JSON.stringify([host.state.themes, host.state.phase, [...notes.values()], roles, editing && editing.id]);
  if (focusKey === undefined && signature === drawn) return;
  drawn = signature;
  const focused = list.contains(document.activeElement) ? document.activeElement.dataset.focus : null;
  const refocus = focusKey === undefined ? focused : focusKey;
  if (editing && !notes.has(editing.id)) editing = null;
  list.replaceChildren(...host.state.themes.map(themeCard));
  if (refocus) list.querySelector(`[data-focus="${refocus}"]`)?.focus();
  // The paper form offers every theme that is on the screens now.
  const select = document.getElementById('paper-theme');
  const options = host.state.themes.map((t) => `${t.id}:${t.title}`).join('|');
  if (select.dataset.signature !== options) {
    const chosen = select.value;
    select.replaceChildren(...host.state.themes.map((t) => el('option', { value: String(t.id) }, t.title)));
    if (host.state.themes.some((t) => String(t.id) === chosen)) select.value = chosen;
    select.dataset.signature = options;
  }
}

document.getElementById('paper-note').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = document.getElementById('paper-text');
  if (!text.value.trim()) {
    fieldError(text, errorText('text_empty'));
    text.focus();
    return;
  }
  fieldError(text, '');
  const fields = {
    theme: Number(document.getElementById('paper-theme').value),
    field: document.getElementById('paper-field').value,
    text: text.value.trim(),
  };
  send('note', fields, {
    status: 'paper',
    done(ack) {
      if (!ack.ok) return false;
      text.value = '';
      setStatus('paper', words.note_added, 'ok');
      return true;
    },
  });
});
