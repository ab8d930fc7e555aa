// The phone screen: answers, additions, the chosen topic and the pledge form.
import { connect, errorText, setStatus, showPhase } from './live.js';

const SAVING = 'Wordt opgeslagen…';
const SAVED = 'Opgeslagen ✓';

function check(name, value) {
  const input = document.querySelector(`input[name="${name}"][value="${value}"]`);
  if (input) input.checked = true;
}

function applyMine(mine) {
  for (const [theme, answer] of Object.entries(mine.votes || {})) {
    check(`vote-${theme}`, answer);
    setStatus(`vote-${theme}`, SAVED, 'ok');
  }
  if (mine.choice) {
    check('choice', mine.choice);
    setStatus('choose', SAVED, 'ok');
    document.getElementById('pledge-form').theme.value = String(mine.choice);
  }
  const sent = {};
  for (const a of mine.additions || []) sent[a.theme] = (sent[a.theme] || 0) + 1;
  for (const [theme, n] of Object.entries(sent)) {
    setStatus(`addition-${theme}`, n === 1 ? 'Uw aanvulling is verstuurd.' : `U heeft ${n} aanvullingen verstuurd.`, 'ok');
  }
  if (mine.pledge) {
    const p = mine.pledge;
    const form = document.getElementById('pledge-form');
    form.theme.value = String(p.theme);
    check('role', p.role);
    form.name.value = p.name;
    form.email.value = p.email;
    form.phone.value = p.phone;
    form.consent.checked = true;
    setStatus('pledge', 'U helpt mee. Dank u wel! U kunt uw gegevens nog aanpassen.', 'ok');
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
        setStatus(statusKey(item), SAVING);
      }
    }
  },
  onAck(item, ack) {
    const key = statusKey(item);
    if (!ack.ok) {
      setStatus(key, errorText(ack.error), 'error');
      return;
    }
    if (item.event === 'addition') {
      setStatus(key, 'Dank u! Uw aanvulling is verstuurd.', 'ok');
      const form = document.querySelector(`.addition-form[data-theme="${item.payload.theme}"]`);
      if (form && form.text.value.trim() === item.payload.text.trim()) form.text.value = '';
    } else if (item.event === 'pledge') {
      setStatus(key, 'U helpt mee. Dank u wel! U kunt uw gegevens nog aanpassen.', 'ok');
    } else {
      setStatus(key, SAVED, 'ok');
    }
  },
});

document.addEventListener('change', (event) => {
  const input = event.target;
  if (input.dataset.action === 'vote') {
    const theme = Number(input.dataset.theme);
    live.send('vote', { theme, answer: input.value }, `vote-${theme}`);
    setStatus(`vote-${theme}`, SAVING);
  } else if (input.dataset.action === 'choose') {
    const theme = Number(input.dataset.theme);
    live.send('choose', { theme }, 'choose');
    setStatus('choose', SAVING);
    document.getElementById('pledge-form').theme.value = String(theme);
  }
});

for (const form of document.querySelectorAll('.addition-form')) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const theme = Number(form.dataset.theme);
    const text = form.text.value.trim();
    if (!text) {
      setStatus(`addition-${theme}`, errorText('text_empty'), 'error');
      return;
    }
    live.send('addition', { theme, text });
    setStatus(`addition-${theme}`, SAVING);
  });
}

document.getElementById('pledge-form').addEventListener('submit', (event) => {
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
  // Check the obvious here so nobody waits for the server to say a box is empty.
  let problem = null;
  if (!fields.theme) problem = 'theme_required';
  else if (!fields.role) problem = 'bad_role';
  else if (!fields.name) problem = 'name_required';
  else if (!fields.email && !fields.phone) problem = 'contact_required';
  else if (!fields.consent) problem = 'consent_required';
  if (problem) {
    setStatus('pledge', errorText(problem), 'error');
    return;
  }
  live.send('pledge', fields, 'pledge');
  setStatus('pledge', SAVING);
});

