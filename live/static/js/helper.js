// The helper screen: one paper form (or one person helped) at a time, keyboard first. Nothing of
// a person is kept after their form is saved or cleared: not on screen, not in localStorage (the
// shared outbox of live.js is not used here), and the form has no autofill.
/* global io */
import { pluralWords } from './counts.js';
import { TRANSIENT, backoff, errorText, newId, requestSubmit, texts } from './live.js';

const words = texts.helper;
const code = document.body.dataset.code;
const form = document.getElementById('form');
const status = document.getElementById('form-status');
const conn = document.getElementById('conn');
const COUNT_KEY = `live:${code}:helper:count`; // a number only: how many forms this session saved

let mode = 'paper';
let pending = null; // the one form being saved: {payload, tries}
let inflight = false;
let retryTimer = null;
let themesChanged = false;
let saved = Number(sessionStorage.getItem(COUNT_KEY) || 0);

// -- what is on screen -----------------------------------------------------------------------

function say(text, kind = '') {
  status.textContent = text;
  status.dataset.kind = kind;
}

function showCount() {
  document.getElementById('saved-count').textContent = String(saved);
  document.getElementById('saved-words').textContent = pluralWords(words.count, saved);
}

function setMode(next) {
  mode = next;
  document.body.dataset.mode = next;
  for (const el of document.querySelectorAll('[data-mode-only]')) el.hidden = el.dataset.modeOnly !== next;
}

function clearErrors() {
  for (const el of document.querySelectorAll('[data-error-for]')) {
    el.hidden = true;
    el.textContent = '';
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/** Everything back to empty for the next person, and the focus at the top of the form. */
function clearForm() {
  form.reset();
  clearErrors();
  if (themesChanged) {
    // The host changed the themes while this form was open: draw the new ones now it is empty.
    window.location.reload();
    return;
  }
  const first = mode === 'paper'
    ? document.getElementById('form-number')
    : form.querySelector('fieldset.theme input');
  window.scrollTo(0, 0);
  first.focus();
}

/** The place of a field the server named (``votes.3``, ``pledges.0.email``): message and focus. */
function showError(field, slug) {
  const where = document.querySelector(`[data-error-for="${CSS.escape(field)}"]`)
    || document.querySelector(`[data-error-for="${CSS.escape(field.replace(/\.\w+$/, '.contact'))}"]`)
    || document.getElementById('err-form');
  // A pledge without a theme: the server knows no theme "null"; the person forgot to pick one.
  const blank = field === 'pledges.0.theme' && !value('pledge-theme');
  where.textContent = errorText(blank ? 'theme_required' : slug); // our sentence, never attendee text
  where.hidden = false;
  const box = where.closest('fieldset, .field') || where;
  const input = where.id === 'err-form' ? document.getElementById('save')
    : (box.querySelector('input:checked, input, select, textarea'));
  const targets = where.closest('.field') ? [input] : [...box.querySelectorAll('input')];
  for (const el of targets) if (el && el.type !== 'submit') el.setAttribute('aria-invalid', 'true');
  say(words.fix_fields, 'error');
  if (input) input.focus();
}

// -- the form as the protocol wants it ---------------------------------------------------------

function value(id) {
  return document.getElementById(id).value.trim();
}

function collect() {
  const votes = {};
  for (const box of form.querySelectorAll('fieldset.theme')) {
    const checked = box.querySelector('input:checked');
    if (checked) votes[box.dataset.theme] = checked.value;
  }
  const additions = value('add-text')
    ? [{ theme: Number(value('add-theme')), text: document.getElementById('add-text').value }]
    : [];
  const choice = form.querySelector('input[name="choice"]:checked');
  const role = form.querySelector('input[name="pledge-role"]:checked');
  const consent = document.getElementById('pledge-consent').checked;
  const pledging = value('pledge-theme') || role || value('pledge-name') || value('pledge-email')
    || value('pledge-phone') || consent;
  const pledges = pledging ? [{
    theme: value('pledge-theme') ? Number(value('pledge-theme')) : null,
    role: role ? role.value : null,
    name: value('pledge-name'),
    email: value('pledge-email'),
    phone: value('pledge-phone'),
    consent,
  }] : [];
  const endorse = [...form.querySelectorAll('.endorse-list input:checked')].map((box) => Number(box.value));
  const payload = { id: newId(), origin: mode, votes, additions, pledges };
  if (endorse.length) payload.endorse = endorse;
  if (choice && choice.value) payload.choice = Number(choice.value);
  return payload;
}

// -- sending: one form, the same id until the server answers -----------------------------------

const socket = io({
  transports: ['websocket', 'polling'],
  tryAllTransports: true,
  // The key is in the HttpOnly cookie set by /<code>/helper?key=…; the page never sees it.
  auth: { code, role: 'helper' },
});

function later() {
  pending.tries += 1;
  clearTimeout(retryTimer);
  retryTimer = setTimeout(pump, backoff(pending.tries));
}

function pump() {
  if (!pending || inflight || !socket.connected) return;
  inflight = true;
  const sent = pending;
  socket.timeout(8000).emit('submit_form', sent.payload, (err, ack) => {
    inflight = false;
    if (err || !ack || (!ack.ok && TRANSIENT.has(ack.error))) {
      later();
      return;
    }
    pending = null;
    if (ack.ok) {
      saved += 1;
      sessionStorage.setItem(COUNT_KEY, String(saved));
      showCount();
      const number = sent.number;
      clearForm();
      say(mode === 'helper' ? words.saved_helper : words.saved.replace('{n}', number || String(saved)), 'ok');
    } else {
      showError(ack.field || 'form', ack.error);
    }
  });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (pending) return; // still saving the last one: Enter twice is one form
  clearErrors();
  pending = { payload: collect(), tries: 0, number: value('form-number') };
  say(words.saving);
  pump();
});

document.getElementById('next').addEventListener('click', () => {
  if (pending) return;
  clearForm();
  say('');
});

for (const radio of document.querySelectorAll('input[name="origin"]')) {
  radio.addEventListener('change', () => setMode(radio.value));
}

// Keys: 1/2/3 answer the focused theme, Delete empties it; Enter saves (Ctrl + Enter in the text).
form.addEventListener('keydown', (event) => {
  const target = event.target;
  const theme = target.closest && target.closest('fieldset.theme');
  if (theme && ['1', '2', '3'].includes(event.key) && !event.ctrlKey && !event.altKey && !event.metaKey) {
    event.preventDefault();
    const radio = theme.querySelectorAll('input')[Number(event.key) - 1];
    radio.checked = true;
    radio.focus();
    return;
  }
  if (theme && (event.key === 'Delete' || event.key === 'Backspace')) {
    event.preventDefault();
    for (const radio of theme.querySelectorAll('input')) radio.checked = false;
    return;
  }
  if (event.key !== 'Enter' || target.tagName === 'BUTTON') return;
  if (target.tagName === 'TEXTAREA' && !(event.ctrlKey || event.metaKey)) return;
  event.preventDefault();
  requestSubmit(form);
});

// -- the connection ----------------------------------------------------------------------------

function sayConn(text, kind) {
  conn.textContent = text;
  conn.dataset.kind = kind;
  document.body.dataset.conn = kind; // a warning stays in view (live.css), also low on the form
}

let connectTries = 0;
socket.on('connect', () => {
  connectTries = 0;
  sayConn(texts.connection.ok, 'ok');
  pump();
});
socket.on('disconnect', () => sayConn(texts.errors.offline, 'warn'));
socket.on('connect_error', (err) => {
  const slug = err && err.message;
  if (socket.active) {
    sayConn(texts.errors.offline, 'warn');
  } else if (TRANSIENT.has(slug)) {
    connectTries += 1;
    sayConn(texts.connection.busy, 'warn');
    setTimeout(() => socket.connect(), backoff(connectTries));
  } else {
    sayConn(errorText(slug), 'warn');
  }
});

// The additions the beamer shows, by number: a tick for each one this person recognises.
const shownAdditions = new Map();
function drawEndorse() {
  const box = document.getElementById('endorse-box');
  const list = box.querySelector('.endorse-list');
  const kept = new Map([...list.children].map((li) => [Number(li.dataset.addition), li]));
  for (const [id, li] of kept) if (!shownAdditions.has(id)) li.remove();
  for (const a of [...shownAdditions.values()].sort((x, y) => x.id - y.id)) {
    if (kept.has(a.id)) continue;
    const li = document.createElement('li');
    li.dataset.addition = String(a.id);
    const label = document.createElement('label');
    label.className = 'choice wide';
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.value = String(a.id);
    const text = document.createElement('span');
    text.textContent = `${a.id}. ${a.text}`; // attendee text: never as HTML
    label.append(input, text);
    li.append(label);
    list.append(li);
  }
  box.hidden = shownAdditions.size === 0;
}

socket.on('addition', (a) => {
  if (a.status === 'shown') shownAdditions.set(a.id, a);
  else shownAdditions.delete(a.id);
  drawEndorse();
});

function shownThemes() {
  return [...form.querySelectorAll('fieldset.theme:not(.whole)')]
    .map((box) => `${box.dataset.theme}:${box.querySelector('.theme-title').textContent}`).join('\n');
}

socket.on('state', (state) => {
  shownAdditions.clear();
  for (const a of state.additions || []) shownAdditions.set(a.id, a);
  drawEndorse();
  const now = state.themes.map((t) => `${t.id}:${t.title}`).join('\n');
  if (now === shownThemes()) return;
  const filled = form.querySelector('input:checked:not([value=""]), input[type="checkbox"]:checked')
    || [...form.querySelectorAll('input:not([type]), input[type="email"], input[type="tel"], input[inputmode], textarea')]
      .some((el) => el.value.trim());
  if (!filled && !pending) {
    window.location.reload();
    return;
  }
  themesChanged = true; // redrawn as soon as this form is saved or cleared
  document.getElementById('themes-news').hidden = false;
});

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && !socket.connected) socket.connect();
});

setMode(document.querySelector('input[name="origin"]:checked').value);
showCount();
