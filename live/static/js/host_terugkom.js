// The host screen of a terugkombijeenkomst: the four parts, who presents, tops and questions
// (host/additions.js, as the evening's additions), the agreements and the working groups with
// their plan and the adviser's call list; adding, merging and removing a group. Only the host
// ever gets status, last call and note.
import { connect, errorText, setStatus, showPhase, texts } from './live.js';
import { acked, el, fieldError, host, keyed, send } from './host/common.js';
import { additionsFromState, listenForAdditions, render as drawAdditions } from './host/additions.js';
import { drawNav } from './host/nav.js';

const words = texts.follow_up;
const PLAN = ['goal', 'actions', 'tasks', 'needs', 'when', 'first_step'];
const STATUSES = ['loopt', 'loopt_vast', 'vraagt_hulp'];
// Each group's link by theme id: from the page, and for a group added now from its ack.
const groupLinks = JSON.parse(document.getElementById('group-links').textContent);
let editing = null; // the id of the agreement in the form, or null for a new one

const title = (id) => (host.state.themes.find((t) => t.id === id) || { title: '' }).title;
const groupsOf = (ids) => ids.map(title).join(' en ');

// -- who presents ---------------------------------------------------------------------------

function drawPresenting() {
  const now = host.state.presenting;
  document.getElementById('presenting-now').textContent = now
    ? `Nu presenteert: ${title(now)}. De beamer laat het plan van deze groep zien.`
    : 'Nog niemand. Kies hieronder de groep die nu presenteert.';
  keyed(document.getElementById('present-list'), host.state.groups.map((g) => g.theme), (theme) => {
    const button = el('button', { type: 'button', onclick: () => present(theme) });
    return el('li', {}, button);
  }, (li, theme) => {
    const button = li.querySelector('button');
    const on = theme === now;
    button.className = on ? 'primary' : '';
    button.setAttribute('aria-pressed', String(on));
    button.textContent = `${title(theme)} presenteert nu`;
  });
}

function present(theme) {
  send('set_presenting', { theme }, { key: 'set_presenting', status: 'set_presenting' });
}
document.getElementById('present-none').addEventListener('click', () => present(null));

// -- the agreements ---------------------------------------------------------------------------

const agreementForm = document.getElementById('agreement-form');
const agreementText = document.getElementById('agreement-text');

function drawAgreementGroups() {
  keyed(document.getElementById('agreement-groups'), host.state.groups.map((g) => g.theme), (theme) => {
    const input = el('input', { type: 'checkbox', name: 'agreement-theme', value: String(theme) });
    return el('label', { className: 'choice wide' }, input, el('span', {}));
  }, (label, theme) => {
    label.querySelector('span').textContent = title(theme);
  });
}

function resetAgreementForm() {
  editing = null;
  agreementForm.reset();
  document.getElementById('agreement-form-title').textContent = 'Nieuwe afspraak';
  document.getElementById('agreement-save').textContent = 'Afspraak opslaan';
  document.getElementById('agreement-cancel').hidden = true;
  fieldError(agreementText, '');
}

function editAgreement(a) {
  editing = a.id;
  agreementText.value = a.text;
  document.getElementById('agreement-who').value = a.who || '';
  document.getElementById('agreement-due').value = a.due || '';
  for (const box of agreementForm.querySelectorAll('input[name="agreement-theme"]')) {
    box.checked = a.themes.includes(Number(box.value));
  }
  document.getElementById('agreement-form-title').textContent = `Afspraak ${a.id} veranderen`;
  document.getElementById('agreement-save').textContent = 'Wijziging opslaan';
  document.getElementById('agreement-cancel').hidden = false;
  agreementText.focus();
}

function drawAgreements() {
  const list = host.state.agreements || [];
  document.getElementById('no-host-agreements').hidden = list.length > 0;
  keyed(document.getElementById('agreement-list'), list.map((a) => a.id), () => el('li', { className: 'agreement-item' }), (li, id) => {
    const a = list.find((x) => x.id === id);
    const meta = [`Werkgroep: ${groupsOf(a.themes)}`];
    if (a.who) meta.push(`Wie: ${a.who}`);
    if (a.due) meta.push(`Wanneer: ${a.due}`);
    const remove = el('button', { type: 'button' }, 'Weghalen', el('span', { className: 'sr-only' }, `: afspraak ${a.id}`));
    remove.addEventListener('click', () => {
      if (!window.confirm(`Afspraak ${a.id} weghalen?`)) return;
      send('remove_agreement', { agreement: a.id }, { status: 'agreement' });
    });
    const edit = el('button', { type: 'button', onclick: () => editAgreement(a) }, 'Veranderen', el('span', { className: 'sr-only' }, `: afspraak ${a.id}`));
    li.replaceChildren(
      el('p', { className: 'agreement-text' }, a.text),
      el('p', { className: 'hint' }, meta.join(' · ')),
      el('div', { className: 'button-row' }, edit, remove));
  });
}

agreementForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const themes = [...agreementForm.querySelectorAll('input[name="agreement-theme"]:checked')].map((b) => Number(b.value));
  const text = agreementText.value.trim();
  const groupsError = document.getElementById('agreement-groups-error');
  fieldError(agreementText, text ? '' : 'Schrijf op wat u afspreekt.');
  groupsError.textContent = themes.length ? '' : errorText('bad_themes');
  groupsError.hidden = themes.length > 0;
  if (!text || !themes.length) return;
  const fields = { text, themes, who: document.getElementById('agreement-who').value.trim(), due: document.getElementById('agreement-due').value.trim() };
  const was = editing;
  send(was ? 'edit_agreement' : 'agreement', was ? { agreement: was, ...fields } : fields, {
    status: 'agreement',
    done(ack) {
      if (ack.ok) {
        setStatus('agreement', was ? 'Wijziging opgeslagen ✓' : 'Afspraak opgeslagen ✓', 'ok');
        if (editing === was) resetAgreementForm();
        return true;
      }
      return false;
    },
  });
});
document.getElementById('agreement-cancel').addEventListener('click', resetAgreementForm);

// -- the working groups: plan, call list, members, link ------------------------------------------

function field(id, label, control) {
  control.id = id;
  return el('p', { className: 'field' }, el('label', { htmlFor: id }, label), control);
}

function makeGroup(theme) {
  const node = el('article', { className: 'group-card', 'aria-labelledby': `g-${theme}-title` });
  node.saved = { plan: {}, call: {} };
  const planForm = el('form', { className: 'plan-form', noValidate: true });
  for (const name of PLAN) {
    planForm.append(field(`g-${theme}-${name}`, words.plan[name], el('textarea', { name, rows: 2, maxLength: 1000 })));
  }
  planForm.append(el('button', { type: 'submit', className: 'primary' }, 'Plan opslaan'),
    el('p', { className: 'saved', dataset: { status: `plan-${theme}` }, 'aria-live': 'polite' }));
  planForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const fields = {};
    for (const name of PLAN) fields[name] = planForm.elements[name].value;
    send('plan', { theme, fields }, { key: `plan-${theme}`, status: `plan-${theme}` });
  });
  const select = el('select', { name: 'status' }, ...STATUSES.map((s) => el('option', { value: s }, words.status[s])));
  const callForm = el('form', { className: 'call-form', noValidate: true },
    field(`g-${theme}-status`, 'Hoe gaat het?', select),
    field(`g-${theme}-called`, 'Laatst gebeld op', el('input', { type: 'date', name: 'called_on' })),
    field(`g-${theme}-note`, 'Notitie (alleen voor u)', el('textarea', { name: 'note', rows: 2, maxLength: 1000 })),
    el('button', { type: 'submit', className: 'primary' }, 'Opslaan'),
    el('p', { className: 'saved', dataset: { status: `call-${theme}` }, 'aria-live': 'polite' }));
  callForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const e = callForm.elements;
    send('set_group_status', { theme, status: e.status.value, called_on: e.called_on.value, note: e.note.value },
      { key: `call-${theme}`, status: `call-${theme}` });
  });
  const link = el('input', { readOnly: true, value: groupLinks[theme] || '', className: 'group-link-input' });
  node.append(
    el('h3', { id: `g-${theme}-title`, tabIndex: -1 }, el('span', { className: 'group-title' }), ' ', el('span', { className: 'group-badge' })),
    el('p', { className: 'group-facts' }),
    el('details', { className: 'call' }, el('summary', {}, 'Bellijst: hoe gaat het?'), callForm),
    el('details', { className: 'plan' }, el('summary', {}, 'Plan van de groep'), planForm),
    el('details', { className: 'members' }, el('summary', {}, 'Wie doet mee?'), el('ul', { className: 'plain-list member-list' })),
    el('details', { className: 'link' }, el('summary', {}, 'Link van de groep'),
      el('p', {}, 'Met deze link schrijft de groep zelf het plan. Geef hem alleen aan de leden.'),
      field(`g-${theme}-link`, 'Link van de werkgroep', link)),
    groupTools(theme));
  return node;
}

// -- adding, merging and removing a group ------------------------------------------------------

/** "Samenvoegen met…" and "Weghalen" for one group, each asking first in plain words. */
function groupTools(theme) {
  const select = el('select', { id: `g-${theme}-into`, name: 'into' });
  const merge = el('button', { type: 'button', className: 'merge' }, 'Samenvoegen', el('span', { className: 'sr-only group-name' }));
  const remove = el('button', { type: 'button', className: 'remove' }, 'Weghalen', el('span', { className: 'sr-only group-name' }));
  const question = el('p', { tabIndex: -1 });
  const yes = el('button', { type: 'button', className: 'primary yes' });
  const no = el('button', { type: 'button', className: 'no' }, 'Nee, laten staan');
  const confirm = el('div', { className: 'group-confirm', hidden: true, role: 'group', 'aria-label': 'Weet u het zeker?' },
    question, el('div', { className: 'button-row' }, yes, no));
  const tools = el('div', { className: 'group-tools' },
    el('p', { className: 'field' }, el('label', { htmlFor: select.id }, 'Samenvoegen met…'), select),
    el('div', { className: 'button-row' }, merge, remove),
    confirm,
    el('p', { className: 'saved', dataset: { status: `group-${theme}` }, 'aria-live': 'polite' }));
  let pending = null; // what Ja does: the merge or the removal asked about
  const ask = (text, yesText, action) => {
    question.textContent = text;
    yes.textContent = yesText;
    pending = action;
    confirm.hidden = false;
    question.focus(); // read out first; the buttons come next
  };
  merge.addEventListener('click', () => {
    const into = Number(select.value);
    if (!into) {
      setStatus(`group-${theme}`, 'Kies eerst de groep waarmee u wilt samenvoegen.', 'error');
      select.focus();
      return;
    }
    ask(`${title(theme)} samenvoegen met ${title(into)}? De leden, de kaart en wat de groep schreef gaan mee naar ${title(into)}. De link van ${title(theme)} werkt daarna niet meer.`,
      'Ja, samenvoegen', () => mergeGroup(theme, into));
  });
  remove.addEventListener('click', () => removeGroup(theme, false, ask));
  yes.addEventListener('click', () => {
    confirm.hidden = true;
    if (pending) pending();
    pending = null;
  });
  no.addEventListener('click', () => {
    confirm.hidden = true;
    pending = null;
    merge.focus();
  });
  return tools;
}

function mergeGroup(theme, into) {
  send('merge_themes', { theme, into }, {
    status: `group-${theme}`,
    done(ack) {
      if (!ack.ok) return false;
      setStatus('add_group', `Samengevoegd met ${title(into)}.`, 'ok');
      // This group left the list: the keyboard goes on at the group it joined.
      document.querySelector(`#group-list [data-key="${into}"] h3`)?.focus();
      return true;
    },
  });
}

function removeGroup(theme, confirmed, ask) {
  const name = title(theme);
  send('remove_theme', confirmed ? { theme, confirm: true } : { theme }, {
    status: `group-${theme}`,
    done(ack) {
      if (!ack.ok && ack.error === 'confirm_needed') {
        const n = ack.answers;
        const done = n === 1 ? 'staat al 1 aanmelding, top of vraag' : `staan al ${n} aanmeldingen, tops of vragen`;
        ask(`${name} weghalen? Bij deze groep ${done}. Dat blijft bewaard, maar de groep staat niet meer op de schermen en de link van de groep werkt niet meer.`,
          'Ja, weghalen', () => removeGroup(theme, true, ask));
        setStatus(`group-${theme}`, '');
        return true;
      }
      if (!ack.ok) return false;
      setStatus('add_group', `${name} is weggehaald.`, 'ok');
      document.getElementById('h-groups').focus();
      return true;
    },
  });
}

function drawGroupTools(node, theme) {
  const name = title(theme);
  for (const span of node.querySelectorAll('.group-name')) span.textContent = `: ${name}`;
  const others = host.state.groups.filter((g) => g.theme !== theme);
  const select = node.querySelector('select[name="into"]');
  const signature = others.map((g) => `${g.theme}:${title(g.theme)}`).join('|');
  if (select.dataset.signature !== signature) {
    const chosen = select.value;
    // No group picked until the host picks one: Samenvoegen alone asks for one first.
    select.replaceChildren(el('option', { value: '' }, 'Kies een groep'),
      ...others.map((g) => el('option', { value: String(g.theme) }, title(g.theme))));
    if (others.some((g) => String(g.theme) === chosen)) select.value = chosen;
    select.dataset.signature = signature;
  }
  node.querySelector('button.merge').disabled = others.length === 0;
  node.querySelector('button.remove').disabled = others.length === 0; // the last group stays
}

const addGroup = document.getElementById('add-group');
addGroup.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = document.getElementById('new-group-title');
  const description = document.getElementById('new-group-desc');
  if (!name.value.trim()) {
    fieldError(name, 'Schrijf de naam van de groep op.');
    name.focus();
    return;
  }
  fieldError(name, '');
  send('add_theme', { title: name.value.trim(), description: description.value.trim() }, {
    status: 'add_group',
    done(ack) {
      if (!ack.ok) return false;
      if (ack.link) groupLinks[ack.theme] = ack.link;
      name.value = '';
      description.value = '';
      setStatus('add_group', ack.link
        ? 'De groep staat er nu bij. De link van de groep staat bij de groep, onder "Link van de groep".'
        : 'De groep staat er nu bij.', 'ok');
      drawGroups();
      return true;
    },
  });
});

/** An ISO day as people write it: "2 april 2026". */
function longDay(iso) {
  const day = new Date(`${iso}T12:00:00`);
  return Number.isNaN(day.getTime()) ? iso : day.toLocaleDateString('nl-NL', { day: 'numeric', month: 'long', year: 'numeric' });
}

/** Fill a control unless someone is typing in it (its value differs from what was saved). */
function fill(control, value, old) {
  if (document.activeElement === control || control.value !== (old ?? control.value)) return;
  control.value = value ?? '';
}

function updateGroup(node, theme) {
  const g = host.state.groups.find((x) => x.theme === theme);
  node.querySelector('.group-title').textContent = title(theme);
  const badge = node.querySelector('.group-badge');
  badge.textContent = words.status[g.status] || '';
  badge.dataset.status = g.status;
  const facts = [`${g.members_count} ${g.members_count === 1 ? 'lid' : 'leden'}`,
    g.called_on ? `laatst gebeld op ${longDay(g.called_on)}` : 'nog niet gebeld',
    g.plan.first_step ? `eerste stap: ${g.plan.first_step}` : 'nog geen eerste stap'];
  node.querySelector('.group-facts').textContent = facts.join(' · ');
  const plan = node.querySelector('.plan-form').elements;
  for (const name of PLAN) fill(plan[name], g.plan[name], node.saved.plan[name]);
  const call = node.querySelector('.call-form').elements;
  fill(call.status, g.status, node.saved.call.status);
  fill(call.called_on, g.called_on, node.saved.call.called_on);
  fill(call.note, g.note, node.saved.call.note);
  node.saved = { plan: { ...g.plan }, call: { status: g.status, called_on: g.called_on, note: g.note } };
  const others = Object.values(g.others || {}).reduce((a, b) => a + b, 0);
  const items = (g.members || []).map((m) => el('li', {}, el('strong', {}, m.name),
    el('span', { className: 'hint' }, [texts.roles_short[m.role], m.email, m.phone].filter(Boolean).join(' · '))));
  if (others) items.push(el('li', {}, `En ${others} ${others === 1 ? 'persoon' : 'mensen'} die hun naam niet delen.`));
  node.querySelector('.member-list').replaceChildren(...items);
  const link = node.querySelector('input.group-link-input');
  if (!link.value && groupLinks[theme]) link.value = groupLinks[theme];
  drawGroupTools(node, theme);
}

function drawGroups() {
  const groups = host.state.groups || [];
  keyed(document.getElementById('group-list'), groups.map((g) => g.theme), makeGroup, updateGroup);
  const help = groups.filter((g) => g.status === 'vraagt_hulp').map((g) => title(g.theme));
  document.getElementById('help-count').textContent = help.length
    ? `Vraagt hulp: ${help.join(', ')}. Bel of mail deze groep.` : '';
}

// -- the connection ---------------------------------------------------------------------------

function drawAll() {
  drawPresenting();
  drawAgreementGroups();
  drawAgreements();
  drawGroups();
}

host.live = connect({
  role: 'host',
  onState(state) {
    host.state = state;
    showPhase(state.phase);
    for (const button of document.querySelectorAll('button.phase')) {
      button.setAttribute('aria-pressed', String(button.dataset.phase === state.phase));
    }
    setStatus('set_phase', `Nu op alle schermen: ${texts.phases[state.phase]}`, 'ok');
    drawNav(state.phase);
    drawAll();
    if (state.additions) additionsFromState(state);
    else drawAdditions();
  },
  onAck: acked,
});

listenForAdditions(host.live.socket);
host.live.socket.on('group', (group) => {
  if (!host.state) return;
  host.state.groups = host.state.groups.map((g) => (g.theme === group.theme ? group : g));
  drawGroups();
  drawPresenting();
});
host.live.socket.on('agreements', (message) => {
  if (!host.state) return;
  host.state.agreements = message.agreements;
  drawAgreements();
});

for (const button of document.querySelectorAll('button.phase, #host-nav button[data-phase]')) {
  button.addEventListener('click', () => {
    if (!button.dataset.phase) return;
    send('set_phase', { phase: button.dataset.phase }, { key: 'set_phase', status: 'set_phase', done: (ack) => ack.ok });
  });
}
