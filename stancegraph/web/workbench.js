// The coding workbench: #/code (pick or create a source) and #/code/SOURCE (code stances
// from the source's text). Dependency-free, like the rest of the explorer.
//
// The text stays in the browser (pasted or dropped, kept in localStorage per source); only
// quotes and selectors are stored: a W3C Web Annotation TextQuoteSelector (exact, prefix,
// suffix), a TextPositionSelector (start, end: offsets in this text) and the paragraph
// (every non-empty line is one paragraph, the first being 1). Existing evidence is
// re-anchored in the text (position, then quote with prefix and suffix) and highlighted.
//
// Writes go through the JSON write routes (/api/sources/SOURCE/stances, /api/stances/ID,
// /api/actors, /api/propositions) with the coder's bearer token, kept in sessionStorage
// for this tab. Every change of the form is validated by a dry run; errors show next to
// their fields. Nothing is written until Save.
//
// Independent coding ("my own space", remembered per source): stances are saved to the
// coder's own coding graph (/api/sources/SOURCE/coders/CODER/stances), checked the same
// way but kept out of the record until a merge promotes them; the view then shows only
// this coder's own stances, and the merged ones on request. "Agreement and merge" compares
// with another coder (/api/sources/SOURCE/agreement), merges the agreed units and accepts
// one coder's version of a disputed unit (/api/sources/SOURCE/merge).

const ID = 'https://w3id.org/stancegraph/id/';
const VOCAB = 'https://w3id.org/stancegraph/vocab/';
const SLUG = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const CONTEXT = 32; // characters of prefix and suffix kept with a quote
const TOKEN_KEY = 'stancegraph.token';

export const SHORTCUTS = [
  ['Alt+F', 'find a quote in the text (Enter selects it and opens the form)'],
  ['Alt+Q', 'code the text selected with the mouse or the keyboard'],
  ['Alt+J / Alt+K', 'next / previous coded quote (Enter edits it)'],
  ['Alt+A', 'new actor (for the field in focus, else the holder)'],
  ['Alt+P', 'new proposition (for the target)'],
  ['Alt+C', 'add a condition'],
  ['Ctrl+Enter', 'save the stance'],
  ['Alt+Shift+D', 'delete the stance being edited (twice to confirm)'],
  ['Escape', 'close the form'],
  ['Alt+T', 'go to the text (or to the box to paste it in)'],
  ['Ctrl+Enter in the paste box', 'use the pasted text'],
];

function slugOf(iri, kind) {
  const base = `${ID}${kind}/`;
  return iri && iri.startsWith(base) ? iri.slice(base.length) : null;
}

function norm(text) {
  return String(text ?? '').toLowerCase().replace(/\s+/g, ' ').trim();
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

// ------------------------------------------------------------------ text

/** Paragraphs of a text: every non-empty line, with its offset in the text. */
export function paragraphs(text) {
  const out = [];
  let at = 0;
  for (const line of text.split('\n')) {
    if (line.trim()) out.push({ n: out.length + 1, start: at, end: at + line.length, text: line });
    at += line.length + 1;
  }
  return out;
}

function paragraphAt(paras, offset) {
  return paras.find((p) => offset >= p.start && offset <= p.end) || null;
}

/** Where a stored quote sits in this text: [start, end] or null. */
export function anchor(text, paras, ev) {
  const exact = ev.exact;
  if (!exact) return null;
  if (ev.start != null && text.slice(ev.start, ev.end) === exact) return [ev.start, ev.end];
  let best = null;
  let bestScore = -Infinity;
  for (let i = text.indexOf(exact); i >= 0; i = text.indexOf(exact, i + 1)) {
    let score = 0;
    if (ev.prefix && text.slice(Math.max(0, i - ev.prefix.length), i) === ev.prefix) score += 4;
    if (ev.suffix && text.slice(i + exact.length, i + exact.length + ev.suffix.length) === ev.suffix) score += 4;
    const p = paragraphAt(paras, i);
    if (p && ev.paragraph && p.n === ev.paragraph) score += 2;
    if (ev.start != null) score -= Math.abs(i - ev.start) / 1e6;
    if (score > bestScore) { best = [i, i + exact.length]; bestScore = score; }
  }
  return best;
}

/** The actor whose name or alias is nearest to [start, end) (people first). */
export function guessSpeaker(text, start, end, actors) {
  const lo = Math.max(0, start - 400);
  const window = text.slice(lo, Math.min(text.length, end + 200)).toLowerCase();
  let best = null;
  let bestDist = Infinity;
  for (const a of actors) {
    for (const name of a.names) {
      if (name.length < 3) continue;
      const needle = name.toLowerCase();
      for (let i = window.indexOf(needle); i >= 0; i = window.indexOf(needle, i + 1)) {
        const before = window[i - 1];
        const after = window[i + needle.length];
        if ((before && /\w/.test(before)) || (after && /\w/.test(after))) continue;
        const s = lo + i;
        const e = s + needle.length;
        let dist = e <= start ? start - e : s >= end ? s - end : 0;
        if (!a.person) dist = dist * 2 + 50;
        if (dist < bestDist) { best = a; bestDist = dist; }
      }
    }
  }
  return best;
}

// ------------------------------------------------------------------ data

async function loadSourceData(source, d) {
  const g = `<${ID}graph/source/${source}>`;
  const src = `<${ID}source/${source}>`;
  const [info, actorRows, propRows, vocabRows, evRows] = await Promise.all([
    d.select(`SELECT ?title ?published WHERE { ${src} rdfs:label ?title .
      OPTIONAL { ${src} schema:datePublished ?published } } LIMIT 1`),
    d.select(`SELECT ?a ?label ?type ?alt WHERE { ?a a ?type . ?type rdfs:subClassOf* sg:Actor .
      ?a rdfs:label ?label . OPTIONAL { ?a skos:altLabel|foaf:name|schema:name ?alt }
      FILTER(STRSTARTS(STR(?a), "${ID}actor/")) }`),
    d.select(`SELECT ?p ?label WHERE { ?p a sg:Proposition ; rdfs:label ?label }`),
    d.select(`SELECT ?c ?label WHERE { ?c a skos:Concept ; skos:prefLabel ?label .
      FILTER(STRSTARTS(STR(?c), "${VOCAB}") && LANGMATCHES(LANG(?label), "en")) }`),
    d.select(`SELECT ?s ?holderLabel ?pol ?ev ?par ?exact ?prefix ?suffix ?start ?end ?coder WHERE {
      GRAPH ${g} { ?s a sg:Stance ; sg:polarity ?pol ; sg:holder ?holder ; sg:hasEvidence ?ev .
        ?ev oa:hasTarget ?t . ?t sg:paragraph ?par .
        OPTIONAL { ?t oa:hasSelector ?q . ?q oa:exact ?exact .
          OPTIONAL { ?q oa:prefix ?prefix } OPTIONAL { ?q oa:suffix ?suffix } }
        OPTIONAL { ?t oa:hasSelector ?ps . ?ps oa:start ?start ; oa:end ?end }
        OPTIONAL { ?s prov:wasAttributedTo ?coder } }
      OPTIONAL { ?holder rdfs:label ?holderLabel } }`),
  ]);
  if (!info.length) throw new d.ViewError(404, `There is no source “${source}”.`);
  const actors = new Map();
  for (const r of actorRows) {
    const id = slugOf(r.a, 'actor');
    if (!id) continue;
    const a = actors.get(id) || { id, label: r.label, names: new Set([r.label]), person: false };
    if (r.type.endsWith('#Person')) a.person = true;
    if (r.alt) a.names.add(r.alt);
    actors.set(id, a);
  }
  for (const a of actors.values()) {
    if (a.person) {
      const last = a.label.split(/\s+/).pop();
      if (last && last.length > 3) a.names.add(last);
    }
    a.names = [...a.names];
  }
  const props = new Map();
  for (const r of propRows) {
    const id = slugOf(r.p, 'proposition');
    if (id) props.set(id, { id, label: r.label });
  }
  const vocab = {};
  for (const r of vocabRows) {
    const [scheme, key] = r.c.slice(VOCAB.length).split('/');
    if (!key) continue;
    (vocab[scheme] ||= []).push({ key, label: r.label });
  }
  for (const list of Object.values(vocab)) list.sort((a, b) => a.key.localeCompare(b.key));
  const stances = new Map();
  const seen = new Set();
  for (const r of evRows) {
    const id = slugOf(r.s, 'stance');
    if (!id) continue;
    const st = stances.get(id) || { id, holder: r.holderLabel || '', polarity: r.pol.split('/').pop(), evidence: [], coders: new Set() };
    if (r.coder) st.coders.add(r.coder.split('/').pop());
    if (!seen.has(r.ev)) {
      seen.add(r.ev);
      st.evidence.push({
        paragraph: Number(r.par), exact: r.exact || null, prefix: r.prefix || null, suffix: r.suffix || null,
        start: r.start != null ? Number(r.start) : null, end: r.end != null ? Number(r.end) : null,
      });
    }
    stances.set(id, st);
  }
  return { title: info[0].title, published: info[0].published || '', actors, props, vocab, stances };
}

/** A coder's own (unmerged) stances on a source, as the stance entries the view draws. */
async function loadDrafts(source, coder) {
  const out = new Map();
  if (!coder) return out;
  const r = await fetch(`/api/sources/${source}/coders/${coder}/stances`, { headers: { Accept: 'application/json' } });
  if (!r.ok) return out;
  for (const dr of await r.json()) {
    const rec = dr.record;
    out.set(dr.id, {
      id: dr.id, holder: rec.holder || '', polarity: rec.polarity || 'unstated', coders: new Set([coder]),
      draft: true, mergedInto: dr.merged_into,
      evidence: (rec.evidence || []).map((e) => ({
        paragraph: Number(e.paragraph), exact: e.quote || null, prefix: e.prefix || null, suffix: e.suffix || null,
        start: e.start ?? null, end: e.end ?? null,
      })),
    });
  }
  return out;
}

// ------------------------------------------------------------------ write calls

async function call(method, url, body, { dryRun = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const response = await fetch(dryRun ? `${url}?dry_run=true` : url, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json = null;
  try {
    json = await response.json();
  } catch {
    json = null;
  }
  return { status: response.status, ok: response.ok, json };
}

// ------------------------------------------------------------------ #/code

export async function codeIndexView(d) {
  const { h } = d;
  const rows = await d.select(`SELECT ?s ?title ?published WHERE { ?s a prov:Entity ; rdfs:label ?title .
    OPTIONAL { ?s schema:datePublished ?published } FILTER(STRSTARTS(STR(?s), "${ID}source/")) }
    ORDER BY DESC(?published)`);
  const list = h('ul', { class: 'wb-sources' });
  for (const r of rows) {
    const id = slugOf(r.s, 'source');
    if (!id || !SLUG.test(id)) continue;
    list.append(h('li', null, h('a', { href: `#/code/${id}` }, r.title), ' ', h('span', { class: 'muted' }, String(r.published || '').slice(0, 10))));
  }
  const errors = h('div', { class: 'wb-general', role: 'alert' });
  const field = (name, label, attrs = {}) => h('p', { class: 'wb-field' },
    h('label', { for: `ns-${name}` }, label), h('input', { id: `ns-${name}`, name, ...attrs }),
    h('span', { class: 'field-error', id: `ns-err-${name}` }));
  const form = h('form', { class: 'wb-newsource panel', 'aria-label': 'New source' },
    h('h2', null, 'New source'),
    field('id', 'Id (a-z, 0-9, -)', { required: true, pattern: '[a-z0-9]([a-z0-9-]*[a-z0-9])?' }),
    field('title', 'Title (your description)', { required: true }),
    field('publisher', 'Publisher (actor id)', { required: true }),
    field('published', 'Published', { type: 'date', required: true }),
    field('language', 'Language', { value: 'en', required: true }),
    h('p', null, h('button', { type: 'submit' }, 'Create source')), errors);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const r = await call('POST', '/api/sources', data);
    for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
    errors.textContent = '';
    if (r.ok) {
      d.invalidate();
      d.go(`#/code/${data.id}`);
      return;
    }
    for (const det of r.json?.error?.details || []) {
      const el = form.querySelector(`#ns-err-${String(det.field || '').split('.')[0]}`);
      if (el) el.textContent = det.message;
      else errors.append(h('p', null, det.message));
    }
    if (!Array.isArray(r.json?.error?.details)) errors.append(h('p', null, r.json?.error?.message || `error ${r.status}`));
  });
  return {
    title: 'Code',
    body: [h('h1', { tabindex: '-1' }, 'Code stances'),
      h('p', { class: 'lede' }, 'Pick the source you are coding, or create it. You need a write token from the operator.'),
      d.section('Sources', rows.length ? list : h('p', null, 'No sources yet.')), tokenField(d), form],
  };
}

/** Who the token in this tab codes as (GET /api/coder), or null. */
async function whoami() {
  if (!token()) return null;
  const r = await call('GET', '/api/coder');
  return r.ok ? r.json.coder : null;
}

function tokenField(d, onCoder = () => {}) {
  const { h } = d;
  const input = h('input', { id: 'wb-token', type: 'password', autocomplete: 'off', value: token(), 'aria-describedby': 'wb-token-help' });
  const who = h('span', { id: 'wb-coder', class: 'muted' });
  let timer = null;
  const update = async () => {
    const coder = await whoami();
    who.textContent = coder ? ` Coding as ${coder}.` : token() ? ' This token cannot write.' : '';
    onCoder(coder);
  };
  input.addEventListener('input', () => {
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  });
  update();
  return h('p', { class: 'wb-token' }, h('label', { for: 'wb-token' }, 'Your write token'), input,
    h('span', { id: 'wb-token-help', class: 'muted' }, ' kept in this tab only; it says who you are.'), who);
}

// ------------------------------------------------------------------ #/code/SOURCE

export async function workbenchView(source, d) {
  const { h } = d;
  if (!SLUG.test(source)) throw new d.ViewError(404, `There is no source “${source}”.`);
  let data = await loadSourceData(source, d);
  const textKey = `stancegraph.text.${source}`;
  let text = localStorage.getItem(textKey) || '';
  let paras = paragraphs(text);
  let editing = null; // the id of the stance in the form, when editing
  let evidence = null; // the evidence the form codes
  let checkSeq = 0;
  let findFrom = 0;
  let me = null; // the coder id of the token

  // -- the text
  const textBox = h('div', { class: 'wb-text', id: 'wb-text', tabindex: '0', 'aria-label': 'Source text' });
  const paste = h('textarea', { id: 'wb-paste', rows: '8', placeholder: 'Paste the text of the source here, or drop a .txt file', 'aria-label': 'Source text to code' });
  const pasteBox = h('div', { class: 'wb-paste' }, paste,
    h('p', null, h('button', { type: 'button', id: 'wb-use-text' }, 'Use this text')));
  const forget = h('button', { type: 'button', class: 'link-button', id: 'wb-forget' }, 'Replace the text');
  const stanceList = h('ol', { class: 'wb-stances', id: 'wb-stances' });
  const unanchored = h('p', { class: 'muted', id: 'wb-unanchored' });
  const find = h('input', { id: 'wb-find', type: 'search', 'aria-label': 'Find a quote in the text', placeholder: 'Find a quote (Alt+F), Enter to code it' });
  const status = h('p', { class: 'wb-status', role: 'status', id: 'wb-status' });
  const spaceNote = h('p', { class: 'muted', id: 'wb-space' });

  // Blind coding: show only the stances this coder coded.
  const blind = h('input', { type: 'checkbox', id: 'wb-blind' });
  blind.addEventListener('change', () => draw());
  // Independent coding: save to the coder's own space; show their own stances (and, on
  // request, the merged record).
  const ownKey = `stancegraph.own.${source}`;
  const own = h('input', { type: 'checkbox', id: 'wb-own' });
  own.checked = localStorage.getItem(ownKey) === 'yes';
  const withMerged = h('input', { type: 'checkbox', id: 'wb-with-merged' });
  let mine = new Map(); // this coder's own stances (drafts) by id
  own.addEventListener('change', async () => {
    localStorage.setItem(ownKey, own.checked ? 'yes' : 'no');
    await refresh();
  });
  withMerged.addEventListener('change', () => draw());
  const isOwn = () => own.checked && Boolean(me);
  const shown = () => (isOwn()
    ? [...mine.values(), ...(withMerged.checked ? [...data.stances.values()].filter((st) => !mine.has(st.id)) : [])]
    : [...data.stances.values()].filter((st) => !blind.checked || (me && st.coders.has(me))));

  function setText(value) {
    text = value.replace(/\r\n?/g, '\n');
    paras = paragraphs(text);
    localStorage.setItem(textKey, text);
    draw();
  }

  function draw() {
    pasteBox.hidden = Boolean(text);
    textBox.hidden = !text;
    forget.hidden = !text;
    // Anchor every quote, then cut each paragraph into runs covered by the same stances.
    const spans = [];
    let lost = 0;
    for (const st of shown()) {
      for (const ev of st.evidence) {
        const at = text ? anchor(text, paras, ev) : null;
        if (at) spans.push({ start: at[0], end: at[1], id: st.id, pol: st.polarity });
        else lost += 1;
      }
    }
    const nodes = [];
    for (const p of paras) {
      const mine = spans.filter((s) => s.start < p.end && s.end > p.start);
      const cuts = new Set([p.start, p.end]);
      for (const s of mine) { cuts.add(Math.max(s.start, p.start)); cuts.add(Math.min(s.end, p.end)); }
      const points = [...cuts].sort((a, b) => a - b);
      const el = h('p', { class: 'wb-para', 'data-para': String(p.n), 'data-start': String(p.start) });
      for (let i = 0; i + 1 < points.length; i++) {
        const [a, b] = [points[i], points[i + 1]];
        const cover = mine.filter((s) => s.start <= a && s.end >= b);
        const run = text.slice(a, b);
        if (!cover.length) { el.append(run); continue; }
        const ids = [...new Set(cover.map((s) => s.id))];
        el.append(h('mark', { class: `wb-mark pol-${cover[0].pol}`, tabindex: '-1', 'data-stances': ids.join(' '), title: ids.join(', ') }, run));
      }
      nodes.push(el);
    }
    textBox.replaceChildren(...nodes);
    stanceList.replaceChildren(...shown().sort((a, b) => a.id.localeCompare(b.id)).map((st) =>
      h('li', { class: st.draft ? 'wb-draft' : 'wb-merged' },
        isOwn() && !st.draft
          ? h('a', { href: `#/stance/${st.id}` }, st.id)
          : h('button', { type: 'button', class: 'link-button', 'data-edit': st.id }, st.id), ' ',
        d.polarityBadge(st.polarity), ' ', h('span', { class: 'muted' }, `${st.holder}${st.coders.size ? ` · coded by ${[...st.coders].join(', ')}` : ''}`
          + (st.draft ? (st.mergedInto ? ` · merged as ${st.mergedInto}` : ' · mine, not merged') : isOwn() ? ' · in the record' : '')))));
    spaceNote.textContent = own.checked
      ? (me ? `Saving to ${me}’s own space: not in the record until a merge.` : 'Enter your write token to code in your own space.')
      : '';
    unanchored.textContent = text && lost ? `${lost} quote(s) not found in this text.` : '';
  }

  // -- offsets of a DOM selection in the text
  function offsetIn(container, node, offset) {
    const p = (node.nodeType === 1 ? node : node.parentElement)?.closest('.wb-para');
    if (!p || !container.contains(p)) return null;
    let at = Number(p.dataset.start);
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    if (node.nodeType === 1) {
      // An element boundary: count the text of its children before `offset`.
      for (let i = 0; i < offset && i < node.childNodes.length; i++) at += node.childNodes[i].textContent.length;
      for (let n = walker.nextNode(); n && !node.contains(n); n = walker.nextNode()) at += n.textContent.length;
      return at;
    }
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n === node) return at + offset;
      at += n.textContent.length;
    }
    return null;
  }

  function codeSpan(start, end) {
    // Trim white space; keep the span inside one paragraph.
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
    const p = paragraphAt(paras, start);
    if (!p || end <= start) return;
    end = Math.min(end, p.end);
    const exact = text.slice(start, end);
    evidence = {
      paragraph: p.n, quote: exact, start, end,
      prefix: text.slice(Math.max(0, start - CONTEXT), start) || null,
      suffix: text.slice(end, end + CONTEXT) || null,
    };
    const speaker = guessSpeaker(text, start, end, data.actors.values());
    openForm(null, { speaker: speaker ? speaker.id : '' });
    highlightSelection(start, end);
  }

  function highlightSelection(start, end) {
    for (const el of textBox.querySelectorAll('.wb-pending')) el.classList.remove('wb-pending');
    const p = textBox.querySelector(`.wb-para[data-para="${paragraphAt(paras, start)?.n}"]`);
    if (p) p.classList.add('wb-pending');
    status.textContent = `Coding “${text.slice(start, end).slice(0, 80)}” (paragraph ${paragraphAt(paras, start)?.n}, characters ${start}–${end})`;
  }

  function codeSelection() {
    const sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) return false;
    const r = sel.getRangeAt(0);
    const a = offsetIn(textBox, r.startContainer, r.startOffset);
    const b = offsetIn(textBox, r.endContainer, r.endOffset);
    if (a == null || b == null || b <= a) return false;
    codeSpan(a, b);
    return true;
  }

  textBox.addEventListener('mouseup', () => { codeSelection(); });
  find.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    const needle = find.value;
    if (!needle || !text) return;
    let i = text.indexOf(needle, findFrom);
    if (i < 0) i = text.indexOf(needle);
    if (i < 0) { status.textContent = `“${needle}” is not in the text.`; return; }
    findFrom = i + 1;
    codeSpan(i, i + needle.length);
  });
  paste.addEventListener('dragover', (ev) => ev.preventDefault());
  paste.addEventListener('drop', async (ev) => {
    const file = ev.dataTransfer?.files?.[0];
    if (!file) return;
    ev.preventDefault();
    setText(await file.text());
  });
  pasteBox.querySelector('#wb-use-text').addEventListener('click', () => { if (paste.value.trim()) setText(paste.value); });
  forget.addEventListener('click', () => {
    localStorage.removeItem(textKey);
    text = '';
    paras = [];
    paste.value = '';
    draw();
    paste.focus();
  });

  // -- the form
  const datalist = (id, items) => h('datalist', { id }, ...items.map((x) => h('option', { value: x.id }, x.label)));
  const actorList = datalist('wb-actors', [...data.actors.values()]);
  const propList = datalist('wb-props', [...data.props.values()]);
  const options = (scheme, empty) => [
    ...(empty ? [h('option', { value: '' }, '—')] : []),
    ...(data.vocab[scheme] || []).map((c) => h('option', { value: c.key }, c.label)),
  ];
  const err = (name) => h('span', { class: 'field-error', id: `wb-err-${name}`, 'aria-live': 'polite' });
  const row = (name, label, control, extra) => {
    control.id = `wb-${name}`;
    control.name = name;
    control.setAttribute('aria-describedby', `wb-err-${name}`);
    return h('p', { class: 'wb-field' }, h('label', { for: `wb-${name}` }, label), control, extra || null, err(name));
  };
  const f = {
    id: h('input', { autocomplete: 'off', pattern: '[a-z0-9]([a-z0-9-]*[a-z0-9])?' }),
    holder: h('input', { list: 'wb-actors', autocomplete: 'off' }),
    speaker: h('input', { list: 'wb-actors', autocomplete: 'off' }),
    target: h('input', { list: 'wb-props', autocomplete: 'off' }),
    polarity: h('select', null, ...options('polarity', false)),
    speech_act: h('select', null, ...options('speech-act', true)),
    modality: h('select', null, ...options('modality', false)),
    stated: h('input', { type: 'date' }),
    summary: h('textarea', { rows: '2' }),
  };
  f.modality.value = 'asserted';
  const conditions = h('div', { class: 'wb-conditions', id: 'wb-conditions' });
  const general = h('div', { class: 'wb-general', id: 'wb-general', role: 'alert' });
  const quoteView = h('blockquote', { class: 'wb-quote', id: 'wb-quote' });
  const save = h('button', { type: 'submit', id: 'wb-save' }, 'Save (Ctrl+Enter)');
  const del = h('button', { type: 'button', id: 'wb-delete', class: 'danger' }, 'Delete');
  const cancel = h('button', { type: 'button', id: 'wb-cancel' }, 'Close (Esc)');
  const newActor = h('button', { type: 'button', class: 'link-button', id: 'wb-new-actor' }, 'new actor (Alt+A)');
  const newProp = h('button', { type: 'button', class: 'link-button', id: 'wb-new-prop' }, 'new proposition (Alt+P)');
  const addCond = h('button', { type: 'button', class: 'link-button', id: 'wb-add-condition' }, 'add a condition (Alt+C)');
  const inline = h('div', { class: 'wb-inline', id: 'wb-inline' });
  let keep = {}; // record fields the form does not show (kept on edit)
  let idTouched = false;
  const taken = new Set(); // ids another coder took since this view opened
  const form = h('form', { class: 'wb-form panel', id: 'wb-form', 'aria-label': 'Stance', hidden: true, novalidate: true },
    h('h2', { id: 'wb-form-title', tabindex: '-1' }, 'New stance'), quoteView,
    row('holder', 'Holder (whose position)', f.holder, newActor),
    row('speaker', 'Speaker (who said it)', f.speaker),
    row('target', 'Target (proposition)', f.target, newProp),
    row('polarity', 'Polarity', f.polarity),
    row('speech_act', 'Speech act', f.speech_act),
    row('modality', 'Modality', f.modality),
    h('fieldset', null, h('legend', null, 'Conditions'), conditions, addCond, err('conditions')),
    row('stated', 'Date stated', f.stated),
    row('summary', 'Summary (your words, optional)', f.summary),
    row('id', 'Stance id', f.id),
    general,
    h('p', { class: 'wb-actions' }, save, ' ', del, ' ', cancel));

  function conditionRow(c = {}) {
    const n = conditions.children.length;
    const type = h('select', { 'aria-label': `Condition ${n + 1} type`, 'data-cond': 'type' }, ...options('condition-type', false));
    if (c.type) type.value = c.type;
    const requires = h('input', { list: 'wb-props', 'aria-label': `Condition ${n + 1} requires`, 'data-cond': 'requires', value: c.requires || '' });
    const remove = h('button', { type: 'button', class: 'link-button' }, 'remove');
    const el = h('p', { class: 'wb-condition' }, type, ' requires ', requires, ' ', remove, h('span', { class: 'field-error', 'data-cond-error': '' }));
    remove.addEventListener('click', () => { el.remove(); check(); });
    conditions.append(el);
    return requires;
  }

  const byLabel = (map, value) => {
    const v = norm(value);
    if (!v) return '';
    if (map.has(value.trim())) return value.trim();
    for (const x of map.values()) if (norm(x.label) === v) return x.id;
    return value.trim();
  };

  function record() {
    const holder = byLabel(data.actors, f.holder.value);
    const speaker = byLabel(data.actors, f.speaker.value);
    const target = f.target.value.trim();
    const rec = { ...keep, id: f.id.value.trim() };
    rec.holder = holder;
    if (speaker && speaker !== holder) rec.voiced_by = speaker; else delete rec.voiced_by;
    if (keep.target_stance) rec.target_stance = target; else rec.target = byLabel(data.props, target);
    rec.polarity = f.polarity.value;
    if (f.speech_act.value) rec.speech_act = f.speech_act.value; else delete rec.speech_act;
    rec.modality = f.modality.value;
    rec.stated = f.stated.value;
    if (f.summary.value.trim()) rec.summary = f.summary.value.trim(); else delete rec.summary;
    rec.conditions = [...conditions.children].map((el) => ({
      type: el.querySelector('[data-cond="type"]').value,
      requires: byLabel(data.props, el.querySelector('[data-cond="requires"]').value),
    }));
    const ev = { ...(evidence || {}) };
    if (speaker) ev.speaker = speaker; else delete ev.speaker;
    for (const k of Object.keys(ev)) if (ev[k] === null || ev[k] === undefined) delete ev[k];
    rec.evidence = [ev, ...(keep.evidence || []).slice(1)];
    return rec;
  }

  function suggestId() {
    if (idTouched || editing) return;
    const parts = [byLabel(data.actors, f.holder.value), f.polarity.value, byLabel(data.props, f.target.value)].filter(Boolean);
    let id = parts.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '').slice(0, 100);
    if (!id) return;
    let n = 2;
    const base = id;
    while (data.stances.has(id) || mine.has(id) || taken.has(id)) id = `${base}-${n++}`;
    f.id.value = id;
  }

  const FIELD_OF = {
    holder: 'holder', voiced_by: 'speaker', target: 'target', target_stance: 'target', polarity: 'polarity',
    speech_act: 'speech_act', modality: 'modality', stated: 'stated', summary: 'summary', id: 'id',
    voicedBy: 'speaker', statedAt: 'stated', speechAct: 'speech_act',
  };

  function showErrors(details, fallback) {
    for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
    for (const el of Object.values(f)) el.removeAttribute('aria-invalid');
    general.replaceChildren();
    for (const det of details) {
      let path = String(det.field || det.path || '');
      if (path.includes('#')) path = path.split('#').pop();
      const parts = path.split('.');
      let name = FIELD_OF[parts[0]];
      if (parts[0] === 'evidence' && parts[2] === 'speaker') name = 'speaker';
      if (parts[0] === 'conditions' && parts.length > 1) {
        const rowEl = conditions.children[Number(parts[1])];
        const slot = rowEl?.querySelector('[data-cond-error]');
        if (slot) { slot.textContent = det.message; continue; }
        name = 'conditions';
      }
      const slot = name && form.querySelector(`#wb-err-${name}`);
      if (slot) {
        slot.textContent = slot.textContent ? `${slot.textContent} ${det.message}` : det.message;
        f[name]?.setAttribute('aria-invalid', 'true');
      } else {
        general.append(h('p', null, path && path !== '-' ? `${path}: ${det.message}` : det.message));
      }
    }
    if (fallback) general.append(h('p', null, fallback));
  }

  function explain(r) {
    const e = r.json?.error;
    if (r.ok) return [[], null];
    if (r.status === 401) return [[], 'Enter your write token (above) to validate and save.'];
    if (r.status === 403) return [[], e?.message || 'This token may not write.'];
    if (r.status === 409) return [[{ field: 'id', message: e?.message || 'this id is taken' }], null];
    if (Array.isArray(e?.details)) return [e.details, null];
    return [[], e?.message || `error ${r.status}`];
  }

  const ownUrl = () => `/api/sources/${source}/coders/${me}/stances`;
  const url = () => (isOwn()
    ? (editing ? `${ownUrl()}/${editing}` : ownUrl())
    : (editing ? `/api/stances/${editing}` : `/api/sources/${source}/stances`));
  let timer = null;
  function check() {
    clearTimeout(timer);
    const mine = ++checkSeq; // answers to earlier checks are now stale
    timer = setTimeout(async () => {
      if (mine !== checkSeq) return;
      const r = await call(editing ? 'PUT' : 'POST', url(), record(), { dryRun: true });
      if (mine !== checkSeq) return; // a newer check is on its way
      if (r.status === 409 && !idTouched && !editing) {
        taken.add(f.id.value); // another coder saved this id meanwhile: suggest the next
        suggestId();
        check();
        return;
      }
      const [details, message] = explain(r);
      showErrors(details, message);
      form.dataset.valid = r.ok ? 'true' : 'false';
      if (r.ok && r.json?.coder) status.textContent = `Valid · coding as ${r.json.coder}`;
    }, 250);
  }

  form.addEventListener('input', (ev) => {
    if (ev.target === f.id) idTouched = true;
    if (ev.target !== f.id) suggestId();
    form.dataset.valid = 'pending';
    check();
  });
  form.addEventListener('change', () => check());

  function openForm(id, prefill = {}) {
    editing = id;
    keep = {};
    idTouched = Boolean(id);
    for (const el of [f.id, f.holder, f.speaker, f.target, f.summary]) el.value = '';
    f.polarity.value = (data.vocab.polarity || [{ key: 'support' }]).some((c) => c.key === 'support') ? 'support' : f.polarity.value;
    f.speech_act.value = '';
    f.modality.value = 'asserted';
    f.stated.value = String(data.published).slice(0, 10);
    conditions.replaceChildren();
    f.speaker.value = prefill.speaker || '';
    f.id.readOnly = Boolean(id);
    del.hidden = !id;
    del.dataset.armed = '';
    del.textContent = 'Delete';
    form.querySelector('#wb-form-title').textContent = id ? `Edit stance ${id}` : 'New stance';
    quoteView.textContent = evidence?.quote ? `“${evidence.quote}” — paragraph ${evidence.paragraph}` : evidence ? `paragraph ${evidence.paragraph}` : '';
    form.hidden = false;
    showErrors([], null);
    form.dataset.valid = 'pending';
    f.holder.focus();
    if (!id) check();
  }

  async function editStance(id) {
    if (isOwn() && !mine.has(id)) { location.hash = `#/stance/${id}`; return; } // the record's
    const from = isOwn() ? `${ownUrl()}/${encodeURIComponent(id)}` : `/api/stances/${encodeURIComponent(id)}/record`;
    const r = await fetch(from, { headers: { Accept: 'application/json' } });
    if (!r.ok) { status.textContent = `Could not load stance ${id}.`; return; }
    const rec = isOwn() ? (await r.json()).record : await r.json();
    evidence = rec.evidence?.[0] || null;
    openForm(id);
    keep = { ...rec };
    for (const k of ['holder', 'voiced_by', 'target', 'polarity', 'speech_act', 'modality', 'stated', 'summary', 'conditions']) delete keep[k];
    f.id.value = rec.id;
    f.holder.value = rec.holder || '';
    f.speaker.value = rec.voiced_by || evidence?.speaker || '';
    f.target.value = rec.target || rec.target_stance || '';
    f.polarity.value = rec.polarity || '';
    f.speech_act.value = rec.speech_act || '';
    f.modality.value = rec.modality || 'asserted';
    f.stated.value = rec.stated || '';
    f.summary.value = rec.summary || '';
    for (const c of rec.conditions || []) conditionRow(c);
    if (evidence && evidence.start != null) highlightSelection(evidence.start, evidence.end);
    check();
  }

  function closeForm() {
    form.hidden = true;
    editing = null;
    evidence = null;
    for (const el of textBox.querySelectorAll('.wb-pending')) el.classList.remove('wb-pending');
    textBox.focus();
  }

  async function refresh() {
    d.invalidate();
    [data, mine] = await Promise.all([loadSourceData(source, d), own.checked ? loadDrafts(source, me) : new Map()]);
    draw();
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    ++checkSeq;
    const rec = record();
    const r = await call(editing ? 'PUT' : 'POST', url(), rec);
    const [details, message] = explain(r);
    showErrors(details, message);
    if (!r.ok) { status.textContent = 'Not saved: see the errors in the form.'; form.querySelector('[aria-invalid="true"]')?.focus(); return; }
    if (isOwn()) status.replaceChildren('Saved ', h('span', { id: 'wb-saved-link' }, rec.id), ` in ${r.json.coder}’s own space (not merged).`);
    else status.replaceChildren('Saved ', h('a', { href: `#/stance/${rec.id}`, id: 'wb-saved-link' }, rec.id), ` as ${r.json.coder}.`);
    d.announce(`Saved stance ${rec.id}`);
    closeForm();
    await refresh();
  });
  del.addEventListener('click', async () => {
    if (!editing) return;
    if (!del.dataset.armed) {
      del.dataset.armed = 'yes';
      del.textContent = 'Confirm delete';
      setTimeout(() => { del.dataset.armed = ''; del.textContent = 'Delete'; }, 5000);
      return;
    }
    const id = editing;
    const r = await call('DELETE', isOwn() ? `${ownUrl()}/${id}` : `/api/stances/${id}`);
    const [details, message] = explain(r);
    if (!r.ok) { showErrors(details, message); return; }
    status.textContent = `Deleted ${id}.`;
    d.announce(`Deleted stance ${id}`);
    closeForm();
    await refresh();
  });
  cancel.addEventListener('click', closeForm);
  addCond.addEventListener('click', () => { conditionRow().focus(); check(); });

  // -- inline creation of actors and propositions
  function inlineCreate(kind, forField) {
    const isActor = kind === 'actor';
    const fields = isActor
      ? [['label', 'Name'], ['id', 'Actor id'], ['type', 'Type']]
      : [['label', 'Label'], ['id', 'Proposition id'], ['demand_type', 'Demand type']];
    const box = h('form', { class: 'wb-inline-form', 'aria-label': isActor ? 'New actor' : 'New proposition' });
    const controls = {};
    for (const [name, label] of fields) {
      let control;
      if (name === 'type') {
        control = h('select', null, ...['Person', 'StateActor', 'Organization', 'GovernmentBody', 'IntergovernmentalOrganization', 'MilitaryCommand', 'Delegation', 'ResearchOrganization', 'NewsOrganization'].map((t) => h('option', { value: t }, t)));
      } else if (name === 'demand_type') {
        control = h('select', null, ...options('demand-type', false));
      } else {
        control = h('input', { autocomplete: 'off' });
      }
      control.id = `wb-new-${kind}-${name}`;
      controls[name] = control;
      box.append(h('p', { class: 'wb-field' }, h('label', { for: control.id }, label), control, h('span', { class: 'field-error', id: `wb-new-${kind}-err-${name}` })));
    }
    const problems = h('div', { role: 'alert' });
    box.append(h('p', null, h('button', { type: 'submit' }, `Create ${kind}`), ' ', h('button', { type: 'button', 'data-close': '' }, 'Cancel')), problems);
    controls.label.addEventListener('input', () => {
      controls.id.value = norm(controls.label.value).replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 100);
    });
    box.querySelector('[data-close]').addEventListener('click', () => { inline.replaceChildren(); forField.focus(); });
    box.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
      const body = Object.fromEntries(Object.entries(controls).map(([k, c]) => [k, c.value.trim()]));
      const r = await call('POST', `/api/${kind}s`, body);
      for (const el of box.querySelectorAll('.field-error')) el.textContent = '';
      problems.replaceChildren();
      if (!r.ok) {
        const [details, message] = explain(r);
        for (const det of details) {
          const slot = box.querySelector(`#wb-new-${kind}-err-${String(det.field).split('.')[0]}`);
          if (slot) slot.textContent = det.message; else problems.append(h('p', null, det.message));
        }
        if (message) problems.append(h('p', null, message));
        return;
      }
      const item = { id: body.id, label: body.label, names: [body.label], person: body.type === 'Person' };
      (isActor ? data.actors : data.props).set(body.id, item);
      (isActor ? actorList : propList).append(h('option', { value: body.id }, body.label));
      forField.value = body.id;
      inline.replaceChildren();
      d.announce(`Created ${kind} ${body.id}`);
      forField.focus();
      suggestId();
      check();
    });
    inline.replaceChildren(box);
    controls.label.focus();
  }
  newActor.addEventListener('click', () => inlineCreate('actor', f.holder));
  newProp.addEventListener('click', () => inlineCreate('proposition', f.target));

  // -- keyboard
  function moveMark(step) {
    const marks = [...textBox.querySelectorAll('mark.wb-mark')];
    if (!marks.length) return;
    const i = marks.indexOf(document.activeElement);
    const next = marks[(i + step + marks.length) % marks.length];
    next.focus();
    status.textContent = `Coded quote: ${next.dataset.stances}`;
  }
  textBox.addEventListener('keydown', (ev) => {
    const mark = ev.target.closest?.('mark.wb-mark');
    if (mark && ev.key === 'Enter') { ev.preventDefault(); editStance(mark.dataset.stances.split(' ')[0]); }
  });
  textBox.addEventListener('click', (ev) => {
    const mark = ev.target.closest?.('mark.wb-mark');
    if (mark && window.getSelection()?.isCollapsed) editStance(mark.dataset.stances.split(' ')[0]);
  });
  stanceList.addEventListener('click', (ev) => {
    const b = ev.target.closest?.('[data-edit]');
    if (b) editStance(b.dataset.edit);
  });
  const onKey = (ev) => {
    if (!document.body.contains(root)) { document.removeEventListener('keydown', onKey); return; }
    const k = ev.code;
    if (ev.key === 'Escape' && !form.hidden) { ev.preventDefault(); if (inline.children.length) { inline.replaceChildren(); } else closeForm(); return; }
    if ((ev.ctrlKey || ev.metaKey) && ev.key === 'Enter' && document.activeElement === paste) {
      ev.preventDefault();
      if (paste.value.trim()) { setText(paste.value); textBox.focus(); }
      return;
    }
    if ((ev.ctrlKey || ev.metaKey) && ev.key === 'Enter' && !form.hidden) { ev.preventDefault(); form.requestSubmit(save); return; }
    if (!ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const act = {
      KeyF: () => find.focus(),
      KeyQ: () => { if (!codeSelection()) status.textContent = 'Select some text first.'; },
      KeyJ: () => moveMark(1),
      KeyK: () => moveMark(-1),
      KeyT: () => (text ? textBox : paste).focus(),
      KeyA: () => !form.hidden && inlineCreate('actor', document.activeElement === f.speaker ? f.speaker : f.holder),
      KeyP: () => !form.hidden && inlineCreate('proposition', f.target),
      KeyC: () => { if (!form.hidden) { conditionRow().focus(); check(); } },
      KeyD: () => { if (ev.shiftKey && editing) del.click(); },
    }[k];
    if (act) { ev.preventDefault(); act(); }
  };
  document.addEventListener('keydown', onKey);

  // -- agreement with another coder, merge and adjudication (independent coding)
  const other = h('input', { id: 'wb-other', autocomplete: 'off', size: '12', 'aria-label': 'The other coder', placeholder: 'other coder id' });
  const compare = h('button', { type: 'button', id: 'wb-compare' }, 'Compare');
  const mergeButton = h('button', { type: 'button', id: 'wb-merge' }, 'Merge the agreed units');
  mergeButton.hidden = true;
  const report = h('div', { id: 'wb-agreement', role: 'region', 'aria-live': 'polite', 'aria-label': 'Agreement' });
  const mergeUrl = () => `/api/sources/${source}/merge?coders=${encodeURIComponent(me)},${encodeURIComponent(other.value.trim())}`;
  async function showAgreement() {
    if (!me || !SLUG.test(other.value.trim()) || other.value.trim() === me) {
      report.replaceChildren(h('p', { class: 'muted' }, 'Enter your token and another coder’s id.'));
      return;
    }
    const them = other.value.trim();
    const r = await fetch(`/api/sources/${source}/agreement?coders=${me},${them}`, { headers: { Accept: 'application/json' } });
    const a = await r.json();
    if (!r.ok) { report.replaceChildren(h('p', null, a?.error?.message || `error ${r.status}`)); return; }
    const accept = (coder, id) => h('button', { type: 'button', class: 'link-button', 'data-accept': `${coder}:${id}` }, `accept ${coder}’s`);
    const open = a.matched.filter((m) => !m.agree && !m.merged_into);
    const waiting = a.matched.filter((m) => m.agree && !m.merged_into).length;
    const singles = [[me, a.only[me] || []], [them, a.only[them] || []]].flatMap(([c, ids]) =>
      ids.filter((id) => !(a.merged_only?.[c] || {})[id]).map((id) => [c, id]));
    mergeButton.hidden = !waiting;
    report.replaceChildren(
      h('p', { id: 'wb-alpha' }, `Krippendorff’s α (polarity) = ${a.alpha == null ? 'undefined' : a.alpha.toFixed(3)} · ${a.units.matched} matched unit(s), ${waiting} agreed and not merged`),
      open.length ? h('p', { class: 'label' }, 'To adjudicate') : null,
      open.length ? h('ul', { id: 'wb-disputes' }, open.map((m) => h('li', null,
        `${m.holder} → ${m.target}: ${me} ${m.polarity_a} (${m.a}) / ${them} ${m.polarity_b} (${m.b}) `,
        accept(me, m.a), ' ', accept(them, m.b)))) : null,
      singles.length ? h('p', { class: 'label' }, 'Found by one coder only') : null,
      singles.length ? h('ul', { id: 'wb-singles' }, singles.map(([c, id]) => h('li', null, `${c}: ${id} `, accept(c, id)))) : null);
  }
  async function runMerge(body) {
    const r = await call('POST', mergeUrl(), body);
    if (!r.ok) { status.textContent = `Not merged: ${r.json?.error?.message || `error ${r.status}`}`; return; }
    status.textContent = `Merged ${r.json.merged.length} stance(s) into the record: ${r.json.merged.map((m) => m.stance).join(', ') || 'none'}.`;
    d.announce(status.textContent);
    await refresh();
    await showAgreement();
  }
  compare.addEventListener('click', showAgreement);
  other.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); showAgreement(); } });
  mergeButton.addEventListener('click', () => runMerge({}));
  report.addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-accept]');
    if (!b) return;
    const [coder, stance] = b.dataset.accept.split(':');
    runMerge({ accept: [{ coder, stance }] });
  });
  const agreementPanel = d.section('Agreement and merge',
    h('p', null, h('label', { for: 'wb-other' }, 'Compare with '), other, ' ', compare, ' ', mergeButton), report);

  const shortcuts = h('details', { class: 'wb-shortcuts' }, h('summary', null, 'Keyboard shortcuts'),
    h('dl', null, ...SHORTCUTS.flatMap(([k, v]) => [h('dt', null, h('kbd', null, k)), h('dd', null, v)])));
  const root = h('div', { class: 'workbench' },
    h('div', { class: 'wb-main' }, status, h('p', { class: 'wb-findbar' }, find, ' ', forget), pasteBox, textBox, unanchored),
    h('div', { class: 'wb-side' }, form, inline, actorList, propList,
      d.section('Stances in this source',
        h('p', null, own, ' ', h('label', { for: 'wb-own' }, 'independent coding: save to my own space (merged later)')),
        h('p', null, withMerged, ' ', h('label', { for: 'wb-with-merged' }, 'with the merged stances (own space)')),
        h('p', null, blind, ' ', h('label', { for: 'wb-blind' }, 'only mine (blind coding: hide other coders’ stances)')),
        spaceNote, stanceList), agreementPanel, shortcuts));
  draw();
  return {
    title: `Code: ${data.title}`,
    body: [h('p', { class: 'crumbs' }, h('a', { href: '#/code' }, 'Code'), ' › ', h('a', { href: `#/code/${source}` }, source)),
      h('h1', { tabindex: '-1' }, `Code: ${data.title}`), tokenField(d, async (coder) => { me = coder; if (own.checked) await refresh(); else draw(); }), root],
  };
}
