// The beamer's screens: what fits at a size the back of the hall can read, and the turning of
// pages when it does not all fit. Text never shrinks below the floor; instead themes and shown
// additions take turns, and a pager line says which part is on the screen.
import { additionsLabel, themesLabel } from './board.js';

// How long one screen stays up before the next (the protocol promises 10 s for additions).
export const TURN_EVERY_MS = 10000;
// The board may shrink a little, but only as far as the floor allows (see floorPx).
const SCALES = [1, 0.95, 0.9];

/** The smallest letters the hall must read: as test_accessibility's beamer check says, 3.5% of
 *  the height on a wide screen, 3% on an old 4:3 one (about 24 px at 1280x720). */
export function floorPx() {
  return window.innerHeight * (window.innerWidth / window.innerHeight > 1.5 ? 0.035 : 0.03);
}

function setScale(scale) {
  // CSSOM, not a style attribute: allowed by the Content-Security-Policy.
  document.body.style.setProperty('--fit', String(scale));
}

// The scales at which the board's smallest text (1em) stays at or above the floor.
function allowedScales() {
  setScale(1);
  const base = parseFloat(getComputedStyle(document.body).fontSize);
  const ok = SCALES.filter((s) => base * s >= floorPx() - 0.05);
  return ok.length ? ok : [1];
}

// Everything fits when nothing runs off the bottom and nothing is hidden under the join
// corner. Left of the corner there is still room: a short last line may sit beside it.
export function fits() {
  const corner = document.querySelector('.corner').getBoundingClientRect();
  const under = (r) => r.width > 0 && r.right > corner.left && r.bottom > corner.top;
  const range = document.createRange();
  for (const section of document.querySelectorAll('main > section:not([hidden])')) {
    if (section.getBoundingClientRect().bottom > window.innerHeight) return false;
    for (const el of section.querySelectorAll('.meter, img')) {
      if (under(el.getBoundingClientRect())) return false;
    }
    const texts = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
    while (texts.nextNode()) {
      range.selectNodeContents(texts.currentNode);
      for (const r of range.getClientRects()) if (under(r)) return false;
    }
  }
  return true;
}

/** Turns the pages of the board: `list` is the <ol> of theme rows that board.js built. */
export class Pages {
  constructor({ list, themesPager, additionsPager, onShow }) {
    this.list = list;
    this.themesPager = themesPager;
    this.additionsPager = additionsPager;
    this.onShow = onShow; // called with the screen now up (for the `showing` report)
    this.screens = []; // [{rows: [theme ids], ids: [addition ids], plan, label, apage, apages}]
    this.index = 0;
    this.timer = null;
    this.one = false;
  }

  rows() {
    return [...this.list.querySelectorAll(':scope > .theme-row')];
  }

  clearAdditions() {
    for (const list of this.list.querySelectorAll('.additions')) list.replaceChildren();
  }

  place(addition) {
    const list = this.list.querySelector(`.theme-row[data-theme="${addition.theme}"] .additions`);
    if (!list) return null;
    const item = document.createElement('li');
    item.dataset.addition = String(addition.id);
    item.textContent = addition.text; // attendee text: never as HTML
    list.append(item);
    return item;
  }

  showRows(ids) {
    const wanted = new Set(ids.map(String));
    for (const row of this.rows()) row.hidden = !wanted.has(row.dataset.theme);
    // Two columns when a screen holds more than three themes (never for one theme at a time).
    this.list.classList.toggle('many', !this.one && ids.length > 3);
  }

  setPagers(themes, additions) {
    this.themesPager.hidden = !themes;
    this.themesPager.textContent = themes || '';
    this.additionsPager.hidden = !additions;
    this.additionsPager.textContent = additions || '';
  }

  usePlan(plan) {
    setScale(plan.scale);
    document.body.classList.toggle('additions-beside', plan.beside);
  }

  // The first plan, from `from` on, under which what is on the board fits; or -1.
  firstFit(plans, from = 0) {
    for (let i = from; i < plans.length; i += 1) {
      this.usePlan(plans[i]);
      if (fits()) return i;
    }
    return -1;
  }

  // Try a screen: these rows, these additions; the index of the plan that fits, or -1.
  tryScreen(rowIds, additions, plans) {
    this.showRows(rowIds);
    this.clearAdditions();
    additions.forEach((a) => this.place(a));
    return this.firstFit(plans);
  }

  /** Work out every screen again, keeping what is on the beamer now on the beamer. */
  layout({ rowIds, additions, allThemes, one }) {
    const keep = this.screens[this.index] || null;
    this.one = one;
    const scales = allowedScales();
    const plansWith = scales.flatMap((scale) => [{ scale, beside: true }, { scale, beside: false }]);
    const plansWithout = scales.map((scale) => ({ scale, beside: false }));
    const byTheme = new Map(rowIds.map((id) => [id, []]));
    for (const a of additions) if (byTheme.has(a.theme)) byTheme.get(a.theme).push(a);
    const shownAdditions = additions.filter((a) => byTheme.has(a.theme));
    // The pager lines take room too: reserve it while measuring.
    this.setPagers('…', '…');

    let groups;
    if (this.tryScreen(rowIds, [], plansWithout) >= 0) {
      groups = [{ rows: rowIds, with: [] }];
    } else {
      groups = this.groupThemes(rowIds, byTheme, plansWith);
    }
    const screens = [];
    for (const group of groups) {
      const label = groups.length > 1 ? themesLabel(group.rows, allThemes) : '';
      const ids = group.rows.flatMap((id) => byTheme.get(id));
      if (ids.length === 0) {
        const found = this.tryScreen(group.rows, [], plansWithout);
        screens.push({ rows: group.rows, ids: [], plan: plansWithout[Math.max(0, found)], label });
        continue;
      }
      const found = this.tryScreen(group.rows, ids, plansWith);
      if (found >= 0) {
        screens.push({ rows: group.rows, ids, plan: plansWith[found], label });
        continue;
      }
      const parts = this.paginate(group.rows, ids, plansWith);
      parts.forEach((part, i) => screens.push({ ...part, label, apage: i + 1, apages: parts.length }));
    }
    this.screens = screens.map((s) => ({ ...s, ids: s.ids.map((a) => a.id), additions: s.ids }));
    // Stay on the screen that shows the same addition, or the same first theme, as before.
    let again = -1;
    if (keep && keep.ids.length) again = this.screens.findIndex((s) => s.ids.includes(keep.ids[0]));
    if (again < 0 && keep) again = this.screens.findIndex((s) => s.rows[0] === keep.rows[0]);
    this.index = again >= 0 ? again : Math.min(this.index, Math.max(0, this.screens.length - 1));
    // A steady beat: a change on the beamer does not hold the pages still.
    if (this.screens.length < 2) {
      clearTimeout(this.timer);
      this.timer = null;
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.turn(), TURN_EVERY_MS);
    }
    this.show();
  }

  // Themes that do not fit on one screen: as many consecutive themes per screen as fit, each
  // with all its additions when those fit beside it (else they take turns within the group).
  groupThemes(rowIds, byTheme, plans) {
    const withOwn = new Map();
    for (const id of rowIds) {
      const own = byTheme.get(id);
      withOwn.set(id, own.length > 0 && this.tryScreen([id], own, plans) >= 0);
    }
    const groups = [];
    let current = [];
    const extra = (ids) => ids.flatMap((id) => (withOwn.get(id) ? byTheme.get(id) : []));
    for (const id of rowIds) {
      const trial = [...current, id];
      if (current.length && this.tryScreen(trial, extra(trial), plans) < 0) {
        groups.push({ rows: current });
        current = [id];
      } else {
        current = trial;
      }
    }
    if (current.length) groups.push({ rows: current });
    return groups;
  }

  // Split additions (oldest first) into screens that each fit above the join corner, with the
  // group's rows. More additions never fit better, so within a page the plan only moves down.
  // One that does not fit even alone beside its group gets a screen with its own theme only.
  paginate(rowIds, additions, plans) {
    const result = [];
    let current = [];
    let k = 0;
    this.showRows(rowIds);
    this.clearAdditions();
    for (const a of additions) {
      const item = this.place(a);
      let found = this.firstFit(plans, k);
      if (found < 0 && current.length > 0) {
        item.remove();
        result.push({ rows: rowIds, ids: current, plan: plans[k] });
        current = [];
        this.clearAdditions();
        this.place(a);
        found = this.firstFit(plans);
      }
      if (found < 0) {
        const alone = this.tryScreen([a.theme], [a], plans);
        result.push({ rows: [a.theme], ids: [a], plan: plans[alone >= 0 ? alone : plans.length - 1] });
        this.showRows(rowIds);
        this.clearAdditions();
        k = 0;
        continue;
      }
      k = found;
      current.push(a);
    }
    if (current.length > 0) result.push({ rows: rowIds, ids: current, plan: plans[k] });
    return result;
  }

  show() {
    const screen = this.screens[this.index] || { rows: [], additions: [], plan: { scale: 1, beside: false } };
    this.showRows(screen.rows);
    this.clearAdditions();
    this.usePlan(screen.plan);
    screen.additions.forEach((a) => this.place(a));
    this.setPagers(screen.label, screen.apages > 1 ? additionsLabel(screen.apage, screen.apages) : '');
    this.onShow(this.current());
  }

  turn() {
    this.index = (this.index + 1) % Math.max(1, this.screens.length);
    this.show();
    this.timer = this.screens.length > 1 ? setTimeout(() => this.turn(), TURN_EVERY_MS) : null;
  }

  /** What is up now, as the `showing` report: addition ids, and page n of the screens with any. */
  current() {
    const withAdditions = this.screens.filter((s) => s.ids.length);
    const screen = this.screens[this.index];
    if (!screen || !screen.ids.length) return { additions: [], page: 0, pages: 0 };
    return { additions: screen.ids, page: withAdditions.indexOf(screen) + 1, pages: withAdditions.length };
  }
}
