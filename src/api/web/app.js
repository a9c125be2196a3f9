/**
 * Switchyard status page (served by the daemon at /, see serve.ts). Plain browser JavaScript, no framework, no build.
 *
 * - Token: asked once, kept in sessionStorage (this tab only, gone when it closes); every request sends it as
 *   `Authorization: Bearer`. A 401 forgets it and asks again.
 * - Live: /v1/stream?auth=message, the token in the first message `{"op":"auth","token":…}` (browsers cannot set
 *   headers on a WebSocket, and a token in a URL ends up in logs); a daemon that refuses that upgrade (one without
 *   first-message auth) is asked again with `?token=`. On a drop it reconnects with `since=` the last seq seen (the
 *   daemon replays what was missed, or sends a RESYNC with the open orders).
 * - Polled: /health (2 s), /metrics (5 s: submit-to-ack percentiles, market-data age, breaker and rate-limit gauges),
 *   /v1/positions (3 s and after fills), the selected symbol's /v1/books (1 s) and /v1/routes (5 s).
 * - Bounded: at most MAX_FINISHED finished orders, MAX_FILLS fills and SPARK_POINTS latency points per venue are
 *   kept. Rendering is coalesced to one frame, and only the panels whose data changed are redrawn.
 * Every value from the daemon goes into the page as text (textContent), never as HTML.
 */

const TOKEN_KEY = 'switchyard.token';
const OPEN_STATES = new Set(['CREATED', 'SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'TRIGGERED', 'PENDING_UPDATE']);
const MAX_OPEN = 2000;
const MAX_FINISHED = 100;
const MAX_FILLS = 50;
const LATENCY_WINDOW = 12; // metrics scrapes (5 s apart): one minute
const SPARK_POINTS = 60;
/** The stream's close codes (src/api/stream-socket.ts, event-stream.ts). */
const AUTH_FAILED_CLOSE_CODE = 4001;
const BAD_QUERY_CLOSE_CODE = 1008;

const $ = (id) => document.getElementById(id);

const s = {
  token: sessionStorage.getItem(TOKEN_KEY),
  running: false,
  timers: [],
  /** orderId -> order view (the API's shape; events update state, filledQty, venue, reason) */
  orders: new Map(),
  /** finished order ids, oldest first (bounded) */
  finished: [],
  fetching: new Set(),
  fills: [],
  positions: [],
  health: null,
  /** recent metrics scrapes: { at, ack: Map(venue -> [[le, count]]), age: Map(venue -> s), gauges: Map(venue -> [text]) } */
  scrapes: [],
  spark: new Map(),
  symbols: new Set(),
  symbol: null,
  book: null,
  routes: null,
  ws: null,
  wsMode: 'message',
  wsOpened: false,
  lastSeq: null,
  retryMs: 1000,
  /** panels to redraw on the next frame (render's keys) */
  dirty: new Set(),
  positionsTimer: null,
};

// ---------- HTTP ----------

class Unauthorized extends Error {}

async function api(path, init = {}) {
  const headers = { authorization: `Bearer ${s.token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) };
  const res = await fetch(path, { ...init, headers, cache: 'no-store' });
  if (res.status === 401) throw new Unauthorized('the daemon refused the token');
  const type = res.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    const e = new Error(body?.error?.message ?? `HTTP ${res.status}`);
    e.status = res.status;
    e.body = body;
    throw e;
  }
  return body;
}

/** Runs a poll; a 401 sends the operator back to the token form, other errors show as a notice. */
async function guarded(what, fn) {
  if (!s.running) return;
  try {
    await fn();
    if ($('notice').dataset.from === what) notice('', what);
  } catch (err) {
    if (!s.running) return;
    if (err instanceof Unauthorized) return logout('The daemon refused the token.');
    notice(`${what}: ${err.message}`, what);
  }
}

function notice(text, from) {
  const n = $('notice');
  if (text === '' && n.dataset.from !== from) return;
  n.textContent = text;
  n.dataset.from = text === '' ? '' : from;
}

// ---------- token ----------

function showLogin(message) {
  $('main').hidden = true;
  $('login').hidden = false;
  $('logout').hidden = true;
  $('kill').disabled = true;
  $('login-error').textContent = message ?? '';
  $('token').focus();
}

function logout(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  s.token = null;
  stop();
  showLogin(message);
}

$('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const token = $('token').value.trim();
  s.token = token;
  try {
    await api('/v1/admin/state');
  } catch (err) {
    // any answer but 401 means the token was taken
    if (err instanceof Unauthorized || err.status === undefined) {
      s.token = null;
      $('login-error').textContent = err instanceof Unauthorized ? 'The daemon refused this token.' : `Cannot reach the daemon: ${err.message}`;
      return;
    }
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('token').value = '';
  start();
});

$('logout').addEventListener('click', () => logout());

// ---------- start / stop ----------

function start() {
  $('login').hidden = true;
  $('main').hidden = false;
  $('logout').hidden = false;
  $('kill').disabled = false;
  s.running = true;
  s.wsMode = 'message';
  connectStream();
  void guarded('orders', loadOrders);
  void guarded('fills', loadFills);
  const every = (ms, what, fn) => {
    void guarded(what, fn);
    s.timers.push(setInterval(() => void guarded(what, fn), ms));
  };
  every(2000, 'health', loadHealth);
  every(5000, 'metrics', loadMetrics);
  every(3000, 'positions', loadPositions);
  every(1000, 'book', loadBook);
  every(5000, 'routes', loadRoutes);
}

function stop() {
  s.running = false;
  clearTimeout(s.positionsTimer);
  for (const t of s.timers) clearInterval(t);
  s.timers = [];
  if (s.ws !== null) {
    const ws = s.ws;
    s.ws = null;
    ws.close();
  }
  s.orders.clear();
  s.finished = [];
  s.fills = [];
  s.lastSeq = null;
}

// ---------- orders and fills ----------

function isOpen(o) {
  return OPEN_STATES.has(o.state);
}

function putOrder(o) {
  const had = s.orders.get(o.orderId);
  // a view read before the last event applied (a list or lookup answered late) does not take its state back
  const stale = had !== undefined && (had.updatedAt ?? 0) > (o.updatedAt ?? 0);
  s.orders.set(o.orderId, had === undefined ? o
    : stale ? { ...had, ...o, state: had.state, filledQty: had.filledQty, reason: had.reason, updatedAt: had.updatedAt } : { ...had, ...o });
  if (o.symbol) s.symbols.add(o.symbol);
  if (!isOpen(o) && (had === undefined || isOpen(had))) finish(o.orderId);
  schedule('orders');
}

function finish(id) {
  s.finished.push(id);
  while (s.finished.length > MAX_FINISHED) s.orders.delete(s.finished.shift());
}

async function loadOrders() {
  const r = await api(`/v1/orders?state=open&limit=1000`);
  for (const o of r.orders) putOrder(o);
}

async function loadFills() {
  let r;
  try {
    r = await api(`/v1/fills?from=${Date.now() - 3_600_000}&limit=1000`);
  } catch (err) {
    if (err.status === 404) return; // no trade history in this daemon: fills come from the stream only
    throw err;
  }
  const seen = new Set(s.fills.map((f) => f.tradeId + f.venue));
  const older = r.fills.filter((f) => !seen.has(f.tradeId + f.venue)).reverse();
  s.fills = [...s.fills, ...older].sort((a, b) => b.ts - a.ts).slice(0, MAX_FILLS);
  schedule('fills');
}

/** The full view of an order the page first hears of from an event (price, quantity and type are not in events). */
async function fetchOrder(id) {
  if (s.fetching.has(id) || s.fetching.size > 100) return;
  s.fetching.add(id);
  try {
    putOrder(await api(`/v1/orders/${id}?by=id`)); // an order id (a client order id of the same digits is another order)
  } catch (err) {
    if (err instanceof Unauthorized) logout('The daemon refused the token.');
  } finally {
    s.fetching.delete(id);
  }
}

function onEvent(e) {
  s.lastSeq = e.seq;
  const had = s.orders.get(e.orderId);
  putOrder({
    orderId: e.orderId, clientOrderId: e.clientOrderId, strategy: e.strategy, symbol: e.symbol, side: e.side,
    venue: e.venue, state: e.state, filledQty: e.filledQty, reason: e.reason, updatedAt: e.ts,
    ...(had === undefined ? { createdAt: e.ts } : {}),
  });
  if (had === undefined || had.quantity === undefined) void fetchOrder(e.orderId);
  else if (e.fill !== undefined) void fetchOrder(e.orderId); // its average price
  if (e.fill !== undefined) {
    s.fills.unshift({ ts: e.ts, orderId: e.orderId, strategy: e.strategy, symbol: e.symbol, side: e.side, venue: e.venue, ...e.fill });
    if (s.fills.length > MAX_FILLS) s.fills.length = MAX_FILLS;
    schedule('fills');
    clearTimeout(s.positionsTimer);
    s.positionsTimer = setTimeout(() => void guarded('positions', loadPositions), 300);
  }
}

// ---------- the event stream ----------

function connectStream() {
  if (!s.running) return;
  const base = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/stream`;
  const q = new URLSearchParams();
  if (s.lastSeq !== null) q.set('since', String(s.lastSeq));
  if (s.wsMode === 'query') q.set('token', s.token);
  else q.set('auth', 'message');
  const qs = q.toString();
  const ws = new WebSocket(qs === '' ? base : `${base}?${qs}`);
  s.ws = ws;
  s.wsOpened = false;
  streamStatus('connecting', 'warn');
  ws.onopen = () => {
    s.wsOpened = true;
    if (s.wsMode === 'message') ws.send(JSON.stringify({ op: 'auth', token: s.token }));
  };
  ws.onmessage = (m) => {
    let msg;
    try {
      msg = JSON.parse(m.data);
    } catch {
      return;
    }
    if (msg.type === 'hello') {
      s.retryMs = 1000;
      streamStatus('live', 'ok');
      if (s.lastSeq === null) s.lastSeq = msg.seq;
    } else if (msg.type === 'event') {
      onEvent(msg);
    } else if (msg.type === 'resync') {
      // events were missed and cannot be replayed: the open orders now, then live events
      for (const [id, o] of s.orders) if (isOpen(o) && !msg.orders.some((r) => r.orderId === id)) void fetchOrder(id);
      for (const o of msg.orders) putOrder(o);
      s.lastSeq = msg.seq;
    }
  };
  ws.onclose = (ev) => {
    if (s.ws !== ws) return; // replaced or stopped
    s.ws = null;
    if (!s.running) return;
    if (!s.wsOpened && s.wsMode === 'message') {
      // the upgrade was refused: a daemon without first-message auth takes the token as a query parameter
      s.wsMode = 'query';
      connectStream();
      return;
    }
    // not even that: the daemon is down or restarting; try the first-message way first again next time
    if (!s.wsOpened) s.wsMode = 'message';
    if (ev.code === AUTH_FAILED_CLOSE_CODE) {
      streamStatus('refused', 'bad');
      return logout('The event stream refused the token.');
    }
    if (ev.code === BAD_QUERY_CLOSE_CODE) s.lastSeq = null; // a since the daemon cannot take: start afresh
    streamStatus(`reconnecting (${ev.code})`, 'bad');
    setTimeout(connectStream, s.retryMs);
    s.retryMs = Math.min(s.retryMs * 2, 10_000);
  };
}

function streamStatus(text, cls) {
  const b = $('stream-status');
  b.textContent = `stream: ${text}`;
  b.className = `badge ${cls}`;
}

// ---------- health, metrics ----------

async function loadHealth() {
  const r = await fetch('/health', { cache: 'no-store' });
  s.health = await r.json();
  schedule('header', 'venues');
}

/** Prometheus text: [{ name, labels, value }] (comments skipped). */
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

async function loadMetrics() {
  const samples = parseMetrics(await api('/metrics'));
  const ack = new Map();
  const age = new Map();
  const gauges = new Map();
  for (const x of samples) {
    const v = x.labels.venue;
    if (v === undefined) continue;
    if (x.name === 'switchyard_submit_to_ack_seconds_bucket') {
      if (!ack.has(v)) ack.set(v, []);
      ack.get(v).push([x.labels.le === '+Inf' ? Infinity : Number(x.labels.le), x.value]);
    } else if (x.name === 'switchyard_market_book_age_seconds') {
      if (x.labels.symbol !== undefined) s.symbols.add(x.labels.symbol);
      const a = x.value < 0 ? Infinity : x.value; // -1: never synced
      age.set(v, Math.max(age.get(v) ?? 0, a));
    } else if (/circuit|breaker|rate_?limit|headroom|in_?flight/.test(x.name) && !/_bucket$|_sum$|_count$/.test(x.name)) {
      if (!gauges.has(v)) gauges.set(v, { breaker: undefined, pools: new Map(), inFlight: undefined, other: [] });
      const g = gauges.get(v);
      if (x.name === 'switchyard_venue_circuit_breaker') {
        if (x.value === 1) g.breaker = x.labels.state;
      } else if (x.name === 'switchyard_venue_rate_limit_remaining' || x.name === 'switchyard_venue_rate_limit_limit') {
        const pool = g.pools.get(x.labels.pool) ?? {};
        pool[x.name.endsWith('_remaining') ? 'remaining' : 'limit'] = x.value;
        g.pools.set(x.labels.pool, pool);
      } else if (x.name === 'switchyard_venue_requests_in_flight') {
        g.inFlight = x.value;
      } else {
        const rest = Object.entries(x.labels).filter(([k]) => k !== 'venue').map(([k, val]) => `${k}=${val}`).join(',');
        g.other.push(`${x.name.replace(/^switchyard_/, '')}${rest === '' ? '' : `{${rest}}`} ${fmtNum(x.value)}`);
      }
    }
  }
  for (const b of ack.values()) b.sort((p, q) => p[0] - q[0]);
  s.scrapes.push({ at: Date.now(), ack, age, gauges });
  if (s.scrapes.length > LATENCY_WINDOW) s.scrapes.shift();
  for (const v of ack.keys()) {
    const p = latency(v);
    const pts = s.spark.get(v) ?? [];
    pts.push(p === null ? null : p.p90);
    if (pts.length > SPARK_POINTS) pts.shift();
    s.spark.set(v, pts);
  }
  fillSymbols();
  schedule('venues');
}

/** Percentile q of cumulative buckets [[le, count]] (linear inside the bucket), in seconds; null when empty. */
function percentile(buckets, q) {
  const total = buckets.length === 0 ? 0 : buckets[buckets.length - 1][1];
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      const inBucket = count - prevCount;
      return inBucket <= 0 ? le : prevLe + (le - prevLe) * ((rank - prevCount) / inBucket);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** A venue's submit-to-ack p50/p90/p99 over the scrapes kept (the last minute), or since start when none in it. */
function latency(venue) {
  const last = s.scrapes[s.scrapes.length - 1]?.ack.get(venue);
  if (last === undefined) return null;
  const first = s.scrapes[0].ack.get(venue);
  let buckets = last;
  let window = 'last minute';
  if (first !== undefined && s.scrapes.length > 1) {
    const delta = last.map(([le, c], i) => [le, c - (first[i]?.[1] ?? 0)]);
    if (delta[delta.length - 1][1] > 0) buckets = delta;
    else window = 'since start';
  } else {
    window = 'since start';
  }
  const n = buckets[buckets.length - 1][1];
  if (n <= 0) return null;
  return { p50: percentile(buckets, 0.5), p90: percentile(buckets, 0.9), p99: percentile(buckets, 0.99), n, window };
}

// ---------- positions, books, routes ----------

async function loadPositions() {
  const r = await api('/v1/positions');
  s.positions = r.positions;
  for (const p of r.positions) s.symbols.add(p.symbol);
  fillSymbols();
  schedule('positions');
}

async function loadBook() {
  if (s.symbol === null) return;
  const sym = s.symbol;
  const r = await api(`/v1/books/${encodeURIComponent(sym)}`);
  if (sym === s.symbol) s.book = r;
  schedule('market');
}

async function loadRoutes() {
  if (s.symbol === null) return;
  const sym = s.symbol;
  const r = await api(`/v1/routes/${encodeURIComponent(sym)}`);
  if (sym === s.symbol) s.routes = r;
  schedule('market');
}

function fillSymbols() {
  const sel = $('symbol');
  const have = new Set([...sel.options].map((o) => o.value));
  for (const sym of [...s.symbols].sort()) {
    if (have.has(sym)) continue;
    sel.append(new Option(sym, sym));
  }
  if (s.symbol === null && sel.options.length > 0) {
    s.symbol = sel.value;
    void guarded('book', loadBook);
    void guarded('routes', loadRoutes);
  }
}

$('symbol').addEventListener('change', () => {
  s.symbol = $('symbol').value;
  s.book = null;
  s.routes = null;
  void guarded('book', loadBook);
  void guarded('routes', loadRoutes);
  schedule('market');
});

// ---------- kill switch, resume, cancel ----------

$('kill').addEventListener('click', async () => {
  const open = [...s.orders.values()].filter(isOpen).length;
  if (!confirm(`Kill switch: halt the daemon and cancel every open order (${open} shown here)?`)) return;
  $('kill').disabled = true;
  notice('Kill switch: halting and canceling every open order…', 'kill');
  try {
    const r = await api('/v1/admin/kill', { method: 'POST', body: '{}' });
    const un = r.unconfirmed?.length ?? 0;
    notice(`Kill switch: daemon ${r.state}; ${r.confirmed} of ${r.orders} open orders confirmed closed in ${Math.round(r.elapsedMs)} ms${un > 0 ? `; ${un} NOT confirmed` : ''}.`, 'kill');
  } catch (err) {
    if (err instanceof Unauthorized) return logout('The daemon refused the token.');
    notice(`Kill switch failed: ${err.message}`, 'kill');
  } finally {
    $('kill').disabled = false;
    void guarded('health', loadHealth);
  }
});

$('resume').addEventListener('click', async () => {
  if (!confirm('Resume trading: set the daemon ACTIVE again?')) return;
  try {
    await api('/v1/admin/state', { method: 'POST', body: JSON.stringify({ scope: 'daemon', state: 'ACTIVE', reason: 'resumed from the status page' }) });
    notice('', 'kill');
  } catch (err) {
    if (err instanceof Unauthorized) return logout('The daemon refused the token.');
    notice(`Resume failed: ${err.message}`, 'resume');
  }
  void guarded('health', loadHealth);
});

async function cancelOrder(id) {
  if (!confirm(`Cancel order ${id}?`)) return;
  await guarded('cancel', async () => putOrder(await api(`/v1/orders/${id}?by=id`, { method: 'DELETE' })));
}

// ---------- rendering (coalesced to one frame) ----------

/** Redraw these panels on the next frame (several changes in one frame are drawn once). */
function schedule(...panels) {
  const first = s.dirty.size === 0;
  for (const p of panels) s.dirty.add(p);
  if (!first || s.dirty.size === 0) return;
  requestAnimationFrame(() => {
    const todo = [...s.dirty];
    s.dirty.clear();
    for (const p of todo) PANELS[p]();
  });
}

/** An element with attributes and children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'onclick') e.addEventListener('click', v);
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

const td = (text, cls) => el('td', { class: cls }, text ?? '');
const num = (text, cls) => el('td', { class: cls === undefined ? 'num' : `num ${cls}` }, text ?? '');
const time = (ms) => (typeof ms === 'number' ? new Date(ms).toISOString().slice(11, 23) : '');
const signCls = (x) => (x === undefined || x === null ? undefined : String(x).startsWith('-') ? 'neg' : Number(x) > 0 ? 'pos' : undefined);

function fmtNum(x) {
  if (!Number.isFinite(x)) return String(x);
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

function fmtSeconds(x) {
  if (x === null || x === undefined) return '–';
  if (x === Infinity) return 'never synced';
  if (x < 1e-3) return `${(x * 1e6).toFixed(0)} µs`;
  if (x < 1) return `${(x * 1e3).toFixed(x < 0.01 ? 2 : 1)} ms`;
  return `${x.toFixed(1)} s`;
}

function fill(tbodyOf, rows, cols, empty) {
  const tbody = $(tbodyOf).tBodies[0];
  if (rows.length === 0) rows = [el('tr', { class: 'empty' }, el('td', { colSpan: cols }, empty))];
  tbody.replaceChildren(...rows);
}

const PANELS = {
  header: () => renderHeader(),
  venues: () => renderVenues(),
  orders: () => renderOrders(),
  fills: () => renderFills(),
  positions: () => renderPositions(),
  market: () => renderMarket(),
};

function renderHeader() {
  const h = s.health;
  if (h === null) return;
  $('daemon-name').textContent = h.name ?? '';
  const st = $('daemon-status');
  st.textContent = `${h.status}${h.accepting === false ? ' · intake closed' : ''}`;
  st.className = `badge ${h.status === 'ok' ? 'ok' : h.status === 'degraded' ? 'warn' : 'bad'}`;
  const notActive = (h.trading ?? []).filter((t) => t.state !== 'ACTIVE');
  $('trading').textContent = notActive.map((t) => `${t.scope}${t.name ? ` ${t.name}` : ''} ${t.state}`).join(' · ');
  $('resume').hidden = !(h.trading ?? []).some((t) => t.scope === 'daemon' && t.state !== 'ACTIVE');
  const extra = [`uptime ${Math.round((h.uptimeMs ?? 0) / 1000)} s`, `open orders ${h.openOrders}`];
  // worker strategies not running well (a failed, restarting or unresponsive one makes the daemon degraded)
  for (const w of h.strategies ?? []) {
    if (w.status === undefined || (w.status === 'running' && w.responsive !== false)) continue;
    const state = w.status === 'running' ? 'UNRESPONSIVE' : w.status.toUpperCase();
    extra.push(`strategy ${w.id} ${state}${typeof w.error === 'string' ? `: ${w.error}` : ''}`);
  }
  if (h.journal) extra.push(`journal ${h.journal.ok === false ? 'FAILED' : `ok (seq ${h.journal.durableSeq ?? h.journal.lastSeq ?? '?'})`}`);
  if (h.stream) extra.push(`stream clients ${h.stream.clients}, slow consumers dropped ${h.stream.slowConsumerDisconnects}`);
  if (h.history) extra.push(`history ${h.history.up ? 'up' : 'DOWN'} (lag ${h.history.lagRecords ?? 0} records)`);
  if (h.redis) {
    // each part of it has its own `up` (the leases show in the venues they close)
    const down = ['events', 'commands'].filter((k) => h.redis[k]?.up === false);
    extra.push(`redis ${down.length === 0 ? 'up' : `DOWN (${down.join(', ')})`}`);
  }
  $('health-extra').textContent = extra.join(' · ');
}

const KNOWN_VENUE_KEYS = new Set(['name', 'available', 'trading', 'reason', 'state', 'lastError', 'startFailures', 'startRetries', 'nextAttemptInMs']);

function renderVenues() {
  const venues = s.health?.venues ?? [];
  const scrape = s.scrapes[s.scrapes.length - 1];
  fill('venues', venues.map((v) => {
    const router = v.trading === false ? el('span', { class: 'badge' }, 'market data only')
      : el('span', { class: `badge ${v.available ? 'ok' : 'bad'}` }, v.available ? 'available' : 'unavailable');
    const why = [v.state, v.reason, v.lastError, v.nextAttemptInMs !== undefined ? `retry in ${Math.round(v.nextAttemptInMs / 1000)} s` : undefined]
      .filter((x) => x !== undefined && x !== null).join(' · ');
    const age = scrape?.age.get(v.name);
    const lat = latency(v.name);
    const details = [
      // what /health says beyond the known fields (circuit breaker, rate limits ... as the daemon reports them)
      ...Object.entries(v).filter(([k]) => !KNOWN_VENUE_KEYS.has(k)).map(([k, x]) => `${k}: ${typeof x === 'object' ? JSON.stringify(x) : x}`),
      ...gaugeText(scrape?.gauges.get(v.name)),
    ];
    const canvas = el('canvas', { class: 'spark', width: 240, height: 48 });
    drawSpark(canvas, s.spark.get(v.name) ?? []);
    return el('tr', { 'data-venue': v.name },
      td(v.name), el('td', {}, router), td(why),
      td(age === undefined ? '–' : age === Infinity ? 'never synced' : age < 1 ? `${Math.round(age * 1000)} ms` : `${age.toFixed(1)} s`, age !== undefined && age > 5 ? 'neg' : undefined),
      el('td', { title: lat === null ? 'no acknowledgements yet' : `${lat.n} orders, ${lat.window}` },
        lat === null ? '–' : `${fmtSeconds(lat.p50)} / ${fmtSeconds(lat.p90)} / ${fmtSeconds(lat.p99)}`),
      el('td', {}, canvas),
      el('td', { class: 'details' }, details.join(' · ')));
  }), 7, 'no venues');
}

/** Breaker state, rate-limit headroom per pool and requests in flight, as the metrics give them. */
function gaugeText(g) {
  if (g === undefined) return [];
  const out = [];
  if (g.breaker !== undefined) out.push(`breaker ${g.breaker}`);
  for (const [pool, p] of g.pools) {
    const pct = p.limit > 0 && p.remaining !== undefined ? ` (${Math.round((p.remaining / p.limit) * 100)} %)` : '';
    out.push(`${pool}: ${p.remaining ?? '?'} of ${p.limit ?? '?'} left${pct}`);
  }
  if (g.inFlight !== undefined) out.push(`${g.inFlight} in flight`);
  return [...out, ...g.other];
}

function drawSpark(canvas, pts) {
  const ctx = canvas.getContext('2d');
  const at = pts.map((p, i) => [i, p]).filter(([, p]) => p !== null);
  if (ctx === null || at.length === 0) return;
  const max = Math.max(...at.map(([, p]) => p)) * 1.1 || 1;
  const w = canvas.width;
  const h = canvas.height;
  const x = (i) => (i / (SPARK_POINTS - 1)) * w;
  const y = (p) => h - 2 - (p / max) * (h - 4);
  ctx.strokeStyle = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() || '#2f5fb3';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(x(at[0][0]), y(at[0][1]));
  for (const [i, p] of at) ctx.lineTo(x(i), y(p));
  if (at.length === 1) ctx.lineTo(x(at[0][0]) + 8, y(at[0][1])); // one point: a short dash
  ctx.stroke();
}

function renderOrders() {
  const all = [...s.orders.values()];
  const open = all.filter(isOpen).sort((a, b) => b.orderId - a.orderId);
  const done = all.filter((o) => !isOpen(o)).sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0));
  if (open.length > MAX_OPEN) notice(`${open.length} open orders: showing the newest ${MAX_OPEN}`, 'orders-bound');
  $('orders-count').textContent = `${open.length} open, ${done.length} recently finished`;
  fill('orders', [...open.slice(0, MAX_OPEN), ...done].map((o) => el('tr', { 'data-order-id': String(o.orderId), class: isOpen(o) ? undefined : 'finished' },
    td(o.orderId), td(time(o.createdAt)), td(o.strategy), td(o.symbol), td(o.side, o.side),
    td(o.type ?? ''), num(o.price ?? (o.type === 'MARKET' ? 'market' : '')), num(o.quantity), num(o.filledQty), num(o.avgPrice),
    td(o.venue ?? ''),
    el('td', { 'data-field': 'state', title: o.reason ?? '' }, el('span', { class: `state ${o.state}` }, o.state)),
    el('td', {}, isOpen(o) && o.state !== 'PENDING_CANCEL'
      ? el('button', { type: 'button', class: 'small', onclick: () => void cancelOrder(o.orderId) }, 'cancel') : ''),
  )), 13, 'no open orders');
}

function renderFills() {
  fill('fills', s.fills.map((f) => el('tr', { 'data-order-id': String(f.orderId) },
    td(time(f.ts)), td(f.orderId), td(f.strategy), td(f.symbol), td(f.side, f.side), num(f.price), num(f.qty),
    num(`${f.fee} ${f.feeCurrency}${f.feeEstimated ? ' (est.)' : ''}`), td(f.liquidity), td(f.venue))), 10, 'no fills yet');
}

/** `sum` ({units: BigInt, scale}) plus a decimal text the daemon wrote ("-12.3400"), exactly, at the longer scale. */
function addDecimal(sum, text) {
  const neg = text.startsWith('-');
  const [whole, frac = ''] = (neg ? text.slice(1) : text).split('.');
  const scale = Math.max(sum.scale, frac.length);
  const units = BigInt(whole + frac.padEnd(scale, '0'));
  return { units: sum.units * 10n ** BigInt(scale - sum.scale) + (neg ? -units : units), scale };
}

function decimalText({ units, scale }) {
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return units < 0n ? `-${text}` : text;
}

function renderPositions() {
  // exact decimals, never floats; a row without a net PnL (no mark) is named, not taken as 0
  const totals = new Map();
  for (const p of s.positions) {
    const t = totals.get(p.quote) ?? { sum: { units: 0n, scale: 0 }, unknown: 0 };
    if (typeof p.netPnl === 'string') t.sum = addDecimal(t.sum, p.netPnl);
    else t.unknown++;
    totals.set(p.quote, t);
  }
  $('pnl-total').textContent = [...totals].map(([q, t]) => `net ${decimalText(t.sum)} ${q}${
    t.unknown === 0 ? '' : ` (${t.unknown} position${t.unknown === 1 ? '' : 's'} without a mark: not counted)`}`).join(' · ');
  fill('positions', s.positions.map((p) => el('tr', {},
    td(p.strategy), td(p.symbol), td(p.venue), num(p.quantity, signCls(p.quantity)), num(p.averageCost), num(p.mark),
    num(p.realisedPnl, signCls(p.realisedPnl)), num(p.unrealisedPnl, signCls(p.unrealisedPnl)),
    num(Object.entries(p.fees ?? {}).map(([c, a]) => `${a} ${c}`).join(', ')), num(p.netPnl, signCls(p.netPnl)))), 10, 'no positions');
}

function renderMarket() {
  const r = s.routes;
  if (r !== null) {
    const venues = Object.keys({ ...r.slots, ...(r.weights ?? {}) });
    fill('routes', venues.map((v) => {
      const slots = r.slots[v] ?? 0;
      const share = r.total > 0 ? slots / r.total : 0;
      return el('tr', {}, td(v), num(r.weights?.[v] ?? ''), num(`${slots} / ${r.total}`),
        el('td', {}, el('span', { class: 'bar', style: `width:${Math.round(share * 120)}px` }), ` ${(share * 100).toFixed(1)} %`));
    }), 4, 'no routes');
  }
  const b = s.book;
  if (b === null) return;
  fill('book-venues', b.venues.map((v) => el('tr', {},
    td(v.venue), el('td', {}, el('span', { class: `badge ${v.usable ? 'ok' : 'bad'}` }, v.status)), num(v.ageMs === undefined ? '' : `${v.ageMs} ms`),
    num(v.bids[0]?.[0]), num(v.asks[0]?.[0]))), 5, 'no venue books');
  const bids = b.consolidated.bids.slice(0, 10);
  const asks = b.consolidated.asks.slice(0, 10);
  const rows = [];
  for (let i = 0; i < Math.max(bids.length, asks.length); i++) {
    const bid = bids[i];
    const ask = asks[i];
    rows.push(el('tr', {},
      td(bid?.venue), num(bid?.qty), el('td', { class: 'num BUY', title: bid ? `fee-adjusted ${bid.feeAdjustedPrice}` : '' }, bid?.price ?? ''),
      el('td', { class: 'num SELL', title: ask ? `fee-adjusted ${ask.feeAdjustedPrice}` : '' }, ask?.price ?? ''), num(ask?.qty), td(ask?.venue)));
  }
  fill('book', rows, 6, 'empty book');
}

// ---------- go ----------

if (s.token === null) showLogin();
else start();
