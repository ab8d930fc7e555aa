// The phone screen: answers, additions, the chosen topic and the pledge form.
import { countWords } from './counts.js';
import { connect, errorText, setStatus, showPhase, texts } from './live.js';

const words = texts.phone;
const pledgeForm = document.getElementById('pledge-form');

function check(name, value) {
  const input = document.querySelector(`input[name="${name}"][value="${value}"]`);
  if (input) input.checked = true;
}

// -- a new part of the evening ---------------------------------------------------------------

let shownPhase = null;

/** Bring the new heading into view and to the screen reader, so nobody misses the change. */
function announcePhase(phase) {
  const first = shownPhase === null;
  const changed = phase !== shownPhase;
  shownPhase = phase;
  // The first state after opening, or a reconnect to the same part: the reader stays where it is.
  if (first || !changed) return;
  const heading = [...document.querySelectorAll('main section:not([hidden]) h1')][0];
  if (!heading) return;
  const news = document.getElementById('phase-news');
  news.textContent = `${words.new_part} ${heading.textContent}`;
  // Someone halfway through writing an addition that is still on screen keeps their place.
  const typing = document.activeElement;
  if (typing && typing.tagName === 'TEXTAREA' && typing.value.trim() && typing.checkVisibility()) return;
  window.scrollTo(0, 0);
  heading.focus({ preventScroll: true });
}

// -- additions: characters left, and what this phone sent -------------------------------------

const sentIds = new Set();

function showSent(theme, id, text) {
  if (id != null && sentIds.has(id)) return;
  if (id != null) sentIds.add(id);
  const box = document.querySelector(`.sent[data-sent="${theme}"]`);
  if (!box) return;
  const item = document.createElement('li');
  item.textContent = text; // attendee text: never as HTML
  box.querySelector('.sent-list').append(item);
  box.hidden = false;
}

const length = (text) => [...text].length; // code points, as the server counts

function updateLeft(textarea, speak) {
  const limit = Number(textarea.dataset.limit);
  const left = limit - length(textarea.value);
  const line = document.getElementById(textarea.getAttribute('aria-describedby'));
  const text = left >= 0
    ? `Nog ${left} ${countWords('chars_left', left)}`
    : `${-left} ${countWords('chars_over', -left)}`;
  line.textContent = text;
  line.dataset.kind = left < 0 ? 'error' : '';
  // Only near the limit does a screen reader hear the count; every key press would be noise.
  const news = textarea.form.querySelector('[data-chars-news]');
  if (speak && left <= Math.min(50, limit / 10)) news.textContent = text;
  else if (left > 50) news.textContent = '';
}

let speakTimer = null;
for (const textarea of document.querySelectorAll('.addition-form textarea')) {
  textarea.addEventListener('input', () => {
    updateLeft(textarea, false);
    // Speak once the typing pauses.
    clearTimeout(speakTimer);
    speakTimer = setTimeout(() => updateLeft(textarea, true), 800);
  });
}

// -- the pledge form: each problem at its own field -------------------------------------------

// Which field each pledge refusal belongs to, and what gets the focus then.
const FIELD_OF = {
  theme_required: 'theme',
  unknown_theme: 'theme',
  bad_role: 'role',
  name_required: 'name',
  contact_required: 'contact',
  bad_email: 'email',
  bad_phone: 'phone',
  consent_required: 'consent',
};
const FIELD_ORDER = ['theme', 'role', 'name', 'contact', 'email', 'phone', 'consent'];

function fieldInputs(field) {
  if (field === 'theme' || field === 'role') return [...pledgeForm.querySelectorAll(`input[name="${field}"]`)];
  if (field === 'contact') return [pledgeForm.email, pledgeForm.phone];
  return [pledgeForm[field]];
}

function clearFieldErrors() {
  for (const field of FIELD_ORDER) {
    document.getElementById(`err-${field}`).hidden = true;
    for (const input of fieldInputs(field)) input.removeAttribute('aria-invalid');
  }
}

/** Show each refusal next to its field and move the focus to the first one. */
function showFieldErrors(slugs) {
  clearFieldErrors();
  const fields = [];
  for (const slug of slugs) {
    const field = FIELD_OF[slug];
    if (!field) continue;
    const message = document.getElementById(`err-${field}`);
    message.textContent = errorText(slug);
    message.hidden = false;
    for (const input of fieldInputs(field)) input.setAttribute('aria-invalid', 'true');
    fields.push(field);
  }
  if (fields.length === 0) return false;
  setStatus('pledge', words.fix_fields, 'error');
  const first = FIELD_ORDER.find((f) => fields.includes(f));
  const inputs = fieldInputs(first);
  (inputs.find((i) => i.checked) || inputs[0]).focus();
  return true;
}

// -- what the server remembers for this phone ------------------------------------------------

function applyMine(mine) {
  for (const [theme, answer] of Object.entries(mine.votes || {})) {
    check(`vote-${theme}`, answer);
    setStatus(`vote-${theme}`, words.saved, 'ok');
  }
  if (mine.choice) {
    check('choice', mine.choice);
    setStatus('choose', words.saved, 'ok');
    pledgeForm.theme.value = String(mine.choice);
  }
  for (const a of mine.additions || []) showSent(a.theme, a.id, a.text);
  if (mine.pledge) {
    const p = mine.pledge;
    pledgeForm.theme.value = String(p.theme);
    check('role', p.role);
    pledgeForm.name.value = p.name;
    pledgeForm.email.value = p.email;
    pledgeForm.phone.value = p.phone;
    pledgeForm.consent.checked = true;
    setStatus('pledge', words.pledged, 'ok');
  }
}

function statusKey(item) {
  const p = item.payload;
  if (item.event === 'vote') return `vote-${p.theme}`;
  if (item.event === 'addition') return `addition-${p.theme}`;
  return item.event;
}

const live = connect({
  role: 'phone',
  onState(state) {
    showPhase(state.phase);
    if (state.mine) {
      applyMine(state.mine);
      // Actions not yet acknowledged win over the older saved answers.
      for (const item of live.pending()) {
        if (item.event === 'vote') check(`vote-${item.payload.theme}`, item.payload.answer);
        if (item.event === 'choose') check('choice', item.payload.theme);
        setStatus(statusKey(item), words.saving);
      }
    }
    announcePhase(state.phase);
  },
  onRetry(item) {
    // Busy or a lost answer: it goes again by itself, so this is not an error for the reader.
    setStatus(statusKey(item), words.saving);
  },
  onAck(item, ack) {
    const key = statusKey(item);
    if (!ack.ok) {
      if (item.event === 'pledge' && showFieldErrors([ack.error])) return;
      setStatus(key, errorText(ack.error), 'error');
      return;
    }
    if (item.event === 'addition') {
      setStatus(key, words.addition_sent, 'ok');
      showSent(item.payload.theme, ack.addition, item.payload.text);
      const form = document.querySelector(`.addition-form[data-theme="${item.payload.theme}"]`);
      if (form && form.text.value.trim() === item.payload.text.trim()) {
        form.text.value = '';
        updateLeft(form.text, false);
      }
    } else if (item.event === 'pledge') {
      clearFieldErrors();
      setStatus(key, words.pledged, 'ok');
    } else {
      setStatus(key, words.saved, 'ok');
    }
  },
});

document.addEventListener('change', (event) => {
  const input = event.target;
  if (input.dataset.action === 'vote') {
    const theme = Number(input.dataset.theme);
    live.send('vote', { theme, answer: input.value }, `vote-${theme}`);
    setStatus(`vote-${theme}`, words.saving);
  } else if (input.dataset.action === 'choose') {
    const theme = Number(input.dataset.theme);
    live.send('choose', { theme }, 'choose');
    setStatus('choose', words.saving);
    pledgeForm.theme.value = String(theme);
  }
});

for (const form of document.querySelectorAll('.addition-form')) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const theme = Number(form.dataset.theme);
    const text = form.text.value.trim();
    const over = length(text) - Number(form.text.dataset.limit);
    if (!text) {
      setStatus(`addition-${theme}`, errorText('text_empty'), 'error');
      return;
    }
    if (over > 0) {
      const sentence = words.too_long.replace('{n}', over).replace('{word}', countWords('chars', over));
      setStatus(`addition-${theme}`, sentence, 'error');
      form.text.focus();
      return;
    }
    live.send('addition', { theme, text });
    setStatus(`addition-${theme}`, words.saving);
  });
}

pledgeForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target;
  const role = form.querySelector('input[name="role"]:checked');
  const fields = {
    theme: Number(form.theme.value),
    role: role ? role.value : null,
    name: form.name.value.trim(),
    email: form.email.value.trim(),
    phone: form.phone.value.trim(),
    consent: form.consent.checked,
  };
  // Check the obvious here, all at once, so nobody waits for the server to say a box is empty.
  const problems = [];
  if (!fields.theme) problems.push('theme_required');
  if (!fields.role) problems.push('bad_role');
  if (!fields.name) problems.push('name_required');
  if (!fields.email && !fields.phone) problems.push('contact_required');
  if (fields.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(fields.email)) problems.push('bad_email');
  if (!fields.consent) problems.push('consent_required');
  if (showFieldErrors(problems)) return;
  live.send('pledge', fields, 'pledge');
  setStatus('pledge', words.saving);
});
