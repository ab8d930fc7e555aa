// The topic choice on the phone: themes from state.themes with their tables, full themes marked
// and not offered, a closed choice, and after choosing the plain words where to go.
import { errorText, isolate, setStatus, texts } from '../live.js';

const words = texts.phone;
const list = document.getElementById('choice-list');
const note = document.getElementById('choice-note');
const goTo = document.getElementById('go-to');

export function createTopics({ send, onChosen }) {
  let themes = [];
  let chosen = null; // theme id
  // The theme last tapped while its choice is on its way: a new state must not untick it.
  let pending = null;
  let table = null; // the place the server gave, or null
  let locked = false;
  const full = new Set(); // themes the state or a theme_full refusal said are full
  let mergedNote = ''; // the sentence about a merged choice, once it happened

  const title = (id) => (themes.find((t) => t.id === id) || {}).title || '';

  function say() {
    const text = [mergedNote, locked ? words.locked : ''].filter(Boolean).join(' ');
    note.textContent = text;
    note.hidden = !text;
  }

  function option(theme) {
    const row = document.createElement('div');
    row.className = 'option';
    row.dataset.theme = theme.id;
    const label = document.createElement('label');
    label.className = 'choice wide';
    const input = document.createElement('input');
    Object.assign(input, { type: 'radio', name: 'choice', value: String(theme.id) });
    input.dataset.action = 'choose';
    input.dataset.theme = theme.id;
    input.setAttribute('aria-describedby', `choice-about-${theme.id}`);
    const name = document.createElement('span');
    name.className = 'theme-title';
    const mark = document.createElement('strong'); // not a span: the title is the label's one span
    mark.className = 'full-mark';
    mark.textContent = words.full;
    label.append(input, name, mark);
    const about = document.createElement('p');
    about.className = 'desc option-about';
    about.id = `choice-about-${theme.id}`;
    row.append(label, about);
    return row;
  }

  function drawGoTo() {
    goTo.hidden = chosen === null || !themes.some((t) => t.id === chosen);
    if (goTo.hidden) return;
    const theme = themes.find((t) => t.id === chosen);
    // The table the server gave; after a merge, or when the host renamed the tables, the theme's.
    const place = table && theme.tables.includes(table) ? table : theme.tables.join(' of ');
    document.getElementById('go-label').textContent = place ? words.go_to : '';
    document.getElementById('go-label').hidden = !place;
    document.getElementById('go-place').textContent = place || words.no_table;
    document.getElementById('go-theme').textContent = `${words.your_topic} ${isolate(theme.title)}`;
  }

  function drawList() {
    const rows = new Map([...list.children].map((r) => [Number(r.dataset.theme), r]));
    for (const [id, row] of rows) if (!themes.some((t) => t.id === id)) row.remove();
    themes.forEach((theme, at) => {
      const row = rows.get(theme.id) || option(theme);
      row.querySelector('.theme-title').textContent = theme.title;
      const places = theme.tables.length ? `${words.tables} ${theme.tables.join(', ')}` : '';
      row.querySelector('.option-about').textContent = [theme.description, places].filter(Boolean).join(' · ');
      row.querySelector('.option-about').hidden = !theme.description && !places;
      const isFull = full.has(theme.id) && theme.id !== chosen;
      row.querySelector('.full-mark').hidden = !isFull;
      const input = row.querySelector('input');
      input.checked = theme.id === (pending === null ? chosen : pending);
      input.disabled = locked || isFull;
      if (list.children[at] !== row) list.insertBefore(row, list.children[at] || null);
    });
  }

  function draw() {
    drawList();
    drawGoTo();
    say();
  }

  list.addEventListener('change', (event) => {
    const input = event.target;
    if (input.dataset.action !== 'choose') return;
    pending = Number(input.dataset.theme);
    send('choose', { theme: pending }, 'choose');
    setStatus('choose', words.saving);
  });

  return {
    draw(state) {
      themes = state.themes;
      locked = Boolean(state.choices_locked);
      if (Array.isArray(state.full)) {
        // The server says which themes are full now (also when a seat came free again).
        full.clear();
        for (const id of state.full) full.add(id);
      }
      const moved = chosen !== null && (state.merged || {})[String(chosen)];
      if (moved) {
        chosen = moved;
        table = null; // the new theme's tables apply now
        mergedNote = words.merged.replace('{theme}', isolate(title(moved)));
        onChosen(chosen, false);
      }
      draw();
    },
    applyMine(mine) {
      chosen = mine.choice === undefined ? null : mine.choice;
      table = mine.table === undefined ? null : mine.table;
      if (chosen !== null) setStatus('choose', words.saved, 'ok');
      draw();
    },
    applyPending(item) {
      if (item.event !== 'choose') return;
      pending = item.payload.theme;
      const input = list.querySelector(`input[value="${item.payload.theme}"]`);
      if (input) input.checked = true;
    },
    chosen: () => chosen,
    /** The server answered a choice. */
    answered(item, ack) {
      // An older tap answered while a newer one is on its way keeps the newer one ticked.
      if (item.payload.theme === pending) pending = null;
      if (ack.ok) {
        chosen = item.payload.theme;
        table = ack.table || null;
        setStatus('choose', words.saved, 'ok');
        mergedNote = '';
        draw();
        onChosen(chosen, true);
        return;
      }
      if (ack.error === 'theme_full') {
        const room = ack.room || [];
        for (const t of themes) if (!room.includes(t.id)) full.add(t.id);
        full.add(item.payload.theme);
        const names = room.map(title).filter(Boolean);
        const sentence = names.length ? words.full_room.replace('{themes}', names.map(isolate).join(', ')) : words.full_none;
        setStatus('choose', sentence, 'error');
      } else {
        if (ack.error === 'choices_locked') locked = true;
        setStatus('choose', errorText(ack.error), 'error');
      }
      draw(); // back to the choice that holds
    },
  };
}
