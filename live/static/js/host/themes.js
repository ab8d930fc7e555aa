// Themes, live: add, edit inline, move, remove (asking first when it has answers); after the
// break the tables and capacity per theme, merging a small subgroup, and closing the choice.
import { errorText, setStatus } from '../live.js';
import { el, fieldError, host, keyed, named, say, send, tallyRow, words } from './common.js';

const list = document.getElementById('theme-list');
const AFTER_BREAK = ['topics', 'pledges', 'results'];
const MAX_TABLES = 10;

/** The tables typed in the form: one per line, so a comma stays part of a name. */
export function parseTables(raw) {
  return raw.split('\n').map((p) => p.trim()).filter(Boolean);
}

function themeById(id) {
  return host.state.themes.find((t) => t.id === id);
}

function move(id, by) {
  const order = host.state.themes.map((t) => t.id);
  const at = order.indexOf(id);
  const to = at + by;
  if (at < 0 || to < 0 || to >= order.length) return;
  [order[at], order[to]] = [order[to], order[at]];
  send('order_themes', { order }, {
    status: 'order',
    done(ack) {
      setStatus('order', ack.ok ? words.moved : errorText(ack.error), ack.ok ? 'ok' : 'error');
      return true;
    },
  });
}

function removeTheme(li, id, confirm) {
  const question = li.querySelector('.theme-confirm');
  send('remove_theme', confirm ? { theme: id, confirm: true } : { theme: id }, {
    status: `theme-${id}`,
    done(ack) {
      if (!ack.ok && ack.error === 'confirm_needed') {
        question.querySelector('p').textContent = say('confirm_remove', { n: ack.answers });
        question.hidden = false;
        question.querySelector('p').focus(); // read out first; the buttons come next
        setStatus(`theme-${id}`, '');
        return true;
      }
      if (ack.ok) {
        setStatus('order', words.removed, 'ok');
        document.getElementById('h-themes').focus();
        return true;
      }
      return false;
    },
  });
}

function openEdit(li, id) {
  const theme = themeById(id);
  const form = li.querySelector('form.theme-edit');
  form.elements.title.value = theme.title;
  form.elements.description.value = theme.description;
  form.elements.tables.value = theme.tables.join('\n');
  form.elements.capacity.value = theme.capacity ?? '';
  for (const input of form.querySelectorAll('[aria-invalid]')) fieldError(input, '');
  form.hidden = false;
  li.querySelector('.theme-view').hidden = true;
  form.elements.title.focus();
}

function closeEdit(li) {
  li.querySelector('form.theme-edit').hidden = true;
  li.querySelector('.theme-view').hidden = false;
  li.querySelector('button.edit').focus();
}

function saveEdit(li, id) {
  const form = li.querySelector('form.theme-edit');
  const { title, description, tables, capacity } = form.elements;
  const places = parseTables(tables.value);
  const rawCapacity = capacity.value.trim();
  const count = rawCapacity === '' ? null : /^\d+$/.test(rawCapacity) ? Number(rawCapacity) : NaN;
  fieldError(title, title.value.trim() ? '' : words.title_needed);
  fieldError(tables, places.length > MAX_TABLES ? words.tables_bad : '');
  fieldError(capacity, count === null || (count >= 1 && count <= 10000) ? '' : words.capacity_bad);
  const wrong = form.querySelector('[aria-invalid="true"]');
  if (wrong) {
    wrong.focus();
    return;
  }
  send('edit_theme', { theme: id, title: title.value.trim(), description: description.value.trim(), table: places, capacity: count }, {
    status: `theme-${id}`,
    done(ack) {
      if (ack.ok && !form.hidden) closeEdit(li);
    },
  });
}

function editForm(id) {
  const field = (name, label, control, hint = null) => {
    control.id = `theme-${id}-${name}`;
    control.name = name;
    control.setAttribute('aria-describedby', `${control.id}-error${hint ? ` ${control.id}-hint` : ''}`);
    return el(
      'p',
      { className: 'field' },
      el('label', { htmlFor: control.id }, label),
      hint ? el('span', { className: 'hint', id: `${control.id}-hint` }, hint) : null,
      control,
      el('span', { className: 'field-error', id: `${control.id}-error`, hidden: true }),
    );
  };
  const form = el(
    'form',
    { className: 'theme-edit', hidden: true, noValidate: true },
    field('title', words.title, el('input', { maxLength: 120, autocomplete: 'off' })),
    field('description', words.description, el('textarea', { maxLength: 400 })),
    field('tables', words.tables, el('textarea', { className: 'short' }), words.tables_hint),
    field('capacity', words.capacity, el('input', { type: 'number', min: '1', max: '10000', step: '1', inputMode: 'numeric' }), words.capacity_hint),
    el(
      'div',
      { className: 'button-row' },
      el('button', { type: 'submit', className: 'primary' }, words.save),
      el('button', { type: 'button', className: 'cancel' }, words.cancel),
    ),
  );
  return form;
}

function makeTheme(id) {
  const li = el(
    'li',
    {},
    el(
      'div',
      { className: 'theme-view' },
      el('h3', { className: 'theme-name' }),
      el('p', { className: 'desc' }),
      el('p', { className: 'theme-tables' }),
      el('p', { className: 'theme-empty' }, words.nobody_chose),
      el(
        'div',
        { className: 'button-row' },
        el('button', { type: 'button', className: 'edit' }),
        el('button', { type: 'button', className: 'up' }),
        el('button', { type: 'button', className: 'down' }),
        el('button', { type: 'button', className: 'remove' }),
      ),
    ),
    editForm(id),
    el(
      'div',
      { className: 'theme-confirm', hidden: true },
      el('p', { tabIndex: -1, className: 'warn' }),
      el(
        'div',
        { className: 'button-row' },
        el('button', { type: 'button', className: 'primary yes' }, words.confirm_yes),
        el('button', { type: 'button', className: 'no' }, words.confirm_no),
      ),
    ),
    el(
      'div',
      { className: 'theme-merge' },
      el('p', { className: 'field' }, el('label', { htmlFor: `merge-${id}` }), el('select', { id: `merge-${id}` })),
      el('button', { type: 'button', className: 'merge' }),
    ),
    el('p', { className: 'saved', dataset: { status: `theme-${id}` }, 'aria-live': 'polite' }),
  );
  li.querySelector('.edit').addEventListener('click', () => openEdit(li, id));
  li.querySelector('.up').addEventListener('click', () => move(id, -1));
  li.querySelector('.down').addEventListener('click', () => move(id, 1));
  li.querySelector('.remove').addEventListener('click', () => removeTheme(li, id, false));
  li.querySelector('.yes').addEventListener('click', () => removeTheme(li, id, true));
  li.querySelector('.no').addEventListener('click', () => {
    li.querySelector('.theme-confirm').hidden = true;
    li.querySelector('.remove').focus();
  });
  const form = li.querySelector('form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    saveEdit(li, id);
  });
  form.querySelector('.cancel').addEventListener('click', () => closeEdit(li));
  // Escape is Annuleren: nothing is saved, the keyboard is back on Bewerken.
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      closeEdit(li);
    }
  });
  li.querySelector('.merge').addEventListener('click', () => {
    const into = Number(li.querySelector('select').value);
    if (!into) return;
    send('merge_themes', { theme: id, into }, {
      status: 'order',
      done(ack) {
        setStatus('order', ack.ok ? say('merged_themes', { n: ack.moved }) : errorText(ack.error), ack.ok ? 'ok' : 'error');
        // This theme left the list: the keyboard goes on at the theme it joined.
        if (ack.ok) list.querySelector(`li[data-key="${into}"] button.edit`)?.focus();
        return true;
      },
    });
  });
  return li;
}

function fillTheme(li, id) {
  const theme = themeById(id);
  const themes = host.state.themes;
  const at = themes.indexOf(theme);
  const afterBreak = AFTER_BREAK.includes(host.state.phase);
  li.querySelector('.theme-name').textContent = theme.title;
  const desc = li.querySelector('.desc');
  desc.textContent = theme.description;
  desc.hidden = !theme.description;
  const tables = [
    theme.tables.length ? say('at_tables', { tables: theme.tables.join(' · ') }) : '',
    theme.capacity ? say('capacity_is', { n: theme.capacity }) : '',
  ].filter(Boolean).join(' ');
  li.querySelector('.theme-tables').textContent = tables;
  li.querySelector('.theme-tables').hidden = !tables;
  const row = tallyRow(id);
  const nobody = afterBreak && row !== null && row.chosen === 0;
  li.querySelector('.theme-empty').hidden = !nobody;
  li.classList.toggle('nobody', nobody);
  const labels = [['edit', words.edit], ['up', words.up], ['down', words.down], ['remove', words.remove], ['merge', words.merge]];
  for (const [name, text] of labels) li.querySelector(`button.${name}`).replaceChildren(...named(text, theme.title));
  li.querySelector('.theme-merge label').replaceChildren(...named(words.merge_with, theme.title));
  const up = li.querySelector('.up');
  const down = li.querySelector('.down');
  up.disabled = at === 0;
  down.disabled = at === themes.length - 1;
  // A button that just got disabled (the theme reached the top) hands the focus to its partner.
  if (document.activeElement === up && up.disabled) down.focus();
  if (document.activeElement === down && down.disabled) up.focus();
  li.querySelector('.remove').disabled = themes.length === 1;
  const merge = li.querySelector('.theme-merge');
  merge.hidden = !afterBreak || themes.length === 1;
  const select = merge.querySelector('select');
  const others = themes.filter((t) => t.id !== id);
  const signature = others.map((t) => `${t.id}:${t.title}`).join('|');
  if (select.dataset.signature !== signature) {
    const chosen = select.value;
    // No theme picked until the host picks one: a press on Samenvoegen alone does nothing.
    select.replaceChildren(el('option', { value: '' }, words.pick_theme), ...others.map((t) => el('option', { value: String(t.id) }, t.title)));
    if (others.some((t) => String(t.id) === chosen)) select.value = chosen;
    select.dataset.signature = signature;
  }
}

/** Bring the list of themes and the choice switch up to date. */
export function drawThemes() {
  keyed(list, host.state.themes.map((t) => t.id), makeTheme, fillTheme);
  const locked = host.state.choices_locked;
  document.getElementById('lock-now').textContent = locked ? words.lock_closed : words.lock_open;
  document.getElementById('lock-choices').textContent = locked ? words.unlock : words.lock;
}

document.getElementById('lock-choices').addEventListener('click', () => {
  send('lock_choices', { locked: !host.state.choices_locked }, { status: 'lock' });
});

const addForm = document.getElementById('add-theme');
addForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const title = document.getElementById('new-title');
  const description = document.getElementById('new-desc');
  if (!title.value.trim()) {
    fieldError(title, words.title_needed);
    title.focus();
    return;
  }
  fieldError(title, '');
  send('add_theme', { title: title.value.trim(), description: description.value.trim() }, {
    status: 'add_theme',
    done(ack) {
      if (!ack.ok) return false;
      title.value = '';
      description.value = '';
      setStatus('add_theme', words.added, 'ok');
      return true;
    },
  });
});
