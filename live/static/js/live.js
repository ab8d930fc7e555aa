// Shared by the three screens: the socket connection, state versions, and an outbox that sends
// every action with an id, in order, and retries it until the server acknowledges it.
// Phones may be old (docs/accessibility.md, "Old phones"): this file and everything the phone,
// helper and paper pages load keep to Safari 12.1 / Chrome 70 (tests/test_old_phones.py).
/* global io */

export const texts = JSON.parse(document.getElementById('texts').textContent);

const storage = (() => {
  try {
    const probe = '__live__';
    window.localStorage.setItem(probe, probe);
    window.localStorage.removeItem(probe);
    return window.localStorage;
  } catch {
    const memory = new Map();
    return { getItem: (k) => (memory.has(k) ? memory.get(k) : null), setItem: (k, v) => memory.set(k, v), removeItem: (k) => memory.delete(k) };
  }
})();

export function newId() {
  // crypto.randomUUID needs HTTPS; getRandomValues also works on a plain LAN address.
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Letters of the right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko and their blocks).
const RTL_LETTER = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]/u;

/**
 * A theme title or a name, set apart for the text around it. In a right-to-left page a Dutch
 * title ("Groen in de wijk: meer bomen") inside an Arabic sentence would otherwise take the
 * sentence's punctuation with it, and in a Dutch sentence a Hebrew or Arabic title takes the
 * number after it ("Nu aan de beurt: <title> (2 van 5)"); Unicode's first-strong isolate keeps
 * each in its own direction.
 */
export function isolate(text) {
  return document.documentElement.dir === 'rtl' || RTL_LETTER.test(text) ? `\u2068${text}\u2069` : text;
}

/** Empty `el` and put `children` in it: Element.replaceChildren, which Safari 12 lacks. */
export function replaceChildren(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  el.append(...children);
}

/** Whether an element is on screen (not inside something hidden or a closed <details>). */
export function isShown(el) {
  if (typeof el.checkVisibility === 'function') return el.checkVisibility();
  // Safari 12 / Chrome 70: a hidden element has no boxes.
  return el.getClientRects().length > 0;
}

/** Submit a form as if its button was pressed: checks, then the submit event (Safari < 16 lacks
 * HTMLFormElement.requestSubmit). */
export function requestSubmit(form) {
  if (typeof form.requestSubmit === 'function') {
    form.requestSubmit();
    return;
  }
  const button = form.querySelector('button[type="submit"], input[type="submit"], button:not([type])');
  if (button) button.click();
  else form.dispatchEvent(new Event('submit', { cancelable: true }));
}

export function errorText(slug) {
  return texts.errors[slug] || texts.errors.server_error;
}

/** Show the one section list that belongs to the phase; everything else is hidden. */
export function showPhase(phase) {
  document.body.dataset.phase = phase;
  for (const el of document.querySelectorAll('[data-phases]')) {
    el.hidden = !el.dataset.phases.split(' ').includes(phase);
  }
  for (const el of document.querySelectorAll('[data-title]')) {
    el.hidden = el.dataset.title !== phase;
  }
}

export function setStatus(key, text, kind = '') {
  for (const el of document.querySelectorAll(`[data-status="${key}"]`)) {
    el.textContent = text;
    el.dataset.kind = kind;
  }
}

// Refusals that mean "nothing was saved, send the same id again later" (docs/protocol.md).
// Any other refusal is final for that action.
export const TRANSIENT = new Set(['rate_limited', 'server_error', 'store_unavailable']);

/** Wait before retry number `tries` (1, 2, …): doubling from 1 s, capped at 30 s, with jitter. */
export function backoff(tries, base = 1000, cap = 30000) {
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, tries - 1));
  // Half fixed, half random: a hall full of phones refused at once does not come back at once.
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Connect as a role and keep an outbox.
 * onState(state) gets snapshots newer than the last one; onTally(tally) gets counts;
 * onAck(item, ack) is called once per action when it is saved or refused for good, also after a
 * reload; onRetry(item, ack) when a refusal or a lost ack means it goes again by itself.
 * person: another participant on the same phone (a second token and outbox of its own, e.g. 'p2');
 * such a connection leaves the connection line at the top of the page to the first person's.
 */
export function connect({ role, onState, onTally = () => {}, onAck = () => {}, onRetry = () => {}, person = '' }) {
  const code = document.body.dataset.code;
  const who = person ? `${person}:` : '';
  const tokenKey = `live:${code}:${who}token`;
  const outboxKey = `live:${code}:${who}${role}:outbox`;
  const conn = person ? null : document.getElementById('conn');
  let version = -1;
  let lastTallySeq = 0; // the store's sequence: an older tally never replaces a newer one
  let inflight = null;
  let retryAt = 0;
  let retryTimer = null;
  let connectTries = 0;
  let queue = [];
  try {
    queue = JSON.parse(storage.getItem(outboxKey) || '[]');
  } catch {
    queue = [];
  }

  // A second person needs a connection of its own, whatever io()'s cache of managers would reuse.
  const socket = io({
    forceNew: Boolean(person),
    transports: ['websocket', 'polling'],
    tryAllTransports: true,
    auth: (cb) => {
      const auth = { code, role };
      const token = role === 'phone' ? storage.getItem(tokenKey) : null;
      if (token) auth.token = token;
      cb(auth);
    },
  });

  const say = (text, kind) => {
    if (conn) {
      conn.textContent = text;
      conn.dataset.kind = kind;
      // live.css keeps a warning in view wherever the reader is on the page, not only at the top.
      document.body.dataset.conn = kind;
    }
  };

  const save = () => storage.setItem(outboxKey, JSON.stringify(queue));

  function later(item, ack) {
    // The head of the queue waits, and so does everything behind it: order is kept.
    item.tries = (item.tries || 0) + 1;
    save();
    const wait = backoff(item.tries);
    retryAt = Date.now() + wait;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(pump, wait);
    onRetry(item, ack);
  }

  function pump() {
    if (inflight || !socket.connected || queue.length === 0) return;
    if (Date.now() < retryAt) {
      // A timer is already set; after a sleeping tab wakes up it may be late, so set it again.
      clearTimeout(retryTimer);
      retryTimer = setTimeout(pump, retryAt - Date.now());
      return;
    }
    const item = queue[0];
    inflight = item;
    socket.timeout(8000).emit(item.event, item.payload, (err, ack) => {
      inflight = null;
      if (err) {
        // No ack in time: the same id goes again; the server drops duplicates.
        later(item, { ok: false, error: 'timeout' });
        return;
      }
      const answer = ack || { ok: false, error: 'server_error' };
      if (!answer.ok && TRANSIENT.has(answer.error)) {
        later(item, answer);
        return;
      }
      queue = queue.filter((q) => q.payload.id !== item.payload.id);
      save();
      onAck(item, answer);
      pump();
    });
  }

  socket.on('connect', () => {
    connectTries = 0;
    say(texts.connection.ok, 'ok');
    pump();
  });
  socket.on('disconnect', () => say(texts.errors.offline, 'warn'));
  socket.on('connect_error', (err) => {
    const slug = err && err.message;
    if (socket.active) {
      // A network failure: socket.io-client reconnects by itself, with its own back-off.
      say(texts.errors.offline, 'warn');
      return;
    }
    if (TRANSIENT.has(slug)) {
      // Refused by the server for now. socket.io-client never retries a refusal by itself.
      connectTries += 1;
      say(texts.connection.busy, 'warn');
      setTimeout(() => socket.connect(), backoff(connectTries));
      return;
    }
    say(texts.errors[slug] || texts.errors.offline, 'warn');
  });
  socket.on('state', (state) => {
    if (typeof state.version !== 'number' || state.version < version) return;
    version = state.version;
    if (state.token) storage.setItem(tokenKey, state.token);
    onState(state);
  });
  socket.on('tally', (tally) => {
    if (tally.seq < lastTallySeq) return;
    lastTallySeq = tally.seq;
    onTally(tally);
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      if (!socket.connected) socket.connect();
      pump();
    }
  });

  return {
    socket,
    /** Queue an action; an unsent one with the same key is replaced by the newer one. */
    send(event, fields, key = null) {
      const item = { event, key, payload: { id: newId(), ...fields } };
      queue = queue.filter((q) => q === inflight || key === null || q.key !== key);
      queue.push(item);
      save();
      pump();
      return item;
    },
    pending: () => queue.slice(),
  };
}
