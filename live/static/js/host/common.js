// Shared by the parts of the host screen: the connection, the newest state and tally, sending
// with feedback next to the control, and drawing lists that keep focus and typed text.
import { errorText, setStatus, texts } from '../live.js';

export const words = texts.host;

/** The live connection, the newest state and tally; host.js fills these in. */
export const host = { live: null, state: null, tally: null };

/** A host sentence with {name} places filled in. */
export function say(key, vars = {}) {
  return words[key].replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

const waiting = new Map(); // message id -> {status, done}

/**
 * Send one host action through the outbox. `status` names the data-status line that reports it;
 * `done(ack)` may handle the answer itself (return true to skip the usual report).
 */
export function send(event, fields, { key = null, status = null, done = null } = {}) {
  const item = host.live.send(event, fields, key);
  waiting.set(item.payload.id, { status, done });
  if (status) setStatus(status, words.saving);
  return item;
}

/** Every acknowledgement of the outbox comes here (host.js passes it on). */
export function acked(item, ack) {
  const { status = item.key, done = null } = waiting.get(item.payload.id) || {};
  waiting.delete(item.payload.id);
  if (done && done(ack) === true) return;
  if (status) setStatus(status, ack.ok ? words.saved : errorText(ack.error), ack.ok ? 'ok' : 'error');
}

/** The title of a theme by id (0: the whole), also of one that was removed. */
export function themeTitle(id) {
  if (id === 0) return words.whole;
  const theme = host.state && host.state.themes.find((t) => t.id === id);
  return theme ? theme.title : words.removed_theme;
}

/** The theme ids in the host's order, the whole (0) last: the order of recognition. */
export function recognitionOrder() {
  return [...host.state.themes.map((t) => t.id), 0];
}

/** The tally row of a theme (0: the whole), or null before the first tally. */
export function tallyRow(id) {
  if (!host.tally) return null;
  return id === 0 ? host.tally.whole : host.tally.themes.find((r) => r.theme === id) || null;
}

/** Make an element: el('button', {type: 'button', className: 'primary'}, 'Tekst', child). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name in node) node[name] = value;
    else node.setAttribute(name, value);
  }
  // Strings become text nodes: attendee text is never read as HTML.
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** A label with a hidden ending that says which theme or addition it is about. */
export function named(visible, about) {
  return [visible, el('span', { className: 'sr-only' }, `: ${about}`)];
}

/**
 * Keep one child of `container` per key, in this order: made once by make(key), brought up to
 * date by update(node, key). Nodes that stay are moved, not redrawn, so typed text stays; the
 * element that had the focus gets it back after a move.
 */
export function keyed(container, keys, make, update) {
  const active = document.activeElement;
  const old = new Map([...container.children].map((c) => [c.dataset.key, c]));
  let previous = null;
  for (const key of keys) {
    let node = old.get(String(key));
    if (node) old.delete(String(key));
    else {
      node = make(key);
      node.dataset.key = String(key);
    }
    update(node, key);
    const spot = previous ? previous.nextElementSibling : container.firstElementChild;
    if (spot !== node) container.insertBefore(node, spot);
    previous = node;
  }
  for (const node of old.values()) node.remove();
  if (active && active !== document.activeElement && active.isConnected) active.focus();
}

/**
 * Enable or disable a button; a focused button that gets disabled hands the focus to the first
 * of `others` that can take it, so the keyboard never drops back to the top of the page.
 */
export function setDisabled(button, disabled, ...others) {
  const had = document.activeElement === button;
  button.disabled = disabled;
  if (had && disabled) others.find((o) => o && !o.disabled && !o.closest('[hidden]'))?.focus();
}

/** Show or clear the error under a field (and mark the field for screen readers). */
export function fieldError(input, message) {
  const box = document.getElementById(input.getAttribute('aria-describedby')?.split(' ')[0] || '');
  if (box) {
    box.textContent = message || '';
    box.hidden = !message;
  }
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}
