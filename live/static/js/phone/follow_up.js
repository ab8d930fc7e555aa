// A terugkombijeenkomst on the phone: a top or a question to the group that presents (a top
// first, a question that helps), and the agreements as they are made. Joining a group is the
// evening's pledge form (phone/pledges.js). A phone never sees a name of a member.
import { errorText, isolate, replaceChildren, setStatus, texts } from '../live.js';

const words = texts.phone;
const STATUS = 'addition-follow-up';

export function createFollowUp({ send }) {
  const form = document.getElementById('extra-form');
  if (!form) return null; // an evening's phone page
  const text = document.getElementById('extra-text');
  const sentBox = document.getElementById('extra-sent');
  const sentList = document.getElementById('extra-sent-list');
  let state = null;

  const title = (id) => (state && state.themes.find((t) => t.id === id) || { title: '' }).title;
  const fill = (template, vars) => template.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : ''));

  function coach() {
    const kind = form.elements.kind.value;
    document.getElementById('coach-top').hidden = kind !== 'top';
    document.getElementById('coach-question').hidden = kind !== 'question';
    text.setAttribute('aria-describedby', `coach-${kind}`);
  }
  for (const radio of form.elements.kind) radio.addEventListener('change', coach);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = text.value.trim();
    if (!state || !state.presenting || !value) return;
    setStatus(STATUS, words.saving);
    send('addition', { theme: state.presenting, text: value, kind: form.elements.kind.value });
  });

  function drawAgreements(list) {
    document.getElementById('phone-no-agreements').hidden = list.length > 0;
    replaceChildren(document.getElementById('phone-agreements'), ...list.map((a) => {
      const li = document.createElement('li');
      const what = document.createElement('p');
      what.className = 'agreement-text';
      what.textContent = a.text;
      const meta = [fill(words.agreement_groups, { themes: a.themes.map((t) => isolate(title(t))).join(` ${words.and} `) })];
      if (a.who) meta.push(fill(words.agreement_who, { who: isolate(a.who) }));
      if (a.due) meta.push(fill(words.agreement_due, { due: isolate(a.due) }));
      const about = document.createElement('p');
      about.className = 'hint';
      about.textContent = meta.join(' · ');
      li.append(what, about);
      return li;
    }));
  }

  return {
    draw(next) {
      state = next;
      const now = document.getElementById('present-now');
      now.textContent = state.presenting ? fill(words.present_now, { theme: isolate(title(state.presenting)) }) : words.present_none;
      form.hidden = !state.presenting;
      drawAgreements(state.agreements || []);
    },
    agreements: drawAgreements,
    statusKey: STATUS,
    answered(item, ack) {
      if (!ack.ok) {
        setStatus(STATUS, errorText(ack.error), 'error');
        return;
      }
      setStatus(STATUS, words.extra_sent, 'ok');
      if (text.value.trim() === item.payload.text) text.value = '';
      const li = document.createElement('li');
      const kind = document.createElement('strong');
      kind.textContent = `${item.payload.kind === 'top' ? words.top : words.question} · ${fill(words.extra_to, { theme: isolate(title(item.payload.theme)) })}`;
      const body = document.createElement('span');
      body.className = 'hint';
      body.textContent = item.payload.text;
      li.append(kind, body);
      sentList.append(li);
      sentBox.hidden = false;
    },
  };
}
