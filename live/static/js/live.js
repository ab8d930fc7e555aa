// Shared by the three screens: the socket connection, state versions, and an outbox that sends
// every action with an id, in order, and retries it until the server acknowledges it.
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
    return { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => memory.set(k, v), removeItem: (k) => memory.delete(k) };
  }
})();

export function newId() {
  // crypto.randomUUID needs HTTPS; getRandomValues also works on a plain LAN address.
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
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

/**
 * Connect as a role and keep an outbox.
 * onState(state) gets snapshots newer than the last one; onTally(tally) gets counts;
 * onAck(item, ack) is called for every acknowledged or refused action, also after a reload.
 */
export function connect({ role, onState, onTally = () => {}, onAck = () => {} }) {
  const code = document.body.dataset.code;
  const tokenKey = `live:${code}:token`;
  const outboxKey = `live:${code}:${role}:outbox`;
  const conn = document.getElementById('conn');
  let version = -1;
  let lastTallyAt = 0;
  let inflight = null;
  let queue = [];
  try {
    queue = JSON.parse(storage.getItem(outboxKey) || '[]');
  } catch {
    queue = [];
  }

  const socket = io({
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
    }
  };

  const save = () => storage.setItem(outboxKey, JSON.stringify(queue));

  function pump() {
    if (inflight || !socket.connected || queue.length === 0) return;
    const item = queue[0];
    inflight = item;
    socket.timeout(8000).emit(item.event, item.payload, (err, ack) => {
      inflight = null;
      if (err) {
        // No ack in time: the same id goes again; the server drops duplicates.
        setTimeout(pump, 1000);
        return;
      }
      queue = queue.filter((q) => q.payload.id !== item.payload.id);
      save();
      onAck(item, ack || { ok: false, error: 'server_error' });
      pump();
    });
  }

  socket.on('connect', () => {
    say('Verbonden', 'ok');
    pump();
  });
  socket.on('disconnect', () => say(texts.errors.offline, 'warn'));
  socket.on('connect_error', (err) => {
    const slug = err && err.message;
    say(texts.errors[slug] || texts.errors.offline, 'warn');
  });
  socket.on('state', (state) => {
    if (typeof state.version !== 'number' || state.version < version) return;
    version = state.version;
    if (state.token) storage.setItem(tokenKey, state.token);
    onState(state);
  });
  socket.on('tally', (tally) => {
    if (tally.at < lastTallyAt) return;
    lastTallyAt = tally.at;
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
