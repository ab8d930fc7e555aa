// The bar at the top of the host screen: which part of the evening is on, Terug / Verder to the
// part before and after (host.js sends them like the phase buttons), and "Ga naar" a section.
// It keeps its height in --nav-h, so a jump or the keyboard focus never lands under it.
import { texts } from '../live.js';
import { setDisabled } from './common.js';

const bar = document.getElementById('host-nav');
const prev = document.getElementById('nav-prev');
const next = document.getElementById('nav-next');
const jump = document.getElementById('nav-jump');
// In the order of the phase buttons (the texts arrive as JSON with sorted keys).
const PHASES = [...document.querySelectorAll('button.phase')].map((b) => b.dataset.phase);

const numbered = (phase) => `${PHASES.indexOf(phase) + 1}. ${texts.phases[phase]}`;

function aim(button, phase) {
  button.dataset.phase = phase || '';
  const target = phase ? `: ${texts.phases[phase]}` : '';
  button.querySelector('.nav-target').textContent = target;
  // The whole name also when a narrow screen shows only "Terug" or "Verder".
  button.setAttribute('aria-label', `${button.dataset.word}${target}`);
}

/** Show the part that is on now, and aim Terug and Verder at its neighbours. */
export function drawNav(phase) {
  const at = PHASES.indexOf(phase);
  document.getElementById('nav-phase').textContent = numbered(phase);
  aim(prev, PHASES[at - 1]);
  aim(next, PHASES[at + 1]);
  // A button that has no part left to go to hands the focus to its partner, never to the page:
  // enable first, so the partner can take it.
  const changes = [[prev, !prev.dataset.phase, next], [next, !next.dataset.phase, prev]];
  for (const change of changes.sort((a, b) => a[1] - b[1])) setDisabled(...change);
}

function close(focusSummary) {
  if (!jump.open) return;
  jump.open = false;
  if (focusSummary) jump.querySelector('summary').focus();
}

for (const link of jump.querySelectorAll('a')) {
  link.addEventListener('click', (event) => {
    const heading = document.getElementById(link.hash.slice(1));
    if (!heading) return;
    event.preventDefault();
    close(false);
    // At the top of the screen, under the bar (scroll-margin), and the keyboard carries on there.
    heading.scrollIntoView({ block: 'start' });
    heading.focus({ preventScroll: true });
  });
}
jump.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && jump.open) {
    event.preventDefault();
    close(true);
  }
});
// A click or Tab out of the open menu folds it again.
jump.addEventListener('focusout', (event) => {
  if (!jump.contains(event.relatedTarget)) close(false);
});
document.addEventListener('pointerdown', (event) => {
  if (!jump.contains(event.target)) close(false);
});

// A text field reveals its caret, not its whole box: Chromium leaves a field's top edge under the
// bar that scroll-padding-top keeps everything else clear of. Move it down those few pixels.
document.addEventListener('focusin', (event) => {
  const nav = bar.getBoundingClientRect();
  if (nav.top !== 0 || bar.contains(event.target) || getComputedStyle(bar).position !== 'sticky') return;
  const under = nav.bottom - event.target.getBoundingClientRect().top;
  if (under > 0) window.scrollBy(0, -(under + 8));
});

// The bar's height (it folds onto more lines on a phone or with large text).
new ResizeObserver(() => {
  document.documentElement.style.setProperty('--nav-h', `${Math.ceil(bar.getBoundingClientRect().height)}px`);
}).observe(bar);
