// The subgroup card on the phone: four fields of short notes, live from state.card and `note`
// messages. Everyone adds notes; a phone edits or removes only its own. Each note is its own list
// item, changed one at a time, so a note being typed or edited is never wiped by somebody else's.
import { errorText, isolate, replaceChildren, setStatus, texts } from '../live.js';
import { button } from './button.js';

const words = texts.phone;
const fields = document.getElementById('card-fields');
const otherForm = document.getElementById('other-table');
const otherSelect = document.getElementById('other-theme');

export function createCard({ send }) {
  let themes = [];
  let followed = null; // the theme whose card this phone shows
  const notes = new Map(); // id -> {id, theme, field, text}
  const own = new Set(); // ids of this phone's notes

  const listOf = (field) => fields.querySelector(`.card-field[data-field="${field}"] .notes`);
  const itemOf = (id) => fields.querySelector(`li[data-note="${id}"]`);
  const fieldOfItem = (item) => (notes.get(item.payload.note) || {}).field;
  const focus = (el) => el && el.focus();

  function fillItem(li, note) {
    replaceChildren(li);
    delete li.dataset.editing;
    const text = document.createElement('span');
    text.className = 'note-text';
    text.textContent = note.text; // attendee text: never as HTML
    li.append(text);
    li.classList.toggle('own', own.has(note.id));
    if (!own.has(note.id)) return;
    const mark = document.createElement('span');
    mark.className = 'note-own';
    mark.textContent = ` ${words.yours}`;
    const tools = document.createElement('span');
    tools.className = 'note-tools';
    tools.append(
      button(words.edit, () => startEdit(li, note.id)),
      button(words.remove, () => {
        send('remove_note', { note: note.id }, `remove-${note.id}`);
        setStatus(`note-${note.field}`, words.saving);
      }),
    );
    li.append(mark, tools);
  }

  function startEdit(li, id) {
    const note = notes.get(id);
    replaceChildren(li);
    li.dataset.editing = '1';
    const form = document.createElement('form');
    form.className = 'note-edit';
    const label = document.createElement('label');
    label.textContent = words.edit_label;
    label.htmlFor = `edit-${id}`;
    const box = document.createElement('textarea');
    box.id = `edit-${id}`;
    box.rows = 2;
    box.value = note.text;
    const save = document.createElement('button');
    save.type = 'submit';
    save.className = 'primary';
    save.textContent = words.save;
    form.append(label, box, save, button(words.cancel, () => {
      fillItem(li, notes.get(id));
      li.querySelector('button').focus();
    }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = box.value.trim();
      if (!text) {
        setStatus(`note-${note.field}`, errorText('text_empty'), 'error');
        return;
      }
      send('edit_note', { note: id, text }, `edit-${id}`);
      setStatus(`note-${note.field}`, words.saving);
    });
    li.append(form);
    box.focus();
  }

  function put(note) {
    notes.set(note.id, note);
    if (note.theme !== followed) return;
    let li = itemOf(note.id);
    if (!li) {
      li = document.createElement('li');
      li.dataset.note = note.id;
      listOf(note.field).append(li);
    }
    // A note open for editing keeps what its writer is typing.
    if (!li.dataset.editing) fillItem(li, note);
    showEmpty();
  }

  function drop(id) {
    notes.delete(id);
    own.delete(id);
    const li = itemOf(id);
    if (li) li.remove();
    showEmpty();
  }

  function showEmpty() {
    for (const field of fields.querySelectorAll('.card-field')) {
      field.querySelector('.notes-empty').hidden = field.querySelector('.notes li') !== null;
    }
  }

  function drawHead() {
    const theme = themes.find((t) => t.id === followed);
    document.getElementById('card-of').textContent = theme ? words.card_of.replace('{theme}', isolate(theme.title)) : '';
    document.getElementById('card-none').hidden = followed !== null;
    fields.hidden = followed === null;
    const kept = otherSelect.value;
    replaceChildren(otherSelect, ...themes.map((t) => new Option(t.title, String(t.id))));
    otherSelect.value = kept || (followed === null ? '' : String(followed));
  }

  /** Show one card with all its notes (a new choice, another table, a connect). */
  function showCard(theme, list) {
    followed = theme;
    for (const ul of fields.querySelectorAll('.notes')) replaceChildren(ul);
    for (const [id, note] of notes) if (note.theme === theme) notes.delete(id);
    for (const note of list) put(note);
    drawHead();
    showEmpty();
  }

  for (const form of fields.querySelectorAll('.note-form')) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const field = form.dataset.field;
      const text = form.text.value.trim();
      if (!text) {
        setStatus(`note-${field}`, errorText('text_empty'), 'error');
        return;
      }
      if ([...text].length > Number(form.text.dataset.limit)) {
        setStatus(`note-${field}`, errorText('text_too_long'), 'error');
        return;
      }
      send('note', { theme: followed, field, text });
      setStatus(`note-${field}`, words.saving);
    });
  }
  otherForm.addEventListener('submit', (event) => {
    event.preventDefault();
    send('card', { theme: Number(otherSelect.value) }, 'card');
    setStatus('card', words.saving);
  });

  return {
    draw(state) {
      themes = state.themes;
      const moved = followed !== null && (state.merged || {})[String(followed)];
      if (moved) send('card', { theme: moved }, 'card');
      drawHead();
    },
    /** The connect snapshot: own notes, and the chosen theme's card. */
    applyMine(mine, state) {
      for (const n of mine.notes || []) own.add(n.id);
      const wanted = followed;
      if (mine.choice != null && state.card) showCard(mine.choice, state.card);
      // This phone looked at another table before the reconnect: follow that card again.
      if (wanted !== null && wanted !== mine.choice) send('card', { theme: wanted }, 'card');
    },
    /** A phone chose a theme: its card comes with the next `card` answer. */
    follow(theme) {
      send('card', { theme }, 'card');
    },
    onNote(note) {
      if (note.removed) drop(note.id);
      else put(note);
    },
    statusKey(item) {
      if (item.event === 'card') return 'card';
      return `note-${item.payload.field || fieldOfItem(item) || 'how'}`;
    },
    answered(item, ack) {
      const key = this.statusKey(item);
      if (!ack.ok) {
        setStatus(key, errorText(ack.error), 'error');
        return;
      }
      if (item.event === 'card') {
        showCard(item.payload.theme, ack.notes || []);
        setStatus('card', '');
      } else if (item.event === 'note') {
        own.add(ack.note);
        // The text as stored (the `note` message with it may have come first); an older server's
        // ack has none.
        const text = ack.text === undefined || ack.text === null ? item.payload.text : ack.text;
        put({ id: ack.note, theme: item.payload.theme, field: item.payload.field, text });
        setStatus(key, words.note_added, 'ok');
        const form = fields.querySelector(`.note-form[data-field="${item.payload.field}"]`);
        if (form.text.value.trim() === item.payload.text) form.text.value = '';
      } else if (item.event === 'edit_note') {
        const note = notes.get(item.payload.note);
        if (note) {
          const li = itemOf(note.id);
          if (li) delete li.dataset.editing;
          put({ ...note, text: ack.text === undefined || ack.text === null ? item.payload.text : ack.text });
          if (li) focus(li.querySelector('button'));
        }
        setStatus(`note-${ack.field}`, words.saved, 'ok');
      } else if (item.event === 'remove_note') {
        drop(item.payload.note);
        setStatus(`note-${ack.field}`, words.note_removed, 'ok');
        focus(fields.querySelector(`#note-${ack.field}`));
      }
    },
  };
}
