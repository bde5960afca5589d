// stancegraph explorer: a dependency-free single page over the public JSON API and /sparql.
//
// Routes (hash router, so every view is a shareable link and any static server works):
//   #/                        overview: the stance network (SVG, server-side layout)
//   #/?holders=states         ... restricted to some stance holders
//   #/actor/SLUG              an actor: facts, roles, stances with evidence
//   #/proposition/SLUG        a proposition: positions grouped by polarity, conditions
//   #/stance/SLUG             one stance with its evidence and the reactions to it
//   #/guarantors              guarantor matrix (nominee x nominator x modality)
//   #/conditions              condition dependency graph, deadlocks, sequencing
//   #/query?q=SPARQL          SPARQL editor (or ?example=NAME)
//   #/code, #/code/SOURCE     the coding workbench (workbench.js)
//
// Data, as any third-party client would get it: the JSON API for actors, propositions,
// stances and the example queries; /api/analytics for the layout, the guarantor matrix and
// the conditions; /sparql for the stance cards of a page (three SELECTs however many
// stances: cards, evidence, conditions) and for the query page.
//
// Security: data are never parsed as HTML. Every node is built with createElement and
// text nodes; links taken from data are checked (http/https only); IRIs spliced into
// internal SPARQL come from slugs checked against a strict pattern.

import { codeIndexView, workbenchView } from './workbench.js';

const ID = 'https://w3id.org/stancegraph/id/';
const SVGNS = 'http://www.w3.org/2000/svg';
const SLUG = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;
const PREFIXES = {
  sg: 'https://w3id.org/stancegraph/ns#',
  id: ID,
  polarity: 'https://w3id.org/stancegraph/vocab/polarity/',
  speechact: 'https://w3id.org/stancegraph/vocab/speech-act/',
  modality: 'https://w3id.org/stancegraph/vocab/modality/',
  conditiontype: 'https://w3id.org/stancegraph/vocab/condition-type/',
  demandtype: 'https://w3id.org/stancegraph/vocab/demand-type/',
  role: 'https://w3id.org/stancegraph/vocab/role/',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  owl: 'http://www.w3.org/2002/07/owl#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  prov: 'http://www.w3.org/ns/prov#',
  dcterms: 'http://purl.org/dc/terms/',
  org: 'http://www.w3.org/ns/org#',
  oa: 'http://www.w3.org/ns/oa#',
  schema: 'https://schema.org/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  wd: 'http://www.wikidata.org/entity/',
};
const SPARQL_PREFIXES = Object.entries(PREFIXES).map(([p, ns]) => `PREFIX ${p}: <${ns}>`).join('\n') + '\n';

// Polarity keys in reading order (most favourable first), with their sign.
const POLARITIES = [
  ['support', 'support', 1],
  ['commitment', 'commitment', 1],
  ['conditional-support', 'conditional support', 1],
  ['neutral', 'neutral', 0],
  ['skeptical', 'skeptical', -1],
  ['oppose', 'oppose', -1],
  ['reject', 'reject', -1],
  ['deferred', 'deferred (not considered yet)', 0],
  ['unstated', 'no preference stated (expectation)', 0],
  ['mixed', 'mixed (several stances)', 0],
];
// Per-nominee acceptability to a party (model v2): unknown means no stance in the data.
const ACCEPTABILITY = {
  accepts: 'accepts',
  objects: 'objects',
  mixed: 'mixed',
  neutral: 'neutral',
  unknown: 'unknown (no stance)',
};
const POLARITY_ORDER = new Map(POLARITIES.map(([k], i) => [k, i]));
const POLARITY_LABEL = new Map(POLARITIES.map(([k, label]) => [k, label]));

// ------------------------------------------------------------------ DOM helpers

function setAttrs(el, attrs) {
  if (!attrs) return el;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return el;
}

function append(el, kids) {
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

/** An HTML element; children are nodes or strings (always inserted as text). */
function h(tag, attrs, ...kids) {
  return append(setAttrs(document.createElement(tag), attrs), kids);
}

/** An SVG element. */
function s(tag, attrs, ...kids) {
  return append(setAttrs(document.createElementNS(SVGNS, tag), attrs), kids);
}

/** A link from data: only http(s) URLs become links. */
function externalLink(url, text) {
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    ok = false;
  }
  return ok ? h('a', { href: url, rel: 'noopener noreferrer', class: 'external' }, text ?? url) : h('span', null, text ?? url);
}

function announce(text) {
  const el = document.getElementById('announcer');
  el.textContent = '';
  // A fresh text node so that repeated messages are announced again.
  setTimeout(() => { el.textContent = text; }, 30);
}

function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

function camelWords(t) {
  return t.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

function keyLabel(key) {
  return String(key ?? '').replace(/-/g, ' ');
}

function shortDate(value) {
  if (!value) return '';
  return String(value).slice(0, 10);
}

// ------------------------------------------------------------------ IRIs and links

function slugOf(iri, kind) {
  const base = `${ID}${kind}/`;
  if (typeof iri !== 'string' || !iri.startsWith(base)) return null;
  const slug = iri.slice(base.length);
  return SLUG.test(slug) ? slug : null;
}

/** The explorer page of an IRI (actor, proposition, stance), or null. */
function pageOf(iri) {
  for (const kind of ['actor', 'proposition', 'stance', 'source']) {
    const slug = slugOf(iri, kind);
    if (slug) return `#/${kind}/${encodeURIComponent(slug)}`;
  }
  return null;
}

function idIri(kind, slug) {
  if (!SLUG.test(slug)) throw new ViewError(404, `"${slug}" is not a valid ${kind} id`);
  return `${ID}${kind}/${slug}`;
}

function shortIri(iri, prefixes = PREFIXES) {
  let best = null;
  for (const [p, ns] of Object.entries(prefixes)) {
    if (iri.startsWith(ns) && iri.length > ns.length && (!best || ns.length > best[1].length)) best = [p, ns];
  }
  return best ? `${best[0]}:${iri.slice(best[1].length)}` : iri;
}

function fallbackLabel(iri) {
  return String(iri).replace(/\/+$/, '').split(/[/#]/).pop();
}

/** A link to the explorer page of a resource (or plain text when it has none). */
function refLink(iri, label) {
  const text = label || fallbackLabel(iri);
  const href = pageOf(iri);
  return href ? h('a', { href }, text) : h('span', { title: iri }, text);
}

function refList(refs, sep = ', ') {
  const out = [];
  refs.forEach((r, i) => {
    if (i) out.push(sep);
    out.push(refLink(r.iri, r.label));
  });
  return out.length ? out : ['—'];
}

// ------------------------------------------------------------------ HTTP

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

class ViewError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let navController = new AbortController();

async function toApiError(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const e = body && body.error;
  if (e && typeof e.message === 'string') return new ApiError(response.status, e.code || '', e.message, e.details);
  if (body && typeof body.detail === 'string') return new ApiError(response.status, '', body.detail, null);
  return new ApiError(response.status, `http_${response.status}`, `${response.status} ${response.statusText || 'error'}`, null);
}

async function request(url, options = {}) {
  const response = await fetch(url, { signal: navController.signal, ...options });
  if (!response.ok) throw await toApiError(response);
  return response;
}

const jsonCache = new Map();
const CACHE_MS = 60_000;

/** GET JSON, kept for a minute: going back and forth between views costs no request. */
function getJSON(url) {
  const hit = jsonCache.get(url);
  if (hit && performance.now() - hit.at < CACHE_MS) return hit.promise;
  const promise = fetch(url, { headers: { Accept: 'application/json' } }).then(async (r) => {
    if (!r.ok) throw await toApiError(r);
    return r.json();
  });
  promise.catch(() => jsonCache.delete(url));
  jsonCache.set(url, { promise, at: performance.now() });
  return promise;
}

/** POST a SPARQL query (form-encoded, as the SPARQL 1.1 Protocol allows). */
function sparql(query, accept = 'application/sparql-results+json', signal = navController.signal) {
  return request('/sparql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: accept },
    body: new URLSearchParams({ query }),
    signal,
  });
}

/** Internal SELECT: rows of plain values. */
async function select(body) {
  const response = await sparql(SPARQL_PREFIXES + body);
  const json = await response.json();
  return json.results.bindings.map((b) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v.value])));
}

// ------------------------------------------------------------------ shared pieces

function polarityBadge(key, label) {
  const k = POLARITY_ORDER.has(key) ? key : 'other';
  return h('span', { class: `badge pol pol-${k}` }, label || POLARITY_LABEL.get(key) || keyLabel(key));
}

function tag(text, cls = '') {
  return h('span', { class: `badge ${cls}`.trim() }, text);
}

function errorBox(err, title = 'Something went wrong') {
  const box = h('div', { class: 'error-box', role: 'alert' },
    h('p', { class: 'error-title' }, err instanceof ApiError && err.status ? `${title} (${err.status}${err.code ? ` ${err.code}` : ''})` : title),
    h('p', { class: 'error-message' }, err.message || String(err)));
  const d = err instanceof ApiError && Array.isArray(err.details) ? err.details[0] : null;
  if (d && typeof d === 'object' && d.line) box.append(h('p', { class: 'error-where' }, `Line ${d.line}${d.column ? `, column ${d.column}` : ''}`));
  return box;
}

function section(title, ...kids) {
  return h('section', { class: 'panel' }, h('h2', null, title), ...kids);
}

function tableWrap(label, table) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: '0' }, table);
}

function dl(pairs) {
  const list = h('dl', { class: 'facts' });
  for (const [k, v] of pairs) {
    if (v === null || v === undefined || (Array.isArray(v) && !v.length) || v === '') continue;
    list.append(h('dt', null, k), h('dd', null, v));
  }
  return list;
}

// ------------------------------------------------------------------ stances (SPARQL)

/** SPARQL group selecting ?stance by `sel(v)` or reacting to such a stance (meta-stances). */
function stanceSelector(sel) {
  return `{ ${sel('?stance')} } UNION { ?stance sg:target ?s0 . ?s0 a sg:Stance . ${sel('?s0')} }`;
}

async function loadStances(sel) {
  const where = stanceSelector(sel);
  const [core, evidence, conditions, relays, coded] = await Promise.all([
    select(`SELECT DISTINCT ?stance ?holder ?holderLabel ?speaker ?speakerLabel ?target ?targetLabel
        ?targetIsStance ?polarity ?polarityLabel ?modality ?speechAct ?statedAt ?summary
        ?nominee ?nomineeLabel ?source ?sourceTitle ?expectation ?likelihood ?horizon
        ?occasion ?occasionLabel ?venue ?venueLabel WHERE {
      ${where}
      ?stance a sg:Stance ; sg:holder ?holder ; sg:target ?target ; sg:polarity ?pol ; sg:modality ?mod .
      ?holder rdfs:label ?holderLabel .
      ?pol skos:notation ?polarity . OPTIONAL { ?pol skos:prefLabel ?polarityLabel }
      ?mod skos:notation ?modality .
      OPTIONAL { ?stance sg:statedAt ?statedAt }
      OPTIONAL { ?stance sg:speechAct ?sa . ?sa skos:notation ?speechAct }
      OPTIONAL { ?stance sg:voicedBy ?speaker . ?speaker rdfs:label ?speakerLabel }
      OPTIONAL { ?target rdfs:label ?targetLabel }
      BIND(EXISTS { ?target a sg:Stance } AS ?targetIsStance)
      OPTIONAL { ?stance schema:description ?summary }
      OPTIONAL { ?stance sg:nominee ?nominee . ?nominee rdfs:label ?nomineeLabel }
      OPTIONAL { ?stance prov:wasDerivedFrom ?source . OPTIONAL { ?source schema:headline ?sourceTitle } }
      BIND(EXISTS { ?stance a sg:Expectation } AS ?expectation)
      OPTIONAL { ?stance sg:likelihood ?lk . ?lk skos:notation ?likelihood }
      OPTIONAL { ?stance sg:horizon ?hz . ?hz skos:notation ?horizon }
      OPTIONAL { ?stance sg:occasion ?occasion . OPTIONAL { ?occasion rdfs:label ?occasionLabel } }
      OPTIONAL { ?stance sg:venue ?venue . OPTIONAL { ?venue rdfs:label ?venueLabel } }
    } ORDER BY ?statedAt ?stance`),
    select(`SELECT DISTINCT ?stance ?evidence ?quote ?paragraph ?speaker ?speakerLabel ?source ?sourceTitle
        ?sourceUrl ?published WHERE {
      ${where}
      ?stance sg:hasEvidence ?evidence . ?evidence oa:hasTarget ?t .
      OPTIONAL { ?t oa:hasSource ?source .
        OPTIONAL { ?source schema:headline ?sourceTitle }
        OPTIONAL { ?source schema:url ?sourceUrl }
        OPTIONAL { ?source schema:datePublished ?published } }
      OPTIONAL { ?t sg:paragraph ?paragraph }
      OPTIONAL { ?t oa:hasSelector ?sel . ?sel oa:exact ?quote }
      OPTIONAL { ?evidence sg:quotedSpeaker ?speaker . OPTIONAL { ?speaker rdfs:label ?speakerLabel } }
    } ORDER BY ?stance ?evidence`),
    select(`SELECT DISTINCT ?stance ?condition ?conditionType ?conditionLabel ?requires ?requiresLabel ?note WHERE {
      ${where}
      ?stance sg:condition ?condition .
      ?condition sg:requires ?requires .
      OPTIONAL { ?condition sg:conditionType ?ct . ?ct skos:notation ?conditionType .
                 OPTIONAL { ?ct skos:prefLabel ?conditionLabel } }
      OPTIONAL { ?requires rdfs:label ?requiresLabel }
      OPTIONAL { ?condition rdfs:comment ?note }
    } ORDER BY ?stance ?condition`),
    select(`SELECT DISTINCT ?stance ?relay ?order ?agent ?agentLabel WHERE {
      ${where}
      ?stance sg:relayedVia ?relay . ?relay prov:agent ?agent ; sg:relayOrder ?order .
      OPTIONAL { ?agent rdfs:label ?agentLabel }
    } ORDER BY ?stance ?order`),
    // Who coded it and when (PROV, written by the coding routes and the workbench).
    select(`SELECT DISTINCT ?stance ?coder ?codedAt WHERE {
      ${where}
      ?stance prov:wasAttributedTo ?coder . OPTIONAL { ?stance prov:generatedAtTime ?codedAt }
    } ORDER BY ?stance ?coder`),
  ]);
  const byIri = new Map();
  for (const r of core) {
    if (byIri.has(r.stance)) continue;
    byIri.set(r.stance, {
      ...r,
      targetIsStance: r.targetIsStance === 'true',
      expectation: r.expectation === 'true',
      evidence: [],
      conditions: [],
      reactions: [],
      relays: [],
      coders: [],
    });
  }
  for (const c of coded) {
    const st = byIri.get(c.stance);
    if (!st) continue;
    st.coders.push(c.coder.slice(c.coder.lastIndexOf('/') + 1));
    if (c.codedAt) st.codedAt = c.codedAt;
  }
  for (const x of relays) byIri.get(x.stance)?.relays.push(x);
  for (const e of evidence) byIri.get(e.stance)?.evidence.push(e);
  for (const c of conditions) byIri.get(c.stance)?.conditions.push(c);
  for (const st of byIri.values()) {
    if (st.targetIsStance && byIri.has(st.target)) byIri.get(st.target).reactions.push(st);
  }
  return [...byIri.values()];
}

function evidenceFigure(ev) {
  const caption = [];
  if (ev.speaker) caption.push(refLink(ev.speaker, ev.speakerLabel));
  if (ev.paragraph) caption.push(`paragraph ${ev.paragraph}`);
  if (ev.source) {
    const title = ev.sourceTitle || fallbackLabel(ev.source);
    caption.push(h('cite', null, ev.sourceUrl ? externalLink(ev.sourceUrl, title) : title));
  }
  if (ev.published) caption.push(shortDate(ev.published));
  const parts = [];
  caption.forEach((c, i) => {
    if (i) parts.push(', ');
    parts.push(c);
  });
  const quote = ev.quote
    ? h('blockquote', { class: 'quote' }, h('p', null, ev.quote))
    : h('p', { class: 'quote paraphrase' }, 'No verbatim quote: the source reports this in its own words.');
  return h('figure', { class: 'evidence' }, quote, h('figcaption', null, '— ', parts));
}

function conditionItem(c) {
  return h('li', null,
    tag(c.conditionLabel || keyLabel(c.conditionType || 'condition'), 'cond'), ' ',
    refLink(c.requires, c.requiresLabel),
    c.note ? h('span', { class: 'muted' }, ` — ${c.note}`) : null);
}

/**
 * A stance as an article. `focus` says which side the page is about, so the card leads
 * with the other side: "holder" pages show targets, "target" pages show holders.
 */
function stanceCard(st, focus = 'holder', level = 3, nested = false) {
  const hx = `h${Math.min(level, 6)}`;
  let heading;
  if (focus === 'target') heading = [refLink(st.holder, st.holderLabel)];
  else if (st.targetIsStance) heading = ['On the stance: ', refLink(st.target, st.targetLabel || fallbackLabel(st.target))];
  else heading = [refLink(st.target, st.targetLabel)];
  // An expectation says what the holder expects, not what it wants (model v2).
  const meta = st.expectation
    ? [tag('expectation', 'expect'),
      st.likelihood ? tag(keyLabel(st.likelihood), 'likelihood') : null,
      st.horizon ? tag(keyLabel(st.horizon), 'horizon') : null,
      tag(st.modality, `mod mod-${st.modality}`)]
    : [polarityBadge(st.polarity, st.polarityLabel), tag(st.modality, `mod mod-${st.modality}`)];
  if (st.speechAct) meta.push(tag(keyLabel(st.speechAct), 'act'));
  if (st.statedAt) meta.push(h('time', { datetime: shortDate(st.statedAt), class: 'muted' }, shortDate(st.statedAt)));
  const who = [];
  if (focus !== 'target') who.push('Held by ', refLink(st.holder, st.holderLabel));
  if (st.speaker) who.push(who.length ? ', voiced by ' : 'Voiced by ', refLink(st.speaker, st.speakerLabel));
  if (st.nominee) who.push(who.length ? '; ' : '', 'nominee: ', refLink(st.nominee, st.nomineeLabel));
  if (focus === 'target' && st.targetIsStance && !nested) who.push(who.length ? '; ' : '', 'about ', refLink(st.target, st.targetLabel));
  const context = [];
  if (st.relays && st.relays.length) {
    context.push('Relayed by ');
    st.relays.forEach((r, i) => context.push(i ? ' → ' : '', refLink(r.agent, r.agentLabel)));
  }
  if (st.occasionLabel) context.push(context.length ? '; ' : '', 'at: ', st.occasionLabel);
  if (st.venueLabel) context.push(context.length ? ', ' : '', 'in ', st.venueLabel);
  const slug = slugOf(st.stance, 'stance');
  const card = h('article', { class: 'stance', 'aria-label': `Stance: ${st.holderLabel} — ${st.polarityLabel || st.polarity}` },
    h(hx, { class: 'stance-title' }, heading),
    h('p', { class: 'stance-meta' }, meta),
    who.length ? h('p', { class: 'stance-who' }, who) : null,
    context.length ? h('p', { class: 'stance-context muted' }, context) : null,
    st.summary ? h('p', { class: 'summary' }, st.summary) : null,
    st.conditions.length ? h('div', { class: 'conditions' }, h('p', { class: 'label' }, 'Conditions'), h('ul', null, st.conditions.map(conditionItem))) : null,
    st.evidence.map(evidenceFigure),
    st.coders?.length
      ? h('p', { class: 'stance-coded muted' }, `Coded by ${st.coders.join(' and ')}`,
        st.codedAt ? [' on ', h('time', { datetime: st.codedAt }, shortDate(st.codedAt))] : null,
        st.mergedBy ? [`; merged by ${st.mergedBy.who}`, st.mergedBy.at ? [' on ', h('time', { datetime: st.mergedBy.at }, shortDate(st.mergedBy.at))] : null] : null)
      : null,
    st.reactions.length
      ? h('div', { class: 'reactions' }, h('p', { class: 'label' }, `Reactions (${st.reactions.length})`),
        st.reactions.map((r) => stanceCard(r, 'target', level + 1, true)))
      : null,
    slug ? h('p', { class: 'permalink' }, h('a', { href: `#/stance/${encodeURIComponent(slug)}` }, 'Link to this stance')) : null);
  return card;
}

// ------------------------------------------------------------------ overview

const NARROW = window.matchMedia('(max-width: 700px)');

function truncate(text, n) {
  return text.length > n ? `${text.slice(0, n - 1).trimEnd()}…` : text;
}

function legend() {
  // expectations are not drawn (the network shows preferences)
  const items = POLARITIES.filter(([key]) => key !== 'unstated').map(([key, label, sign]) => h('li', null,
    s('svg', { viewBox: '0 0 36 10', width: '36', height: '10', 'aria-hidden': 'true', focusable: 'false' },
      s('line', { x1: '1', y1: '5', x2: '35', y2: '5', class: `edge pol-${key} ${sign < 0 ? 'neg' : ''} ${key === 'conditional-support' ? 'cond' : ''}` })),
    ' ', label));
  const shapes = [
    h('li', null, s('svg', { viewBox: '0 0 20 20', width: '18', height: '18', 'aria-hidden': 'true', focusable: 'false' }, s('circle', { cx: '10', cy: '10', r: '8', class: 'node-shape actor' })), ' actor'),
    h('li', null, s('svg', { viewBox: '0 0 20 20', width: '18', height: '18', 'aria-hidden': 'true', focusable: 'false' }, s('rect', { x: '3', y: '3', width: '14', height: '14', rx: '3', class: 'node-shape proposition' })), ' proposition'),
    h('li', null, s('svg', { viewBox: '0 0 20 20', width: '18', height: '18', 'aria-hidden': 'true', focusable: 'false' }, s('path', { d: 'M10 2 18 10 10 18 2 10Z', class: 'node-shape stance' })), ' stance (target of a reaction)'),
  ];
  return h('div', { class: 'legend' },
    h('h2', { class: 'legend-title' }, 'Legend'),
    h('ul', { class: 'legend-list', 'aria-label': 'Edge colours by polarity' }, items),
    h('ul', { class: 'legend-list', 'aria-label': 'Node shapes' }, shapes),
    h('p', { class: 'muted small' }, 'Dashed edges are negative (skeptical, oppose, reject); dotted edges are conditional support; thicker edges carry more stances.'));
}

/**
 * Map server coordinates to the drawing, axis by axis: a blend of linear scaling and rank
 * (a monotone map, so the server's layout is kept in order) that stops one outlying
 * component from squeezing everything else into a corner.
 */
function spread(values, lo, hi) {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const order = values.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
  const rank = new Array(values.length);
  order.forEach(([, i], r) => { rank[i] = values.length > 1 ? r / (values.length - 1) : 0.5; });
  return values.map((v, i) => lo + (0.3 * ((v - min) / (max - min || 1)) + 0.7 * rank[i]) * (hi - lo));
}

function networkSvg(layout) {
  // A portrait drawing on narrow screens, so that it fits the width with legible labels.
  const narrow = NARROW.matches;
  const LAYOUT_W = narrow ? 560 : 1000;
  const LAYOUT_H = narrow ? 820 : 680;
  const labelRoom = narrow ? 150 : 190;
  const nodes = layout.nodes;
  const xs = spread(nodes.map((n) => n.x), narrow ? 40 : 70, LAYOUT_W - (narrow ? 40 : 70));
  const ys = spread(nodes.map((n) => n.y), 30, LAYOUT_H - 30);
  const pos = new Map(nodes.map((n, i) => [n.iri, [xs[i], ys[i]]]));
  const labels = new Map(nodes.map((n) => [n.iri, n.label]));
  const svg = s('svg', {
    viewBox: `0 0 ${LAYOUT_W} ${LAYOUT_H}`, class: 'network', role: 'group', tabindex: '-1',
    'aria-label': `Stance network: ${plural(nodes.length, 'node')}, ${plural(layout.edges.length, 'edge')}. Each node is a link.`,
  });
  const edgeLayer = s('g', { class: 'edges', 'aria-hidden': 'true' });
  for (const e of layout.edges) {
    const a = pos.get(e.source);
    const b = pos.get(e.target);
    if (!a || !b) continue;
    const pol = POLARITY_ORDER.has(e.polarity) ? e.polarity : 'mixed';
    const width = 1.4 + Math.min(4, Math.abs(e.weight) * 1.2 + (e.count - 1) * 0.8);
    edgeLayer.append(s('line', {
      x1: a[0].toFixed(1), y1: a[1].toFixed(1), x2: b[0].toFixed(1), y2: b[1].toFixed(1),
      class: `edge pol-${pol}${e.sign < 0 ? ' neg' : ''}${pol === 'conditional-support' ? ' cond' : ''}${e.kind === 'meta' ? ' meta' : ''}`,
      'stroke-width': width.toFixed(1), 'data-source': e.source, 'data-target': e.target,
    }, s('title', null, `${labels.get(e.source)} → ${labels.get(e.target)}: ${POLARITY_LABEL.get(e.polarity) || e.polarity}${e.count > 1 ? ` (${e.count} stances)` : ''}`)));
  }
  const degree = new Map();
  for (const e of layout.edges) {
    degree.set(e.source, (degree.get(e.source) || 0) + 1);
    degree.set(e.target, (degree.get(e.target) || 0) + 1);
  }
  // Labels sit under the shapes (a label never hides a node) and are decoration: each
  // node link carries its full name as aria-label and <title>.
  const labelLayer = s('g', { class: 'labels', 'aria-hidden': 'true' });
  const nodeLayer = s('g', { class: 'nodes' });
  const order = { actor: 0, proposition: 1, stance: 2 };
  const sorted = [...nodes].sort((p, q) => (order[p.kind] - order[q.kind]) || p.label.localeCompare(q.label));
  const labelAt = (x, y, cls, text, gap) => {
    const right = x < LAYOUT_W - labelRoom;
    return s('text', {
      x: (right ? x + gap : x - gap).toFixed(1), y: (y + 4).toFixed(1),
      'text-anchor': right ? 'start' : 'end', class: cls,
    }, text);
  };
  const wanted = [];
  for (const n of sorted) {
    const [x, y] = pos.get(n.iri);
    const deg = degree.get(n.iri) || 0;
    let shape;
    let gap = 12;
    if (n.kind === 'actor') {
      const r = 7 + Math.min(9, Math.sqrt(deg) * 2.2);
      gap = r + 4;
      shape = s('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: r.toFixed(1), class: 'node-shape actor' });
    } else if (n.kind === 'proposition') {
      const w = 11 + Math.min(8, Math.sqrt(deg) * 2);
      gap = w / 2 + 4;
      shape = s('rect', { x: (x - w / 2).toFixed(1), y: (y - w / 2).toFixed(1), width: w.toFixed(1), height: w.toFixed(1), rx: '3', class: 'node-shape proposition' });
    } else {
      shape = s('path', { d: `M${x.toFixed(1)} ${(y - 9).toFixed(1)} l9 9 -9 9 -9 -9Z`, class: 'node-shape stance' });
    }
    wanted.push({ x, y, gap, kind: n.kind, text: truncate(n.label, n.kind === 'actor' ? (narrow ? 16 : 24) : 22), r: gap - 4 });
    const href = pageOf(n.iri);
    const kindName = n.kind === 'actor' ? 'Actor' : n.kind === 'proposition' ? 'Proposition' : 'Stance';
    const name = `${kindName}: ${n.label} (${plural(deg, 'stance edge')})`;
    const attrs = { class: `node ${n.kind}`, 'data-id': n.iri, 'data-gap': gap.toFixed(1) };
    nodeLayer.append(href
      ? s('a', { href, ...attrs, 'aria-label': name }, s('title', null, name), shape)
      : s('g', attrs, s('title', null, name), shape));
  }
  for (const el of placeLabels(wanted, LAYOUT_W, LAYOUT_H, narrow)) labelLayer.append(el);
  // The full label of the node under the pointer or keyboard focus, above everything.
  const callout = s('g', { class: 'callout', 'aria-hidden': 'true' });
  svg.append(edgeLayer, labelLayer, nodeLayer, callout);
  const highlight = (node) => {
    const id = node?.dataset.id;
    svg.classList.toggle('focusing', Boolean(id));
    for (const line of edgeLayer.children) {
      line.classList.toggle('hl', Boolean(id) && (line.dataset.source === id || line.dataset.target === id));
    }
    callout.replaceChildren();
    if (id) {
      const [x, y] = pos.get(id);
      callout.append(labelAt(x, y, 'node-label callout-label', labels.get(id), Number(node.dataset.gap)));
    }
  };
  svg.addEventListener('pointerover', (ev) => highlight(ev.target.closest('.node')));
  svg.addEventListener('pointerleave', () => highlight(null));
  svg.addEventListener('focusin', (ev) => highlight(ev.target.closest('.node')));
  svg.addEventListener('focusout', () => highlight(null));
  return svg;
}

/**
 * Labels that never overlap each other or a node: each label tries spots around its node
 * (right, left, above, below, then further out) and takes the first free one; a label
 * with no free spot is left out of the drawing (its node keeps its name as aria-label and
 * <title>, its callout on hover and focus, and it is listed below the drawing).
 */
function placeLabels(wanted, width, height, narrow) {
  const size = { actor: narrow ? 19 : 15, proposition: 13, stance: 13 };
  const boxes = wanted.map((w) => [w.x - w.r, w.y - w.r, w.x + w.r, w.y + w.r]);
  const free = (b) => b[0] >= 0 && b[2] <= width && b[1] >= 0 && b[3] <= height
    && !boxes.some((o) => b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]);
  const out = [];
  // Actors first (their names matter most), then by label length (short ones fit more often).
  const order = [...wanted].sort((a, b) => (a.kind !== 'actor') - (b.kind !== 'actor') || a.text.length - b.text.length);
  const place = (w, scale) => {
    const fs = size[w.kind] * scale;
    const tw = w.text.length * fs * (w.kind === 'actor' ? 0.6 : 0.55);
    const spots = [];
    for (const dy of [0, -0.9, 0.9, -1.8, 1.8, -2.7, 2.7, -3.6, 3.6]) {
      spots.push(['start', w.x + w.gap, w.y + 4 + dy * fs], ['end', w.x - w.gap, w.y + 4 + dy * fs]);
    }
    spots.push(['middle', w.x, w.y - w.gap - 2], ['middle', w.x, w.y + w.gap + fs]);
    for (const [anchor, tx, ty] of spots) {
      const left = anchor === 'start' ? tx : anchor === 'end' ? tx - tw : tx - tw / 2;
      const box = [left - 1, ty - fs * 0.85, left + tw + 1, ty + fs * 0.25];
      if (!free(box)) continue;
      boxes.push(box);
      // (A class, not a style attribute: the page's CSP allows no inline styles.)
      out.push(s('text', {
        x: tx.toFixed(1), y: ty.toFixed(1), 'text-anchor': anchor,
        class: `node-label ${w.kind}${scale === 1 ? '' : scale >= 0.8 ? ' tight' : ' tighter'}`,
      }, w.text));
      return true;
    }
    return false;
  };
  // A label that finds no room at its size tries again smaller before giving up.
  const left = order.filter((w) => !place(w, 1)).filter((w) => !place(w, 0.8));
  for (const w of left) place(w, 0.65);
  return out;
}

async function overviewView(params) {
  const holders = ['all', 'actors', 'states'].includes(params.get('holders')) ? params.get('holders') : 'all';
  const [layout, everyone] = await Promise.all([
    getJSON(`/api/analytics/layout?holders=${holders}`),
    getJSON('/api/actors?limit=500'),
  ]);
  const select_ = h('select', { id: 'holders', name: 'holders' },
    [['all', 'everyone'], ['actors', 'actors (not independent experts)'], ['states', 'states only']]
      .map(([v, t]) => h('option', { value: v, selected: v === holders }, t)));
  select_.addEventListener('change', () => go(select_.value === 'all' ? '#/' : `#/?holders=${select_.value}`, { focus: '#holders' }));
  const actors = layout.nodes.filter((n) => n.kind === 'actor').sort((a, b) => a.label.localeCompare(b.label));
  const props = layout.nodes.filter((n) => n.kind === 'proposition').sort((a, b) => a.label.localeCompare(b.label));
  const edgeCount = new Map();
  for (const e of layout.edges) {
    edgeCount.set(e.source, (edgeCount.get(e.source) || 0) + e.count);
    edgeCount.set(e.target, (edgeCount.get(e.target) || 0) + e.count);
  }
  const nodeList = (list, label) => h('ul', { class: 'node-list', 'aria-label': label },
    list.map((n) => h('li', null, refLink(n.iri, n.label), h('span', { class: 'muted' }, ` ${edgeCount.get(n.iri) || 0}`))));
  return {
    title: 'Stance network',
    body: [
      h('h1', { tabindex: '-1' }, 'Stance network'),
      h('p', { class: 'lede' },
        `Who takes which position on what: ${plural(actors.length, 'actor')} and ${plural(props.length, 'proposition')}, `,
        `linked by ${plural(layout.edges.length, 'stance edge')} coloured by polarity. Select a node to open its page.`),
      layout.truncated ? h('p', { class: 'notice' }, `Only the ${layout.nodes.length} most engaged of ${layout.total_nodes} nodes are drawn.`) : null,
      h('form', { class: 'inline-form', onsubmit: (ev) => ev.preventDefault() },
        h('label', { for: 'holders' }, 'Stance holders: '), select_),
      h('div', { class: 'network-layout' },
        h('figure', { class: 'network-figure' },
          h('div', { class: 'svg-scroll' }, layout.nodes.length ? networkSvg(layout) : h('p', null, 'No stances to draw.')),
          h('figcaption', { class: 'muted small' }, `Layout: NetworkX spring layout computed by the server (seed ${layout.seed}).`)),
        legend()),
      h('div', { class: 'columns' },
        section(`Actors (${everyone.total})`,
          h('p', { class: 'muted small' }, 'Every actor: stances held or voiced, and guarantor nominations received.'),
          h('ul', { class: 'node-list', 'aria-label': 'All actors' }, everyone.items.map((a) => h('li', null,
            refLink(a.iri, a.label),
            h('span', { class: 'muted' }, ` ${a.stances_held + a.stances_voiced}`),
            a.nominations_received ? h('span', { class: 'tag nominee-tag' }, `nominee ×${a.nominations_received}`) : null)))),
        section(`Propositions (${props.length})`, nodeList(props, 'Propositions in the network'))),
    ],
  };
}

// ------------------------------------------------------------------ actor

/** A JSON API detail route for a slug; a 404 becomes the "not found" page. */
async function detail(kind, route, slug) {
  if (!SLUG.test(slug)) throw new ViewError(404, `"${slug}" is not a valid ${kind} id`);
  try {
    return await getJSON(`/api/${route}/${encodeURIComponent(slug)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new ViewError(404, `There is no ${kind} "${slug}" in this graph.`);
    throw err;
  }
}

const refsOf = (list) => (list && list.length ? refList(list) : null);
const textsOf = (list) => (list && list.length ? list.map((r) => r.label).join(', ') : null);

async function actorView(slug) {
  const iri = idIri('actor', slug);
  const [a, stances, history] = await Promise.all([
    detail('actor', 'actors', slug),
    loadStances((v) => `{ ${v} sg:holder <${iri}> } UNION { ${v} sg:voicedBy <${iri}> } UNION { ${v} sg:nominee <${iri}> } UNION { ${v} sg:relayedVia/prov:agent <${iri}> }`),
    getJSON(`/api/analytics/position-history?actor=${encodeURIComponent(slug)}`),
  ]);
  const facts = dl([
    ['Type', camelWords(a.type || '')],
    ['State', a.state ? refLink(a.state.iri, a.state.label) : null],
    ['Territory', a.territory ? a.territory.label : null],
    ['Member of', refsOf(a.member_of)],
    ['Members', refsOf(a.members)],
    ['Affiliated', refsOf(a.affiliated)],
    ['Wikidata', a.wikidata && a.wikidata.startsWith(PREFIXES.wd) ? externalLink(a.wikidata, shortIri(a.wikidata)) : null],
    ['IRI', h('code', { class: 'iri' }, a.iri)],
  ]);
  const roleItem = (r, own) => h('li', null,
    own ? refLink(r.organization.iri, r.organization.label) : refLink(r.member.iri, r.member.label), ': ',
    r.title || r.role?.label || 'member',
    r.role && r.title ? h('span', { class: 'muted' }, ` (${r.role.label})`) : null,
    r.attested_on ? h('span', { class: 'muted' }, `, as of ${shortDate(r.attested_on)}`) : null);
  const top = stances.filter((st) => !(st.targetIsStance && stances.some((o) => o.stance === st.target)));
  const held = top.filter((st) => st.holder === iri);
  const voiced = top.filter((st) => st.holder !== iri && st.speaker === iri);
  const nominated = top.filter((st) => st.holder !== iri && st.speaker !== iri && st.nominee === iri);
  const relayed = top.filter((st) => st.holder !== iri && st.speaker !== iri && st.nominee !== iri
    && st.relays.some((r) => r.agent === iri));
  const stanceSection = (title, list, empty) => h('section', { class: 'panel stances' },
    h('h2', null, `${title} (${list.length})`),
    list.length ? list.map((st) => stanceCard(st, 'holder')) : h('p', { class: 'muted' }, empty));
  return entityPage('Actor', a, 'Facts and roles',
    [
      section('Facts', facts),
          section('Roles',
            a.roles.length ? [h('h3', null, 'Holds'), h('ul', { class: 'roles' }, a.roles.map((r) => roleItem(r, true)))] : null,
            a.people.length ? [h('h3', null, 'People with roles here'), h('ul', { class: 'roles' }, a.people.map((r) => roleItem(r, false)))] : null,
            !a.roles.length && !a.people.length ? h('p', { class: 'muted' }, 'No roles recorded.') : null),
    ],
    [
      stanceSection('Stances held', held, 'No stances held.'),
      positionHistory(history),
      voiced.length ? stanceSection('Stances voiced for others', voiced) : null,
      nominated.length ? stanceSection('Nominated as guarantor', nominated) : null,
      relayed.length ? stanceSection('Stances of others relayed', relayed) : null,
    ]);
}

/**
 * The page of one actor or proposition: crumbs, heading and lede, then its facts in a
 * side column (``sideLabel`` names it for screen readers) beside its stances.
 */
function entityPage(kind, entity, sideLabel, side, main) {
  return {
    title: entity.label,
    body: [
      h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ` › ${kind}`),
      h('h1', { tabindex: '-1' }, entity.label),
      entity.description ? h('p', { class: 'lede' }, entity.description) : null,
      h('div', { class: 'entity-layout' },
        h('aside', { class: 'entity-side', 'aria-label': sideLabel }, side),
        h('div', { class: 'entity-main' }, main)),
    ],
  };
}

/**
 * An actor's position on each target over time (model v2): one row per target, its
 * positions left to right by date, each a badge; superseded ones struck through.
 */
function positionHistory(hist) {
  const byTarget = new Map();
  for (const p of hist.points) {
    if (!byTarget.has(p.target.iri)) byTarget.set(p.target.iri, { target: p.target, points: [] });
    byTarget.get(p.target.iri).points.push(p);
  }
  // only targets whose position changed (sg:supersedes), not several stances of one day
  const changed = [...byTarget.values()].filter((t) => t.points.some((p) => p.supersedes || p.superseded_by));
  const step = (p, i) => [
    i ? h('span', { class: 'arrow', 'aria-hidden': 'true' }, ' → ') : null,
    h('span', { class: p.current ? 'pos current' : 'pos superseded', title: p.source ? `Source: ${p.source.label}` : null },
      h('time', { datetime: p.stated_at, class: 'muted' }, shortDate(p.stated_at)), ' ',
      polarityBadge(p.polarity),
      p.current ? null : h('span', { class: 'visually-hidden' }, ' (superseded)'))];
  return h('section', { class: 'panel history' },
    h('h2', null, 'Position over time'),
    changed.length
      ? tableWrap('Position over time', h('table', { class: 'data history-table' },
        h('caption', null, `${plural(hist.changes.length, 'position change')} on ${plural(changed.length, 'target')}`),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Target'), h('th', { scope: 'col' }, 'Positions, oldest first'))),
        h('tbody', null, changed.map((t) => h('tr', null,
          h('th', { scope: 'row' }, refLink(t.target.iri, t.target.label)),
          h('td', null, t.points.filter((p) => p.supersedes || p.superseded_by).map(step)))))))
      : h('p', { class: 'muted' }, hist.points.length
        ? `No position changes recorded (${plural(hist.points.length, 'position')} on ${plural(byTarget.size, 'target')}).`
        : 'No positions recorded.'));
}

// ------------------------------------------------------------------ proposition

function conditionRow(c, withTarget) {
  return h('li', null,
    refLink(c.holder.iri, c.holder.label), withTarget ? [' on ', refLink(c.target.iri, c.target.label)] : null, ' ',
    tag(c.type?.label || 'condition', 'cond'), ' ', withTarget ? null : refLink(c.requires.iri, c.requires.label),
    c.note ? h('span', { class: 'muted' }, ` — ${c.note}`) : null);
}

async function propositionView(slug) {
  const iri = idIri('proposition', slug);
  const [p, stances] = await Promise.all([
    detail('proposition', 'propositions', slug),
    loadStances((v) => `${v} sg:target <${iri}> .`),
  ]);
  const onIt = stances.filter((st) => st.target === iri);
  const direct = onIt.filter((st) => !st.expectation);
  const expected = onIt.filter((st) => st.expectation);
  const groups = new Map();
  for (const st of direct) {
    if (!groups.has(st.polarity)) groups.set(st.polarity, []);
    groups.get(st.polarity).push(st);
  }
  // The API's order (most positive first), then any polarity it does not know.
  const apiOrder = new Map((p.positions || []).map((g, i) => [g.polarity.key, i]));
  const rank = (k) => apiOrder.get(k) ?? 100 + (POLARITY_ORDER.get(k) ?? 99);
  const ordered = [...groups.entries()].sort(([x], [y]) => rank(x) - rank(y));
  const summary = h('ul', { class: 'polarity-summary', 'aria-label': 'Positions by polarity' },
    ordered.map(([pol, list]) => h('li', null, polarityBadge(pol, list[0].polarityLabel), ` ${list.length}`)));
  return entityPage('Proposition', p, 'Facts and conditions',
    [
      section('Facts', dl([
        ['Demand type', p.demand_type?.label],
        ['Who is to act', refsOf(p.actors_to_act)],
        ['Beneficiary', refsOf(p.beneficiaries)],
        ['Place', textsOf(p.locations)],
        ['Negotiation', p.negotiation?.label],
        ['IRI', h('code', { class: 'iri' }, p.iri)],
      ])),
      section('Conditions',
        h('h3', null, 'Positions on this proposition that carry conditions'),
        p.conditions.length
          ? h('ul', { class: 'cond-list' }, p.conditions.map((c) => conditionRow(c, false)))
          : h('p', { class: 'muted' }, 'None.'),
        h('h3', null, 'Positions that require this proposition'),
        p.required_by.length
          ? h('ul', { class: 'cond-list' }, p.required_by.map((c) => conditionRow(c, true)))
          : h('p', { class: 'muted' }, 'None.'),
        h('p', null, h('a', { href: '#/conditions' }, 'All conditions and deadlocks'))),
    ],
    [
      h('section', { class: 'panel' },
        h('h2', null, `Positions (${direct.length})`),
        direct.length ? summary : h('p', { class: 'muted' }, 'Nobody has taken a position on this yet.'),
        ordered.map(([pol, list]) => h('section', { class: 'polarity-group' },
          h('h3', null, polarityBadge(pol, list[0].polarityLabel), ` ${list.length}`),
          list.map((st) => stanceCard(st, 'target', 4))))),
      expected.length
        ? h('section', { class: 'panel expectations' },
          h('h2', null, `Expectations (${expected.length})`),
          h('p', { class: 'muted' }, 'Forecasts and assessments: what holders expect of this, not what they want. They are not counted as positions.'),
          expected.map((st) => stanceCard(st, 'target', 3)))
        : null,
    ]);
}

// ------------------------------------------------------------------ stance

/** A JSON API stance (StanceSummary or StanceDetail) in the shape stanceCard reads. */
function fromApiStance(x) {
  return {
    stance: x.iri,
    holder: x.holder.iri,
    holderLabel: x.holder.label,
    speaker: x.speaker?.iri,
    speakerLabel: x.speaker?.label,
    target: x.target.iri,
    targetLabel: x.target.label,
    targetIsStance: x.target.kind === 'stance',
    polarity: x.polarity.key,
    polarityLabel: x.polarity.label,
    expectation: x.dimension === 'expectation',
    likelihood: x.likelihood?.key,
    horizon: x.horizon?.key,
    relays: [],
    modality: x.modality.key,
    speechAct: x.speech_act?.key,
    statedAt: x.stated_at,
    summary: x.summary,
    nominee: x.nominee?.iri,
    nomineeLabel: x.nominee?.label,
    evidence: (x.evidence || []).map((e) => ({
      quote: e.quote,
      paragraph: e.paragraph,
      speaker: e.speaker?.iri,
      speakerLabel: e.speaker?.label,
      source: e.source?.iri,
      sourceTitle: e.source?.title,
      published: e.source?.published,
    })),
    conditions: (x.conditions || []).map((c) => ({
      conditionType: c.type?.key,
      conditionLabel: c.type?.label,
      requires: c.requires.iri,
      requiresLabel: c.requires.label,
      note: c.note,
    })),
    reactions: (x.reactions || []).map(fromApiStance),
  };
}

async function stanceView(slug) {
  const st = fromApiStance(await detail('stance', 'stances', slug));
  const coded = await select(`SELECT ?coder ?codedAt WHERE { <${idIri('stance', slug)}> prov:wasAttributedTo ?coder .
    OPTIONAL { <${idIri('stance', slug)}> prov:generatedAtTime ?codedAt } } ORDER BY ?coder`);
  st.coders = [...new Set(coded.map((c) => c.coder.slice(c.coder.lastIndexOf('/') + 1)))];
  st.codedAt = coded.find((c) => c.codedAt)?.codedAt;
  // Promoted from coders' own spaces by a merge (sg:CodingMerge): who merged it, when.
  const merge = await select(`SELECT ?merger ?at WHERE { <${idIri('stance', slug)}> prov:wasGeneratedBy ?m .
    ?m a sg:CodingMerge ; prov:wasAssociatedWith ?merger . OPTIONAL { ?m prov:endedAtTime ?at } } LIMIT 1`);
  if (merge.length) st.mergedBy = { who: merge[0].merger.slice(merge[0].merger.lastIndexOf('/') + 1), at: merge[0].at };
  const what = st.expectation
    ? `expects${st.likelihood ? ` (${keyLabel(st.likelihood)})` : ''}`
    : st.polarityLabel || keyLabel(st.polarity);
  const title = `${st.holderLabel}: ${what} — ${st.targetLabel || fallbackLabel(st.target)}`;
  return {
    title,
    body: [
      h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Overview'), ' › ', refLink(st.holder, st.holderLabel), ' › Stance'),
      h('h1', { tabindex: '-1' }, title),
      h('div', { class: 'single' }, stanceCard(st, 'holder', 2)),
    ],
  };
}

// ------------------------------------------------------------------ guarantors

async function guarantorsView() {
  const g = await getJSON('/api/analytics/guarantors');
  const nominators = new Map();
  for (const p of g.parties) nominators.set(p.iri, p);
  const seen = new Set();
  for (const n of g.nominees) {
    for (const x of n.nominations) {
      seen.add(x.nominator.iri);
      if (!nominators.has(x.nominator.iri)) nominators.set(x.nominator.iri, x.nominator);
    }
  }
  const parties = new Set(g.parties.map((p) => p.iri));
  const columns = [...nominators.values()].filter((p) => seen.has(p.iri) || parties.has(p.iri));
  const rows = [...g.nominees].sort((a, b) => (b.modality_weight - a.modality_weight) || a.nominee.label.localeCompare(b.nominee.label));
  const cell = (n, col) => {
    const xs = n.nominations.filter((x) => x.nominator.iri === col.iri);
    if (!xs.length) return h('td', { class: 'empty' }, h('span', { 'aria-label': 'not nominated' }, '—'));
    return h('td', null, xs.map((x) => h('span', { class: 'cell-item' },
      tag(x.modality, `mod mod-${x.modality}`),
      x.polarity !== 'support' ? [' ', polarityBadge(x.polarity)] : null,
      x.speaker ? h('span', { class: 'muted small' }, ` via ${fallbackLabel(x.speaker)}`) : null)));
  };
  const table = h('table', { class: 'matrix' },
    h('caption', null, `Guarantor nominations: ${plural(rows.length, 'nominee')} by nominating party, with the modality of each nomination`),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Nominee'),
      columns.map((c) => h('th', { scope: 'col' }, 'Nominated by ', refLink(c.iri, c.label))),
      g.parties.map((p) => h('th', { scope: 'col', class: 'accept-col' }, 'Acceptable to ', refLink(p.iri, p.label))),
      h('th', { scope: 'col' }, 'Own position'),
      h('th', { scope: 'col' }, 'Contested by'),
      h('th', { scope: 'col' }, 'Member of'))),
    h('tbody', null, rows.map((n) => h('tr', { 'data-nominee': n.nominee.iri },
      h('th', { scope: 'row' }, refLink(n.nominee.iri, n.nominee.label)),
      columns.map((c) => cell(n, c)),
      g.parties.map((p) => {
        const a = (n.acceptability || []).find((x) => x.party.iri === p.iri);
        const status = a ? a.status : 'unknown';
        return h('td', { class: `accept accept-${status}`, 'data-party': p.iri }, tag(ACCEPTABILITY[status] || status, `acc acc-${status}`));
      }),
      h('td', null, keyLabel(n.own_position)),
      h('td', null, n.contested_by.length ? n.contested_by.map((c, i) => [i ? ', ' : '', refLink(c.by.iri, c.by.label), ` (${keyLabel(c.how)})`]) : '—'),
      h('td', null, refList(n.member_of))))));
  const byModality = Object.entries(g.by_modality);
  return {
    title: 'Guarantors',
    body: [
      h('h1', { tabindex: '-1' }, 'Guarantor matrix'),
      h('p', { class: 'lede' }, 'Which states were nominated as guarantors of a security guarantee, by whom, and how firmly the source reports it (asserted, possible, reported); and, per nominee, whether each principal party accepts it, objects to it, or has said nothing the sources record (unknown is not an objection).'),
      rows.some((n) => n.list_open) ? h('p', { class: 'muted' }, 'The list of guarantors is open ("such as"): other states may be added.') : null,
      tableWrap('Guarantor matrix', table),
      h('div', { class: 'columns' },
        section('By modality', byModality.length
          ? h('dl', { class: 'facts' }, byModality.map(([m, refs]) => [h('dt', null, tag(m, `mod mod-${m}`), ` ${refs.length}`), h('dd', null, refList(refs))]))
          : h('p', { class: 'muted' }, 'No nominations.')),
        section('Acceptability', dl([
          ['Principal parties', refList(g.parties)],
          ['Acceptable to all parties', g.acceptable_to_all_parties.length ? refList(g.acceptable_to_all_parties) : 'none'],
          ['Contested by no party', g.uncontested.length ? refList(g.uncontested) : 'none'],
        ])),
        section('Alliances', g.alliances.length
          ? h('ul', null, g.alliances.map((a) => h('li', null, refLink(a.alliance.iri, a.alliance.label),
            `: ${a.count} of ${rows.length} nominees (${Math.round(a.share * 100)} %) — `, refList(a.nominees))))
          : h('p', { class: 'muted' }, 'No shared alliances.'))),
    ],
  };
}

// ------------------------------------------------------------------ conditions

function wrapWords(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && (line + ' ' + word).length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length > 3 ? [...lines.slice(0, 2), truncate(lines.slice(2).join(' '), width)] : lines;
}

function dependencySvg(c) {
  const deadlocked = new Set(c.deadlocks.flatMap((d) => d.cycle.map((r) => r.iri)));
  const cycleEdges = new Set(c.deadlocks.flatMap((d) => d.edges.map((e) => `${e.source.iri} ${e.target.iri}`)));
  const met = new Set(c.met);
  const stageOf = new Map();
  const labels = new Map();
  c.sequence.forEach((st) => st.propositions.forEach((p) => { stageOf.set(p.iri, st.stage); labels.set(p.iri, p.label); }));
  for (const d of c.dependencies) {
    for (const r of [d.proposition, d.requires]) {
      labels.set(r.iri, r.label);
      if (!stageOf.has(r.iri)) stageOf.set(r.iri, c.sequence.length);
    }
  }
  const involved = new Set(c.dependencies.flatMap((d) => [d.proposition.iri, d.requires.iri]));
  const columns = new Map();
  for (const [iri, stage] of stageOf) {
    if (!involved.has(iri)) continue;
    if (!columns.has(stage)) columns.set(stage, []);
    columns.get(stage).push(iri);
  }
  const stages = [...columns.keys()].sort((a, b) => a - b);
  const boxW = 232;
  const rowH = 96;
  const boxH = 62;
  const rowsMax = Math.max(1, ...[...columns.values()].map((l) => l.length));
  // Edges inside a column (only in a deadlocked stage) arc out sideways: leave room.
  const inColumn = c.dependencies.some((d) => stageOf.get(d.proposition.iri) === stageOf.get(d.requires.iri));
  const side = inColumn ? 34 + 14 * rowsMax : 24;
  const colW = boxW + 2 * side;
  const W = Math.max(1, stages.length) * colW;
  const H = rowsMax * rowH + 40;
  const pos = new Map();
  stages.forEach((stage, i) => {
    const list = columns.get(stage);
    const offset = (rowsMax - list.length) * rowH / 2;
    list.forEach((iri, j) => pos.set(iri, [i * colW + (colW - boxW) / 2, 34 + offset + j * rowH]));
  });
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'depgraph', role: 'group', tabindex: '-1',
    'aria-label': 'Condition dependency graph: arrows go from a precondition to the proposition that requires it; columns are stages, earliest first.',
  });
  svg.append(s('defs', null,
    s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
      s('path', { d: 'M0 0 10 5 0 10Z', class: 'arrowhead' })),
    s('marker', { id: 'arrow-dead', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
      s('path', { d: 'M0 0 10 5 0 10Z', class: 'arrowhead dead' }))));
  stages.forEach((stage, i) => svg.append(s('text', { x: (i * colW + colW / 2).toFixed(0), y: '18', 'text-anchor': 'middle', class: 'stage-label' },
    c.sequence[stage]?.deadlocked ? `Stage ${stage + 1} (deadlocked)` : `Stage ${stage + 1}`)));
  const edges = s('g', { class: 'edges', 'aria-hidden': 'true' });
  const pairs = new Map();
  for (const d of c.dependencies) {
    const key = `${d.proposition.iri} ${d.requires.iri}`;
    if (!pairs.has(key)) pairs.set(key, []);
    pairs.get(key).push(d);
  }
  for (const [key, ds] of pairs) {
    const d = ds[0];
    const a = pos.get(d.requires.iri);
    const b = pos.get(d.proposition.iri);
    if (!a || !b) continue;
    const dead = cycleEdges.has(key) || cycleEdges.has(`${d.requires.iri} ${d.proposition.iri}`);
    const x1 = a[0] + boxW;
    const y1 = a[1] + boxH / 2;
    const x2 = b[0];
    const y2 = b[1] + boxH / 2;
    let path;
    if (a[0] === b[0]) {
      // Same column: downward edges on the right, upward ones on the left, wider arcs
      // for rows further apart.
      const down = a[1] < b[1];
      const x = down ? a[0] + boxW : a[0];
      const bulge = (down ? 1 : -1) * (24 + 12 * (Math.abs(b[1] - a[1]) / rowH));
      path = `M${x} ${y1} C${x + bulge} ${y1} ${x + bulge} ${y2} ${x} ${y2}`;
    } else {
      path = `M${x1} ${y1} C${x1 + 40} ${y1} ${x2 - 40} ${y2} ${x2} ${y2}`;
    }
    edges.append(s('path', {
      d: path, class: `dep-edge${dead ? ' dead' : ''}${d.precedence ? '' : ' blocker'}`,
      'marker-end': dead ? 'url(#arrow-dead)' : 'url(#arrow)',
    }, s('title', null, `${d.proposition.label} requires ${d.requires.label} (${ds.map((x) => `${x.holder.label}: ${keyLabel(x.condition_type)}`).join('; ')})`)));
  }
  svg.append(edges);
  for (const [iri, [x, y]] of pos) {
    const label = labels.get(iri) || fallbackLabel(iri);
    const lines = wrapWords(label, 27);
    const cls = `dep-node${deadlocked.has(iri) ? ' dead' : ''}${met.has(iri) ? ' met' : ''}`;
    const text = s('text', { x: (x + 10).toFixed(0), y: (y + 20).toFixed(0), class: 'dep-label', 'aria-hidden': 'true' },
      lines.map((l, i) => s('tspan', { x: (x + 10).toFixed(0), dy: i ? '17' : '0' }, i < lines.length - 1 ? `${l} ` : l)));
    const href = pageOf(iri);
    const name = `${label}${deadlocked.has(iri) ? ' (in a deadlock)' : ''}`;
    const body = [s('title', null, name), s('rect', { x: x.toFixed(0), y: y.toFixed(0), width: boxW, height: boxH, rx: '6', class: 'dep-box' }), text];
    svg.append(href ? s('a', { href, class: cls, 'aria-label': name }, body) : s('g', { class: cls }, body));
  }
  return svg;
}

async function conditionsView() {
  const c = await getJSON('/api/analytics/conditions');
  const depTable = h('table', { class: 'data' },
    h('caption', null, `${plural(c.dependencies.length, 'condition')} (proposition → what it requires)`),
    h('thead', null, h('tr', null, ['Proposition', 'Requires', 'Condition', 'Holder'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, c.dependencies.map((d) => h('tr', null,
      h('td', null, refLink(d.proposition.iri, d.proposition.label)),
      h('td', null, refLink(d.requires.iri, d.requires.label)),
      h('td', null, tag(keyLabel(d.condition_type), 'cond'), d.precedence ? null
        : h('span', { class: 'muted small' }, d.necessity === 'sufficient' ? ' (sufficient: orders nothing)' : ' (blocker)')),
      h('td', null, refLink(d.holder.iri, d.holder.label),
        d.holder_role === 'third-party' ? h('span', { class: 'muted small' }, ' (third party)') : null)))));
  const deadlocks = c.deadlocks.length
    ? h('ol', { class: 'deadlocks' }, c.deadlocks.map((d) => h('li', null,
      h('p', null, d.cycle.map((r, i) => [i ? ' → ' : '', refLink(r.iri, r.label)]), ' → ', refLink(d.cycle[0].iri, d.cycle[0].label)),
      h('p', { class: 'muted' }, d.cross_holder ? 'Across holders: ' : 'Held by one actor: ', refList(d.holders)))))
    : h('p', { class: 'ok' }, 'No deadlocks: no proposition depends, directly or through others, on itself.');
  return {
    title: 'Conditions',
    body: [
      h('h1', { tabindex: '-1' }, 'Conditions'),
      h('p', { class: 'lede' },
        `Who makes what conditional on what. ${plural(c.dependencies.length, 'condition')}; `,
        c.acyclic ? 'the dependencies are acyclic.' : `${plural(c.deadlocks.length, 'deadlock')}.`),
      section(`Deadlocks (${c.deadlocks.length})`, deadlocks),
      h('section', { class: 'panel' },
        h('h2', null, 'Dependency graph'),
        c.dependencies.length
          ? h('figure', { class: 'network-figure' }, h('div', { class: 'svg-scroll' }, dependencySvg(c)),
            h('figcaption', { class: 'muted small' }, 'Arrows run from a precondition to the proposition that requires it; columns are the order in which things must happen. Red marks a deadlock; dashed arrows are “unless” blockers.'))
          : h('p', { class: 'muted' }, 'No conditions recorded.'),
        tableWrap('Conditions table', depTable)),
      h('div', { class: 'columns' },
        section('Blocked propositions', c.blocked.length
          ? h('ul', null, c.blocked.map((b) => h('li', null, refLink(b.proposition.iri, b.proposition.label),
            b.deadlocked ? [' ', tag('deadlocked', 'dead')] : null,
            h('span', { class: 'muted' }, ' — needs '), refList(b.unmet_transitive))))
          : h('p', { class: 'muted' }, 'Nothing is blocked.')),
        section('Critical preconditions', c.critical.length
          ? h('ol', null, c.critical.map((x) => h('li', null, refLink(x.proposition.iri, x.proposition.label),
            h('span', { class: 'muted' }, ` — ${plural(x.dependents, 'dependent')} (${x.direct_dependents} direct)`))))
          : h('p', { class: 'muted' }, 'None.'))),
    ],
  };
}

// ------------------------------------------------------------------ query

const RESULTS_JSON = 'application/sparql-results+json';
const RENDER_LIMIT = 500;

function normaliseExamples(data) {
  let list = data;
  if (!Array.isArray(list)) list = data?.queries ?? data?.items ?? data?.examples ?? Object.values(data || {});
  if (!Array.isArray(list)) return [];
  return list.filter((q) => q && typeof q === 'object' && q.name).map((q) => ({
    name: String(q.name),
    title: String(q.title || q.name),
    description: String(q.description || ''),
    sparql: typeof q.sparql === 'string' ? q.sparql : typeof q.query === 'string' ? q.query : null,
    params: Array.isArray(q.params) ? q.params : Array.isArray(q.parameters) ? q.parameters : [],
  }));
}

/** The example's text, with its parameter defaults bound by a trailing VALUES clause. */
function exampleText(ex) {
  const bound = ex.params.filter((p) => p && p.name && typeof p.default === 'string' && /^https?:\/\/[^\s<>"{}|\\^`]+$/.test(p.default));
  if (!bound.length || !ex.sparql) return ex.sparql;
  const vars = bound.map((p) => `?${p.name}`).join(' ');
  const vals = bound.map((p) => `<${p.default}>`).join(' ');
  const notes = bound.map((p) => `# ?${p.name}: ${p.description || 'parameter'} (the named query's default; edit it here)`).join('\n');
  return `${ex.sparql.trimEnd()}\n\n${notes}\nVALUES (${vars}) { (${vals}) }\n`;
}

async function exampleSparql(ex) {
  if (ex.sparql) return exampleText(ex);
  const detail = normaliseExamples([await getJSON(`/api/queries/${encodeURIComponent(ex.name)}`)])[0];
  if (detail?.sparql) return exampleText({ ...ex, ...detail, params: detail.params.length ? detail.params : ex.params });
  throw new ApiError(0, '', `The server does not expose the text of the example “${ex.name}”.`);
}

function queryPrefixes(text) {
  const out = { ...PREFIXES };
  for (const m of text.matchAll(/PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>\s]*)>/gi)) out[m[1] || ''] = m[2];
  return out;
}

function termCell(term, prefixes) {
  if (!term) return h('td', { class: 'unbound' });
  if (term.type === 'uri') {
    const short = shortIri(term.value, prefixes);
    const href = pageOf(term.value);
    return h('td', { class: 'iri-cell' }, href ? h('a', { href, title: term.value }, short) : h('span', { title: term.value }, short));
  }
  if (term.type === 'bnode') return h('td', { class: 'bnode' }, `_:${term.value}`);
  if (term.type === 'triple') return h('td', { class: 'muted' }, '<< triple >>');
  const extra = term['xml:lang'] ? `@${term['xml:lang']}` : term.datatype && !term.datatype.endsWith('#string') ? `^^${shortIri(term.datatype, prefixes)}` : '';
  return h('td', null, term.value, extra ? h('span', { class: 'dtype' }, extra) : null);
}

/** Sort key of a result term: numbers as numbers, everything else as text. */
function termKey(term) {
  if (!term) return [2, ''];
  const n = Number(term.value);
  return term.type === 'literal' && term.value.trim() !== '' && Number.isFinite(n) ? [0, n] : [1, term.value.toLowerCase()];
}

function resultsTable(json, prefixes, limit) {
  const vars = json.head.vars || [];
  const rows = [...json.results.bindings];
  const tbody = h('tbody');
  const fill = () => {
    const body = document.createDocumentFragment();
    for (const row of rows.slice(0, limit)) body.append(h('tr', null, vars.map((v) => termCell(row[v], prefixes))));
    tbody.replaceChildren(body);
  };
  let sorted = { v: null, dir: 1 };
  // Column headers are buttons: click to sort by that column, again to reverse.
  const headers = vars.map((v) => {
    const button = h('button', { type: 'button', class: 'sort-button' }, `?${v}`);
    const th = h('th', { scope: 'col', 'aria-sort': 'none' }, button);
    button.addEventListener('click', () => {
      sorted = { v, dir: sorted.v === v ? -sorted.dir : 1 };
      rows.sort((a, b) => {
        const [ka, kb] = [termKey(a[v]), termKey(b[v])];
        return (ka[0] - kb[0] || (ka[1] < kb[1] ? -1 : ka[1] > kb[1] ? 1 : 0)) * sorted.dir;
      });
      for (const other of th.parentNode.children) other.setAttribute('aria-sort', 'none');
      th.setAttribute('aria-sort', sorted.dir > 0 ? 'ascending' : 'descending');
      fill();
    });
    return th;
  });
  fill();
  return h('table', { class: 'data results' },
    h('caption', { class: 'visually-hidden' }, `Query results: ${plural(rows.length, 'row')}, ${plural(vars.length, 'column')}; select a column heading to sort`),
    h('thead', null, h('tr', null, headers)),
    tbody);
}

/** The PREFIX lines a query needs: prefixes it uses (``sg:x``) but does not declare. */
function missingPrefixes(text) {
  const declared = new Set([...text.matchAll(/PREFIX\s+([A-Za-z][\w.-]*)?:/gi)].map((m) => m[1] || ''));
  const body = text.replace(/<[^>]*>/g, ' ').replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ').replace(/#[^\n]*/g, ' ');
  const used = new Set([...body.matchAll(/(?:^|[\s({;,./^|!])([A-Za-z][\w-]*):(?=[A-Za-z0-9_]|\s|$)/g)].map((m) => m[1]));
  return [...used].filter((p) => !declared.has(p) && PREFIXES[p]).sort().map((p) => `PREFIX ${p}: <${PREFIXES[p]}>`);
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

async function queryView(params) {
  const textarea = h('textarea', {
    id: 'sparql-text', name: 'query', rows: '14', wrap: 'off', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off',
    'aria-describedby': 'sparql-help',
  });
  const status = h('p', { class: 'query-status', role: 'status', 'aria-live': 'polite' });
  const errors = h('div', { class: 'query-error' });
  const output = h('div', { class: 'query-output' });
  const runBtn = h('button', { type: 'submit', class: 'primary' }, 'Run query');
  const csvBtn = h('button', { type: 'button', disabled: true }, 'Download CSV');
  const prefixBtn = h('button', { type: 'button', class: 'small-button prefix-button', hidden: true }, 'Declare prefixes');
  const jsonBtn = h('button', { type: 'button', disabled: true }, 'Download JSON');
  const exampleList = h('ul', { class: 'examples', 'aria-label': 'Example queries' }, h('li', { class: 'muted' }, 'Loading examples…'));
  let last = null; // { query, raw }
  let running = null;

  async function run(query) {
    running?.abort();
    const controller = new AbortController();
    running = controller;
    navController.signal.addEventListener('abort', () => controller.abort(), { once: true });
    errors.replaceChildren();
    output.replaceChildren();
    csvBtn.disabled = true;
    jsonBtn.disabled = true;
    last = null;
    if (!query.trim()) {
      errors.append(errorBox(new ApiError(0, '', 'Write a query first.'), 'Nothing to run'));
      return;
    }
    status.textContent = 'Running…';
    runBtn.disabled = true;
    output.setAttribute('aria-busy', 'true');
    const started = performance.now();
    try {
      const response = await sparql(query, `${RESULTS_JSON}, text/turtle;q=0.9, application/json;q=0.5`, controller.signal);
      const type = response.headers.get('content-type') || '';
      const raw = await response.text();
      const ms = Math.round(performance.now() - started);
      const truncated = response.headers.get('x-stancegraph-truncated') === 'true';
      last = { query, raw, type };
      jsonBtn.disabled = false;
      if (type.startsWith(RESULTS_JSON) || type.startsWith('application/json')) {
        const json = JSON.parse(raw);
        if (typeof json.boolean === 'boolean') {
          status.textContent = `ASK: ${json.boolean ? 'true' : 'false'} (${ms} ms)`;
          output.append(h('p', { class: 'ask-result' }, `Answer: ${json.boolean ? 'yes (true)' : 'no (false)'}`));
          return;
        }
        csvBtn.disabled = false;
        const rows = json.results.bindings;
        status.textContent = `${plural(rows.length, 'row')} in ${ms} ms${truncated ? ' (truncated by the server)' : ''}`;
        const prefixes = queryPrefixes(query);
        const wrap = tableWrap('Query results', resultsTable(json, prefixes, RENDER_LIMIT));
        output.append(wrap);
        if (truncated) output.prepend(h('p', { class: 'notice' }, `The server returned only the first ${rows.length} rows.`));
        if (rows.length > RENDER_LIMIT) {
          const more = h('button', { type: 'button' }, `Show all ${rows.length} rows`);
          more.addEventListener('click', () => {
            wrap.replaceChildren(resultsTable(json, prefixes, rows.length));
            more.remove();
          });
          output.append(h('p', null, `Showing the first ${RENDER_LIMIT} rows. `, more));
        }
      } else {
        status.textContent = `Graph result in ${ms} ms`;
        output.append(h('pre', { class: 'graph-result', tabindex: '0' }, raw));
      }
    } catch (err) {
      if (controller.signal.aborted) return;
      status.textContent = 'The query failed.';
      const box = errorBox(err, 'Query error');
      const where = err instanceof ApiError && Array.isArray(err.details) ? err.details[0] : null;
      if (where && Number.isInteger(where.line) && query === textarea.value) {
        const jump = h('button', { type: 'button', class: 'small-button' }, 'Show the position in the editor');
        jump.addEventListener('click', () => {
          const lines = textarea.value.split('\n');
          const line = Math.min(Math.max(where.line, 1), lines.length);
          let offset = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
          offset += Math.min(Math.max((where.column || 1) - 1, 0), lines[line - 1].length);
          textarea.focus();
          textarea.setSelectionRange(offset, Math.min(offset + 1, textarea.value.length));
        });
        box.append(h('p', null, jump));
      }
      errors.append(box);
    } finally {
      if (running === controller) {
        runBtn.disabled = false;
        output.removeAttribute('aria-busy');
      }
    }
  }

  function submit(query) {
    const hash = `#/query?${new URLSearchParams({ q: query })}`;
    if (location.hash !== hash) {
      history.pushState(null, '', hash);
      rendered = location.hash;
    }
    run(query);
  }

  const form = h('form', { class: 'query-form', 'aria-label': 'SPARQL query' },
    h('label', { for: 'sparql-text', class: 'field-label' }, 'SPARQL query'),
    textarea,
    h('p', { id: 'sparql-help', class: 'muted small' }, 'SPARQL 1.1 SELECT, ASK, CONSTRUCT or DESCRIBE; the default graph is the union of all graphs. Ctrl+Enter runs the query; Tab after a prefix (sg:, rdfs:…) declares it.'),
    prefixBtn,
    h('div', { class: 'buttons' }, runBtn, csvBtn, jsonBtn));
  // Prefix completion: prefixes the text uses but does not declare, one click (or Tab) away.
  const refreshPrefixes = () => {
    const missing = missingPrefixes(textarea.value);
    prefixBtn.hidden = !missing.length;
    prefixBtn.textContent = `Declare ${missing.map((l) => l.split(/\s+/)[1]).join(' ')}`;
  };
  const declarePrefixes = () => {
    const missing = missingPrefixes(textarea.value);
    if (!missing.length) return false;
    const at = textarea.selectionStart + missing.join('\n').length + 1;
    textarea.value = `${missing.join('\n')}\n${textarea.value}`;
    textarea.setSelectionRange(at, at);
    refreshPrefixes();
    announce(`Declared ${plural(missing.length, 'prefix', 'prefixes')}`);
    return true;
  };
  prefixBtn.addEventListener('click', () => { declarePrefixes(); textarea.focus(); });
  textarea.addEventListener('input', refreshPrefixes);
  textarea.addEventListener('keydown', (ev) => {
    if (ev.key === 'Tab' && !ev.shiftKey && /[A-Za-z]:$/.test(textarea.value.slice(0, textarea.selectionStart)) && declarePrefixes()) ev.preventDefault();
  });
  queueMicrotask(refreshPrefixes);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit(textarea.value);
  });
  textarea.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  csvBtn.addEventListener('click', async () => {
    if (!last) return;
    try {
      const response = await sparql(last.query, 'text/csv');
      download('stancegraph-results.csv', 'text/csv', await response.text());
      announce('CSV downloaded');
    } catch (err) {
      errors.replaceChildren(errorBox(err, 'Download failed'));
    }
  });
  jsonBtn.addEventListener('click', () => {
    if (!last) return;
    const json = last.type.startsWith('text/turtle');
    download(json ? 'stancegraph-results.ttl' : 'stancegraph-results.json', json ? 'text/turtle' : RESULTS_JSON, last.raw);
    announce('Results downloaded');
  });

  // Examples: one click loads and runs them.
  getJSON('/api/queries').then((data) => {
    const examples = normaliseExamples(data);
    exampleList.replaceChildren(...examples.map((ex) => {
      const btn = h('button', { type: 'button', class: 'example', 'data-example': ex.name, title: ex.description || null }, ex.title);
      btn.addEventListener('click', async () => {
        for (const other of exampleList.querySelectorAll('button[aria-current]')) other.removeAttribute('aria-current');
        btn.setAttribute('aria-current', 'true');
        try {
          const text = await exampleSparql(ex);
          textarea.value = text;
          const hash = `#/query?${new URLSearchParams({ example: ex.name })}`;
          if (location.hash !== hash) {
            history.pushState(null, '', hash);
            rendered = location.hash;
          }
          run(text);
        } catch (err) {
          errors.replaceChildren(errorBox(err, 'Example unavailable'));
        }
      });
      return h('li', null, btn, ex.description ? h('span', { class: 'visually-hidden' }, ` — ${ex.description}`) : null);
    }));
    if (!examples.length) exampleList.replaceChildren(h('li', { class: 'muted' }, 'No example queries on this server.'));
    const wanted = params.get('example');
    const ex = wanted && examples.find((x) => x.name === wanted);
    const current = ex && exampleList.querySelector(`button[data-example="${CSS.escape(ex.name)}"]`);
    if (current) {
      current.setAttribute('aria-current', 'true');
      current.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
    if (ex && !params.get('q')) exampleSparql(ex).then((text) => { textarea.value = text; run(text); })
      .catch((err) => errors.replaceChildren(errorBox(err, 'Example unavailable')));
    else if (wanted && !ex) errors.replaceChildren(errorBox(new ApiError(404, 'not_found', `There is no example query "${wanted}".`), 'Example unavailable'));
  }).catch((err) => {
    if (navController.signal.aborted) return;
    exampleList.replaceChildren(h('li', { class: 'muted' }, `Example queries are unavailable: ${err.message}`));
  });

  const q = params.get('q');
  if (q !== null) {
    textarea.value = q;
    queueMicrotask(() => run(q));
  } else if (!params.get('example')) {
    textarea.value = 'SELECT ?stance ?holder ?target WHERE {\n  ?stance a sg:Stance ; sg:holder ?holder ; sg:target ?target .\n}\nLIMIT 20\n';
    textarea.value = `PREFIX sg: <${PREFIXES.sg}>\n${textarea.value}`;
  }
  return {
    title: 'SPARQL query',
    body: [
      h('h1', { tabindex: '-1' }, 'SPARQL query'),
      h('div', { class: 'query-layout' },
        h('div', { class: 'query-main' }, form, status, errors, output),
        h('aside', { class: 'query-side', 'aria-labelledby': 'examples-title' },
          h('h2', { id: 'examples-title' }, 'Example queries'),
          h('p', { class: 'muted small' }, 'One click loads the query into the editor and runs it.'),
          exampleList)),
    ],
  };
}

// ------------------------------------------------------------------ search

const KIND_LABEL = { actor: 'Actor', proposition: 'Proposition', stance: 'Stance', source: 'Source', place: 'Place', negotiation: 'Negotiation' };

/** A snippet with its highlighted ranges as <mark> (text nodes only, never HTML). */
function highlighted(text, ranges) {
  const out = [];
  let at = 0;
  for (const [a, b] of ranges || []) {
    if (a < at || b > text.length) continue;
    out.push(text.slice(at, a), h('mark', null, text.slice(a, b)));
    at = b;
  }
  out.push(text.slice(at));
  return out;
}

async function searchView(params) {
  const q = (params.get('q') || '').trim();
  const body = [h('h1', { tabindex: '-1' }, q ? `Search: “${q}”` : 'Search')];
  if (!q) return { title: 'Search', body: [...body, h('p', { class: 'lede' }, 'Type words in the search box above: labels, summaries, quotes and descriptions are searched.')] };
  const found = await getJSON(`/api/search?q=${encodeURIComponent(q)}&limit=50`);
  body.push(h('p', { class: 'lede', id: 'search-count' }, `${plural(found.total, 'match', 'matches')}${found.total > found.items.length ? `, the best ${found.items.length} shown` : ''}.`));
  body.push(h('ol', { class: 'search-results' }, found.items.map((hit) => h('li', null,
    h('span', { class: 'tag' }, KIND_LABEL[hit.kind] || hit.kind), ' ',
    refLink(hit.iri, hit.label),
    hit.snippet ? h('p', { class: 'snippet' }, highlighted(hit.snippet, hit.highlights), h('span', { class: 'muted small' }, ` (${hit.field})`)) : null))));
  return { title: `Search: ${q}`, body };
}

// ------------------------------------------------------------------ source

async function sourceView(slug) {
  const src = await detail('source', 'sources', slug);
  const page = await getJSON(`/api/stances?source=${encodeURIComponent(slug)}&include=evidence&limit=500`);
  // Stances by the paragraph of this source that attests them (a stance may cite several).
  const byParagraph = new Map();
  for (const st of page.items) {
    const here = (st.evidence || []).filter((e) => e.source && e.source.iri === src.iri);
    const paragraphs = here.length ? [...new Set(here.map((e) => e.paragraph))] : [null];
    for (const p of paragraphs) {
      if (!byParagraph.has(p)) byParagraph.set(p, []);
      byParagraph.get(p).push({ st, quotes: here.filter((e) => e.paragraph === p && e.quote) });
    }
  }
  const order = [...byParagraph.keys()].sort((a, b) => (a ?? Infinity) - (b ?? Infinity));
  const facts = dl([
    ['Publisher', src.publisher ? refLink(src.publisher.iri, src.publisher.label) : null],
    ['Published', src.published ? shortDate(src.published) : null],
    ['Language', src.language || null],
    ['Type', src.type ? camelWords(src.type) : null],
    ['Link', src.url ? externalLink(src.url, src.url) : null],
    ['Stances', String(page.total)],
  ]);
  return {
    title: src.title,
    body: [
      h('h1', { tabindex: '-1' }, src.title),
      src.description ? h('p', { class: 'lede' }, src.description) : null,
      facts,
      section('Stances by paragraph', order.map((p) => h('section', { class: 'paragraph-group', 'aria-label': p == null ? 'No paragraph given' : `Paragraph ${p}` },
        h('h3', null, p == null ? 'No paragraph given' : `Paragraph ${p}`),
        h('ul', { class: 'plain-list' }, byParagraph.get(p).map(({ st, quotes }) => h('li', null,
          polarityBadge(st.polarity.key, st.polarity.label), ' ', refLink(st.iri, st.label),
          h('span', { class: 'muted small' }, ` — ${st.holder.label}`),
          quotes.map((e) => h('blockquote', { class: 'quote' }, `“${e.quote}”`)))))))),
    ],
  };
}

// ------------------------------------------------------------------ router

const ROUTES = [
  [/^\/$/, 'overview', (m, p) => overviewView(p)],
  [/^\/actor\/([^/]+)$/, 'overview', (m) => actorView(m[1])],
  [/^\/proposition\/([^/]+)$/, 'overview', (m) => propositionView(m[1])],
  [/^\/stance\/([^/]+)$/, 'overview', (m) => stanceView(m[1])],
  [/^\/guarantors$/, 'guarantors', () => guarantorsView()],
  [/^\/conditions$/, 'conditions', () => conditionsView()],
  [/^\/query$/, 'query', (m, p) => queryView(p)],
  [/^\/source\/([^/]+)$/, 'overview', (m) => sourceView(m[1])],
  [/^\/search$/, 'search', (m, p) => searchView(p)],
  [/^\/code$/, 'code', () => codeIndexView(workbenchDeps())],
  [/^\/code\/([^/]+)$/, 'code', (m) => workbenchView(m[1], workbenchDeps())],
];

/** What the workbench (workbench.js) uses from here. */
function workbenchDeps() {
  return { h, select, section, polarityBadge, announce, go, ViewError, invalidate: () => jsonCache.clear() };
}

let rendered = null;
let renderCount = 0;

function parseHash(hash) {
  const raw = hash.replace(/^#/, '') || '/';
  if (!raw.startsWith('/')) return null;
  const i = raw.indexOf('?');
  let path = i < 0 ? raw : raw.slice(0, i);
  try {
    path = path.split('/').map(decodeURIComponent).join('/');
  } catch {
    path = '/\u0000';
  }
  return { path: path.length > 1 ? path.replace(/\/+$/, '') : path, params: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
}

function go(hash, { focus = true, replace = false } = {}) {
  if (replace) history.replaceState(null, '', hash);
  else history.pushState(null, '', hash);
  render({ focus });
}

async function render({ focus = true } = {}) {
  const route = parseHash(location.hash);
  if (!route) return; // an in-page anchor, not a route
  rendered = location.hash;
  navController.abort();
  navController = new AbortController();
  const mine = ++renderCount;
  const view = document.getElementById('view');
  let match = null;
  let entry = null;
  for (const r of ROUTES) {
    match = r[0].exec(route.path);
    if (match) { entry = r; break; }
  }
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (entry && a.dataset.nav === entry[1] && (entry[1] !== 'overview' || route.path === '/')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  view.setAttribute('aria-busy', 'true');
  const loading = setTimeout(() => {
    if (mine === renderCount) view.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  }, 120);
  let result;
  try {
    if (!entry) throw new ViewError(404, `There is no page at “${route.path}”.`);
    result = await entry[2](match, route.params);
  } catch (err) {
    if (mine !== renderCount || err?.name === 'AbortError') return;
    const notFound = err instanceof ViewError && err.status === 404;
    result = {
      title: notFound ? 'Not found' : 'Error',
      body: [h('h1', { tabindex: '-1' }, notFound ? 'Not found' : 'Something went wrong'),
        notFound ? h('p', { class: 'lede' }, err.message) : errorBox(err, 'Could not load this page'),
        h('p', null, h('a', { href: '#/' }, 'Back to the overview'))],
    };
  } finally {
    clearTimeout(loading);
  }
  if (mine !== renderCount) return;
  view.replaceChildren(...result.body.flat(Infinity).filter(Boolean));
  view.removeAttribute('aria-busy');
  document.title = `${result.title} — stancegraph`;
  if (typeof focus === 'string') {
    view.querySelector(focus)?.focus();
  } else if (focus) {
    view.querySelector('h1')?.focus();
    window.scrollTo(0, 0);
  }
  announce(`${result.title} loaded`);
}

function onLocationChange() {
  if (location.hash === rendered) return;
  render({ focus: true });
}

window.addEventListener('hashchange', onLocationChange);
// The overview draws differently on narrow screens: redraw when the width crosses over.
NARROW.addEventListener('change', () => {
  if (document.querySelector('svg.network')) render({ focus: false });
});
window.addEventListener('popstate', onLocationChange);
document.querySelector('[data-search]')?.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const q = ev.target.elements.q.value.trim();
  if (q) go(`#/search?q=${encodeURIComponent(q)}`);
});
document.querySelector('[data-skip]')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  const main = document.getElementById('main');
  main.focus();
  main.scrollIntoView();
});
render({ focus: false });
