// Recognition on the phone: a card per theme drawn from state.themes (in its order), and the
// analysis as a whole (theme 0) at the end. With pace "one" only the current question shows.
// Cards are kept per theme id, so answers and half-typed additions survive every new state.
import { countWords } from '../counts.js';
import { errorText, setStatus, texts } from '../live.js';

const words = texts.phone;
const WHOLE = 0;
const box = document.getElementById('rec-themes');
const intro = document.getElementById('rec-intro');
const template = document.getElementById('tpl-theme');
const sentIds = new Set();
// What the beamer shows, by addition id ({id, theme, text}), and what this phone recognises.
const shown = new Map();
const endorsed = new Set();

const length = (text) => [...text].length; // code points, as the server counts

export function check(name, value) {
  const input = document.querySelector(`input[name="${name}"][value="${value}"]`);
  if (input) input.checked = true;
}

function updateLeft(textarea, speak) {
  const limit = Number(textarea.dataset.limit);
  const left = limit - length(textarea.value);
  const line = document.getElementById(textarea.getAttribute('aria-describedby'));
  const text = left >= 0
    ? words.chars_left.replace('{n}', left).replace('{word}', countWords('chars_left', left))
    : `${-left} ${countWords('chars_over', -left)}`;
  line.textContent = text;
  line.dataset.kind = left < 0 ? 'error' : '';
  // Only near the limit does a screen reader hear the count; every key press would be noise.
  const news = textarea.form.querySelector('[data-chars-news]');
  if (speak && left <= Math.min(50, limit / 10)) news.textContent = text;
  else if (left > 50) news.textContent = '';
}

/** Build the card of one theme (or of the whole, id 0) from the page's template. */
function makeCard(id, send) {
  const card = template.content.firstElementChild.cloneNode(true);
  card.dataset.theme = id;
  for (const input of card.querySelectorAll('input[data-action="vote"]')) {
    input.name = `vote-${id}`;
    input.dataset.theme = id;
  }
  card.querySelector('.choices + .saved').dataset.status = `vote-${id}`;
  const form = card.querySelector('.addition-form');
  form.dataset.theme = id;
  const textarea = form.querySelector('textarea');
  textarea.id = `add-${id}`;
  textarea.setAttribute('aria-describedby', `add-${id}-left`);
  form.querySelector('label').htmlFor = textarea.id;
  form.querySelector('.chars-left').id = `add-${id}-left`;
  form.querySelector('.saved').dataset.status = `addition-${id}`;
  card.querySelector('.sent').dataset.sent = id;
  if (id === WHOLE) {
    card.classList.add('whole');
    // Not a theme: its title has a class of its own, so a list of theme titles stays one.
    const heading = card.querySelector('.theme-title');
    heading.className = 'whole-title';
    heading.textContent = words.whole_title;
    const about = card.querySelector('.desc');
    about.textContent = words.whole_about;
    about.hidden = false;
    card.querySelector('summary').textContent = words.whole_missing;
    form.querySelector('label').textContent = words.whole_label;
  }
  let speakTimer = null;
  textarea.addEventListener('input', () => {
    updateLeft(textarea, false);
    // Speak once the typing pauses.
    clearTimeout(speakTimer);
    speakTimer = setTimeout(() => updateLeft(textarea, true), 800);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = textarea.value.trim();
    const over = length(text) - Number(textarea.dataset.limit);
    if (!text) {
      setStatus(`addition-${id}`, errorText('text_empty'), 'error');
      return;
    }
    if (over > 0) {
      const sentence = words.too_long.replace('{n}', over).replace('{word}', countWords('chars', over));
      setStatus(`addition-${id}`, sentence, 'error');
      textarea.focus();
      return;
    }
    send('addition', { theme: id, text });
    setStatus(`addition-${id}`, words.saving);
  });
  return card;
}

/** The shown additions under each theme's card, each with its "Dat herken ik ook" button. */
function drawOthers(send) {
  for (const card of box.children) {
    const theme = Number(card.dataset.theme);
    const others = card.querySelector('.others');
    const list = others.querySelector('.others-list');
    const items = [...shown.values()].filter((a) => a.theme === theme);
    const kept = new Map([...list.children].map((li) => [Number(li.dataset.addition), li]));
    for (const [id, li] of kept) if (!shown.has(id) || shown.get(id).theme !== theme) li.remove();
    for (const a of items) {
      let li = kept.get(a.id);
      if (!li || !li.isConnected) {
        li = document.createElement('li');
        li.dataset.addition = String(a.id);
        const text = document.createElement('p');
        text.className = 'other-text';
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'endorse';
        button.addEventListener('click', () => {
          const on = !endorsed.has(a.id);
          setPressed(a.id, on);
          send('endorse', { addition: a.id, on });
          setStatus(`endorse-${a.id}`, words.saving);
        });
        const status = document.createElement('p');
        status.className = 'saved';
        status.setAttribute('aria-live', 'polite');
        status.dataset.status = `endorse-${a.id}`;
        li.append(text, button, status);
        list.append(li);
      }
      li.querySelector('.other-text').textContent = a.text; // attendee text: never as HTML
      setPressed(a.id, endorsed.has(a.id));
    }
    others.hidden = items.length === 0;
  }
}

function setPressed(id, on) {
  if (on) endorsed.add(id);
  else endorsed.delete(id);
  const button = box.querySelector(`li[data-addition="${id}"] .endorse`);
  if (!button) return;
  button.setAttribute('aria-pressed', on ? 'true' : 'false');
  button.textContent = on ? words.endorsed : words.endorse;
}

function showSent(theme, id, text) {
  if (id != null && sentIds.has(id)) return;
  if (id != null) sentIds.add(id);
  const sent = box.querySelector(`.sent[data-sent="${theme}"]`);
  if (!sent) return;
  const item = document.createElement('li');
  item.textContent = text; // attendee text: never as HTML
  sent.querySelector('.sent-list').append(item);
  sent.hidden = false;
}

export function createRecognition({ send }) {
  box.addEventListener('change', (event) => {
    const input = event.target;
    if (input.dataset.action !== 'vote') return;
    const theme = Number(input.dataset.theme);
    send('vote', { theme, answer: input.value }, `vote-${theme}`);
    setStatus(`vote-${theme}`, words.saving);
  });

  return {
    /** Draw the themes of a new state, in its order, keeping what is on every card. */
    draw(state) {
      const ids = [...state.themes.map((t) => t.id), WHOLE];
      const cards = new Map([...box.children].map((c) => [Number(c.dataset.theme), c]));
      for (const [id, card] of cards) if (!ids.includes(id)) card.remove();
      ids.forEach((id, at) => {
        const card = cards.get(id) || makeCard(id, send);
        const theme = state.themes.find((t) => t.id === id);
        if (theme) {
          card.querySelector('.theme-title').textContent = theme.title;
          const desc = card.querySelector('.desc');
          desc.textContent = theme.description || '';
          desc.hidden = !theme.description;
        }
        // Move a card only when it is out of place: moving the focused answer would drop the focus.
        if (box.children[at] !== card) box.insertBefore(card, box.children[at] || null);
      });
      const pace = state.pace || { mode: 'all', theme: null };
      const only = pace.mode === 'one' && ids.includes(pace.theme) ? pace.theme : null;
      for (const card of box.children) card.hidden = only !== null && Number(card.dataset.theme) !== only;
      intro.textContent = only === null ? words.every_theme : words.one_at_a_time;
      shown.clear();
      for (const a of state.additions || []) if (a.status === 'shown') shown.set(a.id, a);
      drawOthers(send);
    },
    /** The host showed an addition on the beamer, or took it off. */
    onAddition(a) {
      if (a.status === 'shown') shown.set(a.id, a);
      else shown.delete(a.id);
      drawOthers(send);
    },
    /** The server's answer to a tap: pressed or not, as stored. */
    endorsedAck(item, ack) {
      const id = item.payload.addition;
      if (ack.ok) {
        setPressed(id, item.payload.on);
        setStatus(`endorse-${id}`, '', 'ok');
      } else {
        setPressed(id, !item.payload.on);
        setStatus(`endorse-${id}`, errorText(ack.error), 'error');
      }
    },
    applyMine(mine) {
      for (const [theme, answer] of Object.entries(mine.votes || {})) {
        check(`vote-${theme}`, answer);
        setStatus(`vote-${theme}`, words.saved, 'ok');
      }
      for (const a of mine.additions || []) showSent(a.theme, a.id, a.text);
      endorsed.clear();
      for (const id of mine.endorsed || []) endorsed.add(id);
      drawOthers(send);
    },
    applyPending(item) {
      if (item.event === 'vote') check(`vote-${item.payload.theme}`, item.payload.answer);
      if (item.event === 'endorse') setPressed(item.payload.addition, item.payload.on);
    },
    /** An addition was saved: show it under its theme and empty the box if it still holds it. */
    added(item, ack) {
      const theme = item.payload.theme;
      setStatus(`addition-${theme}`, words.addition_sent, 'ok');
      // The text as the server stored it (lines trimmed, invisible characters gone); an older
      // server's ack has none.
      showSent(theme, ack.addition, ack.text === undefined || ack.text === null ? item.payload.text : ack.text);
      const form = box.querySelector(`.addition-form[data-theme="${theme}"]`);
      if (form && form.text.value.trim() === item.payload.text.trim()) {
        form.text.value = '';
        updateLeft(form.text, false);
      }
    },
  };
}
