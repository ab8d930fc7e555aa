// The host screen's "keep your link" panel: shows the host link plainly right after the meeting
// was made (the start form sends the browser to #link-bewaren), copies and prints it. It can be
// closed and opened again. Nothing here talks to the server.
import { texts } from './live.js';

const words = texts.host_link;
const ANCHOR = '#link-bewaren';
const toggle = document.getElementById('keep-toggle');
const body = document.getElementById('keep-body');
const url = document.getElementById('keep-url');
const status = document.getElementById('keep-status');

function setOpen(open) {
  body.hidden = !open;
  toggle.setAttribute('aria-expanded', String(open));
  toggle.textContent = open ? words.close : words.show;
  if (!open && window.location.hash === ANCHOR) {
    // A reload after closing should not open it again.
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }
}

toggle.addEventListener('click', () => setOpen(body.hidden));

document.getElementById('keep-copy').addEventListener('click', async () => {
  try {
    // navigator.clipboard exists only on https or localhost; on a plain LAN address the older
    // command still works while the text is selected.
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(url.value);
    } else {
      url.select();
      if (!document.execCommand('copy')) throw new Error('copy refused');
    }
    status.textContent = words.copied;
    status.dataset.kind = 'ok';
  } catch {
    url.focus();
    url.select();
    status.textContent = words.copy_failed;
    status.dataset.kind = 'error';
  }
});

document.getElementById('keep-print').addEventListener('click', () => {
  // The print stylesheet prints only this panel while this mark is on the page.
  document.body.dataset.print = 'keep-link';
  window.print();
});
window.addEventListener('afterprint', () => delete document.body.dataset.print);

setOpen(window.location.hash === ANCHOR);
