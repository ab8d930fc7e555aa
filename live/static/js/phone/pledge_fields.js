// The pledge form's fields: which field a refusal belongs to, its message beside that field, and
// the chosen theme (phone/pledges.js owns the rest).
import { errorText, setStatus, texts } from '../live.js';

const form = document.getElementById('pledge-form');

// Which field each pledge refusal belongs to, and what gets the focus then.
const FIELD_OF = {
  theme_required: 'theme',
  unknown_theme: 'theme',
  bad_role: 'role',
  name_required: 'name',
  contact_required: 'contact',
  bad_email: 'email',
  bad_phone: 'phone',
  bad_contact_by: 'contact_by',
  consent_required: 'consent',
};
const FIELD_ORDER = ['theme', 'role', 'name', 'contact', 'email', 'phone', 'contact_by', 'consent'];

function fieldInputs(field) {
  if (['theme', 'role', 'contact_by'].includes(field)) return [...form.querySelectorAll(`input[name="${field}"]`)];
  if (field === 'contact') return [form.email, form.phone];
  return [form[field]];
}

export function clearFieldErrors() {
  for (const field of FIELD_ORDER) {
    document.getElementById(`err-${field}`).hidden = true;
    for (const input of fieldInputs(field)) input.removeAttribute('aria-invalid');
  }
}

/** Show each refusal next to its field and move the focus to the first one. */
export function showFieldErrors(slugs) {
  clearFieldErrors();
  const found = [];
  for (const slug of slugs) {
    const field = FIELD_OF[slug];
    if (!field) continue;
    const message = document.getElementById(`err-${field}`);
    message.textContent = errorText(slug);
    message.hidden = false;
    for (const input of fieldInputs(field)) input.setAttribute('aria-invalid', 'true');
    found.push(field);
  }
  if (found.length === 0) return false;
  setStatus('pledge', texts.phone.fix_fields, 'error');
  const inputs = fieldInputs(FIELD_ORDER.find((f) => found.includes(f)));
  (inputs.find((i) => i.checked) || inputs[0]).focus();
  return true;
}

// The chosen theme: a lone radio would answer `form.theme.value` even when it is not ticked.
export function themeValue() {
  const input = form.querySelector('input[name="theme"]:checked');
  return (input && input.value) || '';
}
export function setTheme(value) {
  for (const input of form.querySelectorAll('input[name="theme"]')) input.checked = input.value === String(value);
}
