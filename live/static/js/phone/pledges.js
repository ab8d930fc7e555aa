// Pledges on the phone: one per theme, listed under each person's name with "Wijzigen" and
// "Intrekken". A second person on the same phone is a participant of its own: a second token and
// connection (live.js `person`), kept in localStorage with the first, never mixed with them.
import { connect, errorText, isolate, newId, replaceChildren, setStatus, texts } from '../live.js';
import { button } from './button.js';
import { clearFieldErrors, setTheme, showFieldErrors, themeValue } from './pledge_fields.js';

const words = texts.phone;
const form = document.getElementById('pledge-form');
const who = document.getElementById('pledge-who');
const listBox = document.getElementById('my-pledges');
const people = document.getElementById('pledge-people');
const themeList = document.getElementById('pledge-themes');
const code = document.body.dataset.code;
const peopleKey = `live:${code}:people`;

// Without storage (a locked-down browser) the people of this phone last as long as the page.
function stored(key, value) {
  try {
    if (value === undefined) return localStorage.getItem(key);
    localStorage.setItem(key, value);
  } catch {
    return null;
  }
  return value;
}
// A person who never sent anything from this phone has no token and no outbox yet.
const acted = (person) => [`live:${code}:${person}:token`, `live:${code}:${person}:phone:outbox`]
  .some((key) => stored(key) !== null);

function loadPeople() {
  try {
    const list = JSON.parse(stored(peopleKey) || '[]');
    if (Array.isArray(list) && list.length && list[0].id === '') return list.filter((p) => !p.id || acted(p.id));
  } catch {
    // A broken list: start again with the first person.
  }
  return [{ id: '', name: '' }];
}

export function createPledges({ send }) {
  let themes = [];
  const folks = loadPeople(); // [{id, name}], the first person has id ''
  const pledges = new Map(folks.map((p) => [p.id, new Map()])); // person -> theme -> pledge
  const conns = new Map(); // person -> live connection ('' is the page's own)
  let current = '';
  let opened = false; // the form was filled from the first snapshot

  const title = (id) => (themes.find((t) => t.id === id) || {}).title || '';
  const savePeople = () => stored(peopleKey, JSON.stringify(folks));
  // Another person's connection opens with their first pledge: only then are they a participant.
  const sendAs = (person, ...args) => (person ? (conns.get(person) || open(person)).send(...args) : send(...args));

  function themeRow(t) {
    const row = document.createElement('div');
    row.className = 'option';
    row.dataset.theme = t.id;
    const label = document.createElement('label');
    label.className = 'choice wide';
    const input = Object.assign(document.createElement('input'), { type: 'radio', name: 'theme', value: String(t.id) });
    input.required = true;
    // The summary of the earlier talks, read out after the theme's name.
    const about = document.createElement('p');
    about.className = 'desc option-about';
    about.id = `pledge-about-${t.id}`;
    input.setAttribute('aria-describedby', about.id);
    label.append(input, document.createElement('span'));
    row.append(label, about);
    return row;
  }

  /** The themes of the newest state, in its order; rows are kept, so a ticked or focused one stays. */
  function drawThemes() {
    const rows = new Map([...themeList.children].map((r) => [Number(r.dataset.theme), r]));
    for (const [id, row] of rows) if (!themes.some((t) => t.id === id)) row.remove();
    themes.forEach((t, at) => {
      const row = rows.get(t.id) || themeRow(t);
      row.querySelector('span').textContent = t.title;
      const about = row.querySelector('.option-about');
      about.textContent = t.description || '';
      about.hidden = !t.description;
      if (themeList.children[at] !== row) themeList.insertBefore(row, themeList.children[at] || null);
    });
  }

  function drawWho() {
    const person = folks.find((p) => p.id === current);
    who.hidden = folks.length < 2 && current === '';
    who.textContent = person && person.name ? words.pledge_for.replace('{name}', isolate(person.name)) : words.new_person;
  }

  function drawList() {
    const blocks = [];
    for (const person of folks) {
      const mine = pledges.get(person.id);
      if (!mine || mine.size === 0) continue;
      const block = document.createElement('div');
      block.className = 'person';
      const name = document.createElement('h3');
      name.textContent = person.name || (person.id ? words.someone : words.me);
      const ul = document.createElement('ul');
      ul.className = 'pledge-list';
      for (const [theme, p] of mine) {
        const li = document.createElement('li');
        li.dataset.theme = theme;
        li.dataset.person = person.id;
        const line = document.createElement('p');
        line.textContent = `${isolate(title(theme) || '…')} (${texts.roles_short[p.role] || ''})`;
        const tools = document.createElement('p');
        tools.className = 'pledge-tools';
        tools.append(
          button(words.edit, () => edit(person.id, theme)),
          button(words.withdraw, () => ask(li, person.id, theme)),
        );
        li.append(line, tools);
        ul.append(li);
      }
      block.append(name, ul);
      blocks.push(block);
    }
    replaceChildren(people, ...blocks);
    listBox.hidden = blocks.length === 0;
  }

  /** "Intrekken" asks first, in place: a tap by mistake takes nothing back. */
  function ask(li, person, theme) {
    const tools = li.querySelector('.pledge-tools');
    const question = document.createElement('p');
    question.className = 'ask';
    question.textContent = words.withdraw_ask.replace('{theme}', isolate(title(theme)));
    const no = button(words.withdraw_no, () => {
      drawList();
      const again = people.querySelector(`li[data-theme="${theme}"][data-person="${person}"] button`);
      if (again) again.focus();
    });
    const yes = button(words.withdraw_yes, () => {
      sendAs(person, 'withdraw', { theme }, `withdraw-${theme}`);
      setStatus('withdraw', words.saving);
    });
    yes.className = 'primary';
    replaceChildren(tools, yes, no);
    li.insertBefore(question, tools);
    no.focus();
  }

  function fill(p) {
    setTheme(p ? p.theme : '');
    for (const input of form.querySelectorAll('input[name="role"], input[name="contact_by"]')) input.checked = false;
    if (p) form.querySelector(`input[name="role"][value="${p.role}"]`).checked = true;
    if (p && p.contact_by) form.querySelector(`input[name="contact_by"][value="${p.contact_by}"]`).checked = true;
    form.name.value = p ? p.name : '';
    form.email.value = p ? p.email || '' : '';
    form.phone.value = p ? p.phone || '' : '';
    form.consent.checked = Boolean(p);
    form.share.checked = Boolean(p && p.share);
    clearFieldErrors();
  }

  function edit(person, theme) {
    current = person;
    fill(pledges.get(person).get(theme));
    drawWho();
    setStatus('pledge', words.changing.replace('{theme}', isolate(title(theme))));
    form.scrollIntoView();
    const ticked = form.querySelector('input[name="theme"]:checked');
    if (ticked) ticked.focus();
  }

  function answered(person, item, ack) {
    if (item.event === 'withdraw') {
      if (!ack.ok) {
        setStatus('withdraw', errorText(ack.error), 'error');
        return;
      }
      if (pledges.has(person)) pledges.get(person).delete(item.payload.theme);
      drawList();
      setStatus('withdraw', words.withdrawn.replace('{theme}', isolate(title(item.payload.theme))), 'ok');
      listBox.hidden = false; // the sentence stays readable even when nothing is left
      listBox.querySelector('h2').tabIndex = -1;
      listBox.querySelector('h2').focus();
      return;
    }
    if (!ack.ok) {
      if (!showFieldErrors([ack.error])) setStatus('pledge', errorText(ack.error), 'error');
      return;
    }
    clearFieldErrors();
    const p = item.payload;
    pledges.get(person).set(p.theme, { ...p });
    const entry = folks.find((f) => f.id === person);
    if (entry) entry.name = p.name;
    savePeople();
    drawList();
    drawWho();
    setStatus('pledge', words.pledged_for.replace('{theme}', isolate(title(p.theme))), 'ok');
  }

  function mineOf(person, mine) {
    const map = new Map((mine.pledges || []).map((p) => [p.theme, p]));
    pledges.set(person, map);
    const entry = folks.find((f) => f.id === person);
    const list = mine.pledges || [];
    const newest = list[list.length - 1];
    if (entry && newest) entry.name = newest.name;
    savePeople();
  }

  function open(person) {
    const conn = connect({
      role: 'phone',
      person,
      onState(state) {
        if (!state.mine) return;
        mineOf(person, state.mine);
        drawList();
        drawWho();
      },
      onRetry: () => setStatus('pledge', words.saving),
      onAck: (item, ack) => answered(person, item, ack),
    });
    conns.set(person, conn);
    return conn;
  }

  for (const person of folks) if (person.id) open(person.id);

  document.getElementById('new-person').addEventListener('click', () => {
    const person = `p${newId().slice(0, 8)}`;
    folks.push({ id: person, name: '' });
    pledges.set(person, new Map());
    savePeople();
    current = person;
    fill(null); // nothing of the person before
    drawWho();
    setStatus('pledge', '');
    form.scrollIntoView();
    form.name.focus();
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const role = form.querySelector('input[name="role"]:checked');
    const by = form.querySelector('input[name="contact_by"]:checked');
    const fields = {
      theme: Number(themeValue()),
      role: role ? role.value : null,
      name: form.name.value.trim(),
      email: form.email.value.trim(),
      phone: form.phone.value.trim(),
      consent: form.consent.checked,
      share: form.share.checked,
    };
    if (by) fields.contact_by = by.value;
    // Check the obvious here, all at once, so nobody waits for the server to say a box is empty.
    const problems = [];
    if (!fields.theme) problems.push('theme_required');
    if (!fields.role) problems.push('bad_role');
    if (!fields.name) problems.push('name_required');
    if (!fields.email && !fields.phone) problems.push('contact_required');
    if (fields.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(fields.email)) problems.push('bad_email');
    if (by && !fields[by.value] && (fields.email || fields.phone)) problems.push('bad_contact_by');
    if (!fields.consent) problems.push('consent_required');
    if (showFieldErrors(problems)) return;
    sendAs(current, 'pledge', fields, `pledge-${fields.theme}`);
    setStatus('pledge', words.saving);
  });

  return {
    draw(state) {
      themes = state.themes;
      // A merged theme's pledges moved along on the server (unless one was there already).
      for (const [old, into] of Object.entries(state.merged || {})) {
        for (const mine of pledges.values()) {
          const p = mine.get(Number(old));
          if (!p) continue;
          mine.delete(Number(old));
          if (!mine.has(into)) mine.set(into, { ...p, theme: into });
        }
      }
      drawThemes();
      drawList();
      drawWho();
    },
    /** The first person's snapshot: their pledges, and the form as they left it. */
    applyMine(mine) {
      mineOf('', mine);
      // Only when the page opens: a reconnect must not undo what someone is typing in the form.
      if (current === '' && !opened) {
        opened = true;
        if (mine.choice && !themeValue()) setTheme(mine.choice);
        if (mine.pledge) {
          fill(mine.pledge);
          setStatus('pledge', words.pledged_for.replace('{theme}', isolate(title(mine.pledge.theme))), 'ok');
        }
      }
      drawList();
      drawWho();
    },
    chose(theme) {
      if (current === '' && !themeValue()) setTheme(theme);
    },
    answered: (item, ack) => answered('', item, ack),
  };
}
