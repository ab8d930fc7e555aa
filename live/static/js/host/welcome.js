// The hall's Wi-Fi (set_wifi) and the welcome brought back on the beamer (show_welcome).
import { host, send, words } from './common.js';
import { setStatus } from '../live.js';

const form = document.getElementById('wifi-form');
const nameInput = document.getElementById('wifi-name-input');
const passwordInput = document.getElementById('wifi-password-input');
const toggle = document.getElementById('welcome-toggle');

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  send('set_wifi', { name, password: passwordInput.value }, {
    key: 'set_wifi',
    status: 'set_wifi',
    done(ack) {
      if (!ack.ok) return false; // the sentence for the slug, beside the form
      setStatus('set_wifi', name ? words.wifi_saved : words.wifi_cleared, 'ok');
      return true;
    },
  });
});

toggle.addEventListener('click', () => {
  if (!host.state) return;
  const show = !host.state.welcome;
  send('show_welcome', { show }, {
    key: 'show_welcome',
    status: 'show_welcome',
    done(ack) {
      if (!ack.ok) return false;
      setStatus('show_welcome', show ? words.welcome_on : words.welcome_off, 'ok');
      return true;
    },
  });
});

/** The toggle follows the newest state (another host device may have pressed it). */
export function drawWelcome() {
  const state = host.state;
  const on = Boolean(state.welcome);
  toggle.setAttribute('aria-pressed', String(on));
  toggle.textContent = on ? words.welcome_hide : words.welcome_show;
  toggle.disabled = state.phase === 'lobby';
  // Fill the form from the state unless the host is typing in it.
  if (!form.contains(document.activeElement)) {
    nameInput.value = state.wifi ? state.wifi.name : '';
    passwordInput.value = state.wifi ? state.wifi.password : '';
  }
}
