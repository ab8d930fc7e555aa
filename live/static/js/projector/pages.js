// The beamer's screens: what fits at a size the back of the hall can read, and the turning of
// pages when it does not all fit. Text never shrinks below the floor; instead themes and shown
// additions take turns, and a pager line says which part is on the screen.
import { texts } from '../live.js';
import { additionsLabel, longestThemesLabel, themesLabel } from './board.js';

/** "3 herkennen dit" under an addition (nothing for none, or while its results are hidden);
 * true when the line appeared or went, so the layout must be worked out again. */
function setEndorsed(item, n) {
  let line = item.querySelector('.endorsed');
  const had = Boolean(line);
  if (!n) {
    if (line) line.remove();
    return had;
  }
  if (!line) {
    line = document.createElement('span');
    line.className = 'endorsed';
    item.append(line);
  }
  line.textContent = n === 1 ? '1 herkent dit' : `${n} herkennen dit`;
  return !had;
}

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
    for (const el of section.querySelectorAll('.meter, img, .additions li')) {
      if (under(el.getBoundingClientRect())) return false;
    }
    // An addition was measured as a whole above; its text may run on past its box, where
    // live.css cuts it off (a very long one), and that part is never on the screen. A theme's
    // title likewise: live.css ends a long one after a few lines with "…", so its box counts.
    for (const title of section.querySelectorAll('.theme-row:not([hidden]) h2')) {
      if (under(title.getBoundingClientRect())) return false;
    }
    const cut = '.additions li, .theme-row h2';
    const skip = { acceptNode: (n) => (n.parentElement.closest(cut) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT) };
    const texts = document.createTreeWalker(section, NodeFilter.SHOW_TEXT, skip);
    while (texts.nextNode()) {
      range.selectNodeContents(texts.currentNode);
      for (const r of range.getClientRects()) if (under(r)) return false;
    }
  }
  return true;
}

/** The theme rows a person can see whole now: inside the screen and clear of the join corner.
 *  Only these are counted by the pager line ("Thema's 1-4 van 20"). */
export function wholeRows(rows) {
  const corner = document.querySelector('.corner').getBoundingClientRect();
  return rows.filter((row) => {
    if (row.hidden) return false;
    const r = row.getBoundingClientRect();
    if (r.height === 0 || r.top < 0 || r.bottom > window.innerHeight + 0.5 || r.right > window.innerWidth + 0.5) return false;
    return !(r.right > corner.left && r.bottom > corner.top && r.left < corner.right && r.top < corner.bottom);
  });
}

// The lobby's big lines may shrink this far (times their own size) to fit a long title or a long
// hosted address; they never go below the body text, which stays above the floor.
const LOBBY_SCALES = [1, 0.9, 0.8, 0.7, 0.6, 0.5];

/** Shrink the lobby's title and big lines until the QR code, the address and the code all fit on
 *  the screen (a long title or a long hosted address would push them off the bottom). */
export function fitLobby() {
  setScale(1);
  for (const scale of LOBBY_SCALES) {
    document.body.style.setProperty('--lobby-fit', String(scale));
    if (fits()) return;
  }
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

  /** New counts of "Dat herken ik ook" on the additions in view; whether a line came or went. */
  setEndorsements(counts) {
    let changed = false;
    for (const item of this.list.querySelectorAll('.additions li[data-addition]')) {
      changed = setEndorsed(item, counts[item.dataset.addition]) || changed;
    }
    return changed;
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
    if (addition.mentions > 1) {
      // Merged with others that said the same: it stands for that many people.
      const line = document.createElement('span');
      line.className = 'mentions';
      line.textContent = texts.projector.mentions.replace('{n}', String(addition.mentions));
      item.append(line);
    }
    setEndorsed(item, addition.endorsements);
    list.append(item);
    return item;
  }

  showRows(ids) {
    const wanted = new Set(ids.map(String));
    for (const row of this.rows()) row.hidden = !wanted.has(row.dataset.theme);
  }

  setPagers(themes, additions) {
    this.themesPager.hidden = !themes;
    this.themesPager.textContent = themes || '';
    this.additionsPager.hidden = !additions;
    this.additionsPager.textContent = additions || '';
  }

  // Ways to lay out a screen of these rows, best first: one column for up to four rows, two
  // columns (more than four rows need them), the board a little smaller, additions beside
  // their theme (short ones) or below it. Additions keep their own floor in live.css.
  plans(rowIds, withAdditions) {
    const columns = this.one ? [false] : rowIds.length > 4 ? [true] : [false, true];
    const besides = withAdditions ? [true, false] : [false];
    // When themes take turns anyway, the board shrinks to the floor first, so fewer turns.
    const scales = this.dense ? [...this.scales].reverse() : this.scales;
    return scales.flatMap((scale) => columns.flatMap((two) => besides.map((beside) => ({ scale, two, beside }))));
  }

  usePlan(plan) {
    setScale(plan.scale);
    this.list.classList.toggle('many', plan.two);
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
  tryScreen(rowIds, additions, plans = this.plans(rowIds, additions.length > 0)) {
    this.showRows(rowIds);
    this.clearAdditions();
    additions.forEach((a) => this.place(a));
    return this.firstFit(plans);
  }

  /** Work out every screen again, keeping what is on the beamer now on the beamer. `hold`: the
   *  theme the host holds the beamer on (its screen stays up, no turning), or null. */
  layout({ rowIds, additions, allThemes, one, hold = null }) {
    const keep = this.screens[this.index] || null;
    this.one = one;
    this.allThemes = allThemes;
    this.scales = allowedScales();
    this.dense = false;
    const byTheme = new Map(rowIds.map((id) => [id, []]));
    for (const a of additions) if (byTheme.has(a.theme)) byTheme.get(a.theme).push(a);
    const shownAdditions = additions.filter((a) => byTheme.has(a.theme));
    // The pager lines take room too: reserve the longest they can be while measuring.
    this.setPagers(longestThemesLabel(allThemes.length), additionsLabel(99, 99));

    let groups;
    if (this.tryScreen(rowIds, []) >= 0) {
      groups = [{ rows: rowIds }];
    } else {
      this.dense = true;
      groups = this.groupThemes(rowIds, byTheme);
    }
    const screens = [];
    for (const group of groups) {
      const label = groups.length > 1 ? themesLabel(group.rows, allThemes) : '';
      const ids = group.rows.flatMap((id) => byTheme.get(id)).sort((a, b) => a.id - b.id);
      if (ids.length === 0) {
        const plans = this.plans(group.rows, false);
        const found = this.tryScreen(group.rows, [], plans);
        screens.push({ rows: group.rows, ids: [], plan: plans.at(found), label });
        continue;
      }
      const plans = this.plans(group.rows, true);
      const found = this.tryScreen(group.rows, ids, plans);
      if (found >= 0) {
        screens.push({ rows: group.rows, ids, plan: plans[found], label });
        continue;
      }
      const parts = this.paginate(group.rows, ids);
      // Themes (and the whole) with no addition on any page still get their turn: on the last
      // page they fit on, else on a screen of their own.
      const missing = group.rows.filter((id) => !parts.some((part) => part.rows.includes(id)));
      if (missing.length) {
        const host = [...parts].reverse().find((part) => {
          const rows = group.rows.filter((id) => part.rows.includes(id) || missing.includes(id));
          const both = this.plans(rows, true);
          const found = this.tryScreen(rows, part.ids, both);
          if (found >= 0) Object.assign(part, { rows, plan: both[found] });
          return found >= 0;
        });
        if (!host) {
          const rest = this.plans(missing, false);
          parts.push({ rows: missing, ids: [], plan: rest.at(this.tryScreen(missing, [], rest)) });
        }
      }
      parts.forEach((part, i) => screens.push({ ...part, label, apage: i + 1, apages: parts.length }));
    }
    this.screens = screens.map((s) => ({ ...s, ids: s.ids.map((a) => a.id), additions: s.ids }));
    // Stay on the screen that shows the same addition, or the same first theme, as before.
    let again = -1;
    if (keep && keep.ids.length) again = this.screens.findIndex((s) => s.ids.includes(keep.ids[0]));
    if (again < 0 && keep) again = this.screens.findIndex((s) => s.rows[0] === keep.rows[0]);
    this.index = again >= 0 ? again : Math.min(this.index, Math.max(0, this.screens.length - 1));
    // Held by the host: the screen that starts with that theme (else the first that shows it)
    // stays up. Only the additions of that screen, when they take more than one, still turn.
    this.cycle = this.screens.map((_, i) => i);
    const held = hold === null ? [] : this.cycle.filter((i) => this.screens[i].rows.includes(hold));
    if (held.length) {
      const starts = held.filter((i) => this.screens[i].rows[0] === hold);
      this.cycle = starts.length ? starts : [held[0]];
      if (!this.cycle.includes(this.index)) this.index = this.cycle[0];
    }
    // A steady beat: a change on the beamer does not hold the pages still.
    if (this.cycle.length < 2) {
      clearTimeout(this.timer);
      this.timer = null;
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.turn(), TURN_EVERY_MS);
    }
    this.show();
  }

  // Themes that do not fit on one screen: as many consecutive themes per screen as fit, each
  // with all its additions when those fit beside it (else they take turns within the group).
  groupThemes(rowIds, byTheme) {
    const withOwn = new Map();
    for (const id of rowIds) {
      const own = byTheme.get(id);
      withOwn.set(id, own.length > 0 && this.tryScreen([id], own) >= 0);
    }
    const groups = [];
    let current = [];
    const extra = (ids) => ids.flatMap((id) => (withOwn.get(id) ? byTheme.get(id) : []));
    for (const id of rowIds) {
      const trial = [...current, id];
      if (current.length && this.tryScreen(trial, extra(trial)) < 0) {
        groups.push({ rows: current });
        current = [id];
      } else {
        current = trial;
      }
    }
    if (current.length) groups.push({ rows: current });
    return groups;
  }

  // Split additions (oldest first) into screens that each fit above the join corner. A screen
  // shows the rows of the themes whose additions are on it, so each page holds as many as fit.
  // One that does not fit even alone gets the smallest layout the floor allows.
  paginate(rowIds, additions) {
    const result = [];
    let current = [];
    const rowsOf = (list) => rowIds.filter((id) => list.some((a) => a.theme === id));
    let last = null;
    for (const a of additions) {
      const trial = [...current, a];
      const plans = this.plans(rowsOf(trial), true);
      const found = this.tryScreen(rowsOf(trial), trial, plans);
      if (found >= 0) {
        current = trial;
        last = plans[found];
        continue;
      }
      if (current.length > 0) result.push({ rows: rowsOf(current), ids: current, plan: last });
      const solo = this.plans([a.theme], true);
      const alone = this.tryScreen([a.theme], [a], solo);
      current = [a];
      last = solo.at(alone);
    }
    if (current.length > 0) result.push({ rows: rowsOf(current), ids: current, plan: last });
    return result;
  }

  show() {
    const screen = this.screens[this.index] || { rows: [], additions: [], plan: { scale: 1, two: false, beside: false } };
    this.showRows(screen.rows);
    this.clearAdditions();
    this.usePlan(screen.plan);
    screen.additions.forEach((a) => this.place(a));
    const additionsLine = screen.apages > 1 ? additionsLabel(screen.apage, screen.apages) : '';
    this.setPagers(screen.label, additionsLine);
    // The pager line claims only the themes seen whole: never one cut off at the bottom or
    // under the join corner (worked out after the line itself took its room).
    const rows = this.rows().filter((row) => !row.hidden);
    this.seen = wholeRows(rows).map((row) => Number(row.dataset.theme));
    // One theme at a time says which one of how many it is ("Thema 5 van 8").
    const oneOfMany = this.one && (this.allThemes || []).length > 1;
    if (screen.label || oneOfMany || this.seen.length < rows.length) {
      this.setPagers(this.seen.length ? themesLabel(this.seen, this.allThemes || []) : '', additionsLine);
    }
    this.onShow(this.current());
  }

  /** Forget the running beat; the next layout starts one from now. */
  restartBeat() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  turn() {
    const cycle = this.cycle && this.cycle.length ? this.cycle : this.screens.map((_, i) => i);
    this.index = cycle[(cycle.indexOf(this.index) + 1) % Math.max(1, cycle.length)] ?? 0;
    this.show();
    this.timer = cycle.length > 1 ? setTimeout(() => this.turn(), TURN_EVERY_MS) : null;
  }

  /** What is up now, as the `showing` report: addition ids, and page n of the screens with any;
   *  the themes seen whole, screen n of all, and the first theme of each screen (the host's
   *  Vorige and Volgende hold the beamer on those). */
  current() {
    const withAdditions = this.screens.filter((s) => s.ids.length);
    const screen = this.screens[this.index];
    const screens = {
      themes: screen ? this.seen || [] : [],
      screen: screen ? this.index + 1 : 0,
      screens: this.screens.length,
      starts: this.screens.map((s) => s.rows[0] ?? 0),
    };
    if (!screen || !screen.ids.length) return { additions: [], page: 0, pages: 0, ...screens };
    return { additions: screen.ids, page: withAdditions.indexOf(screen) + 1, pages: withAdditions.length, ...screens };
  }
}
