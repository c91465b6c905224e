// observability: an orders service that nobody can see into. Its /metrics (on ADMIN_ADDR)
// shows the Go runtime and nothing about the requests it serves, and the trace a client
// started ends at its door: the call it makes to the inventory service carries no traceparent.
//
// The inventory service is the checker's own (core/http/upstream.ts), on UPSTREAM: it answers
// POST /reserve at once for most items, after SLOW_MS for "slow-*" items, and 503 for "fail-*"
// items (the orders service then answers 502). It records the traceparent of every call.
//
// The contract the lesson states:
//   http_requests_total{route, method, code}    counter, one sample per request answered
//   http_request_duration_seconds{route, method} histogram (_bucket{le}, _sum, _count), in seconds
//   route is the ServeMux pattern's path ("/orders/{id}"), never the raw path; other labels
//   are allowed (they are summed over, as PromQL's sum by (...) does).
//
// Scenario 1 sends a known mix on 4 keep-alive connections: 37 GET /orders, GET /orders/{id}
// for 50 distinct ids (45 found, 5 missing), 12 paths no route matches, 3 DELETEs the mux
// refuses (405), 17 POST /orders (10 ok, 4 slow, 3 refused by the inventory). It scrapes
// /metrics before and after (until two scrapes agree) and judges the difference:
//   - responses-correct:   the service still answers as before (200/404/201/502/405, 17 /reserve calls)
//   - requests-counted:    the counter's increase by (route, method, code) is EXACTLY what the
//                          checker received, and its total equals every request answered
//   - latency-histogram:   a histogram per (route, method) whose _count increase equals the requests,
//                          le="+Inf" == _count, cumulative buckets, at least one bucket under and one
//                          over SLOW_MS; the 4 slow orders (>= SLOW_MS each, a floor no machine
//                          can beat) are in no bucket under it and in _sum
//   - route-cardinality:   at most MAX_ROUTES distinct route values after 50 ids and 12 scanned
//                          paths, and none of them is a raw path the checker sent
// Scenario 2 sends 13 POST /orders and reads what the inventory service received:
//   - trace-propagated:    6 with a valid traceparent: the call carries the same trace-id, a new
//                          non-zero parent-id (a different one per request) and the sampled flag
//   - trace-started:       3 without one and 4 with an invalid one (all-zero trace-id, all-zero
//                          parent-id, version ff, garbage): the call carries a valid traceparent
//                          of a new trace (non-zero, a different trace-id per request)
import { createHash } from 'node:crypto';
import { Upstream, type UpstreamReply, type UpstreamRequest } from './core/http/upstream.js';
import type { RequestSpec } from './core/http/conn.js';
import { variedLoad, type VariedLoadResult } from './core/load/varied.js';
import { freePort, sleep } from './core/net.js';
import {
  fmtLe,
  histogramProblems,
  histogramsBy,
  labelKey,
  scrape,
  sumBy,
  type Exposition,
  type HistogramSeries,
  type MetricFamily,
  type Scrape,
} from './core/prometheus.js';
import { defineChecker, scenario, type ScenarioContext } from './core/spec.js';

const COUNTER = 'http_requests_total';
const HISTOGRAM = 'http_request_duration_seconds';

/** labs/observability/orders.go seeds orders 1..100 */
const LIST_REQUESTS = 37;
const FOUND_IDS = Array.from({ length: 45 }, (_, i) => i + 1);
const MISSING_IDS = [9001, 9002, 9003, 9004, 9005];
/** what a vulnerability scanner asks for: no route matches, the mux answers 404 */
const UNMATCHED_PATHS = [
  '/wp-login.php',
  '/.env',
  '/.git/config',
  '/admin',
  '/phpmyadmin/index.php',
  '/orders/17/items',
  '/orders.json',
  '/api/v1/orders',
  '/robots.txt',
  '/favicon.ico',
  '/static/app.js',
  '/server-status',
];
/** DELETE /orders/{id} is not a route: the mux answers 405 */
const NOT_ALLOWED = 3;
const OK_ORDERS = 10;
const SLOW_ORDERS = 4;
const FAILED_ORDERS = 3;
/** how long the inventory service takes for a "slow-*" item */
const SLOW_MS = 500;
/** a slow order is at least this long in any honest histogram (timers may fire a hair early) */
const SLOW_FLOOR_S = 0.45;
/** a _sum above this many seconds for the POSTs is in the wrong unit (ms, ns) */
const MAX_POST_SUM_S = 60;
const MAX_ROUTES = 8;
const CONNECTIONS = 4;

type RouteKey = '/orders' | '/orders/{id}';

interface Planned {
  spec: RequestSpec;
  /** the template the request must be counted under; null when no route matches */
  route: RouteKey | null;
  /** the status the service answers (before any change) */
  expect: number;
  label: string;
}

const order = (item: string): RequestSpec => ({
  method: 'POST',
  path: '/orders',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ item, qty: 1 }),
});

/** The mix, slow orders first (one per connection: they overlap), the rest interleaved. */
function plan(): Planned[] {
  const slow: Planned[] = Array.from({ length: SLOW_ORDERS }, (_, i) => ({ spec: order(`slow-${i + 1}`), route: '/orders', expect: 201, label: 'POST /orders (slow inventory)' }));
  const rest: Planned[][] = [
    Array.from({ length: LIST_REQUESTS }, () => ({ spec: { path: '/orders' }, route: '/orders' as const, expect: 200, label: 'GET /orders' })),
    FOUND_IDS.map((id) => ({ spec: { path: `/orders/${id}` }, route: '/orders/{id}' as const, expect: 200, label: 'GET /orders/{id}, found' })),
    MISSING_IDS.map((id) => ({ spec: { path: `/orders/${id}` }, route: '/orders/{id}' as const, expect: 404, label: 'GET /orders/{id}, missing' })),
    UNMATCHED_PATHS.map((path) => ({ spec: { path }, route: null, expect: 404, label: 'GET of an unknown path' })),
    Array.from({ length: NOT_ALLOWED }, () => ({ spec: { method: 'DELETE', path: '/orders/3' }, route: null, expect: 405, label: 'DELETE /orders/3' })),
    Array.from({ length: OK_ORDERS }, (_, i) => ({ spec: order(`ok-${i + 1}`), route: '/orders' as const, expect: 201, label: 'POST /orders' })),
    Array.from({ length: FAILED_ORDERS }, (_, i) => ({ spec: order(`fail-${i + 1}`), route: '/orders' as const, expect: 502, label: 'POST /orders (inventory 503)' })),
  ];
  const out = [...slow];
  for (let i = 0; rest.some((l) => i < l.length); i++) for (const l of rest) if (i < l.length) out.push(l[i]!);
  return out;
}

// ---- the inventory service ---------------------------------------------------------------------

interface Inventory {
  upstream: Upstream;
  /** item -> the trace headers of the /reserve call that carried it */
  calls: Map<string, { traceparent: string[]; tracestate?: string }>;
  reserves: number;
}

/** Upstreams by check (tmpDir): started by prepare, so UPSTREAM is known before the server starts. */
const inventories = new Map<string, Inventory>();

function itemOf(req: UpstreamRequest): string | undefined {
  try {
    const item = (JSON.parse(req.body.toString('utf8')) as { item?: unknown }).item;
    return typeof item === 'string' ? item : undefined;
  } catch {
    return undefined;
  }
}

async function startInventory(tmpDir: string): Promise<Inventory> {
  const inv: Inventory = { calls: new Map(), reserves: 0, upstream: undefined as unknown as Upstream };
  inv.upstream = await Upstream.start({
    port: await freePort(),
    keep: 1,
    handle: (req): UpstreamReply | Promise<UpstreamReply> => {
      if (req.method !== 'POST' || req.path !== '/reserve') return { status: 404, body: 'not found\n' };
      inv.reserves++;
      const item = itemOf(req) ?? '';
      const tp = req.headers['traceparent'];
      inv.calls.set(item, { traceparent: tp === undefined ? [] : tp.split(/\s*,\s*/), tracestate: req.headers['tracestate'] });
      const ok: UpstreamReply = { status: 200, headers: { 'Content-Type': 'application/json' }, body: `{"reserved":true,"item":${JSON.stringify(item)}}\n` };
      if (item.startsWith('fail-')) return { status: 503, headers: { 'Content-Type': 'text/plain' }, body: 'out of stock service\n' };
      if (item.startsWith('slow-')) return new Promise((resolvePromise) => setTimeout(() => resolvePromise(ok), SLOW_MS));
      return ok;
    },
  });
  inventories.set(tmpDir, inv);
  // Closed by the last scenario; this catches a check that never got that far (the server did not start).
  setTimeout(() => void closeInventory(tmpDir), 120_000).unref();
  return inv;
}

async function closeInventory(tmpDir: string): Promise<void> {
  const inv = inventories.get(tmpDir);
  inventories.delete(tmpDir);
  await inv?.upstream.close();
}

function inventoryOf(ctx: ScenarioContext): Inventory {
  const inv = inventories.get(ctx.tmpDir);
  if (!inv) throw new Error('the inventory service is not running');
  return inv;
}

// ---- reading /metrics ---------------------------------------------------------------------------

/** "GET /orders/{id}" and "/orders/{id}" name the same route: the method has its own label. */
const normRoute = (r: string) => r.replace(/^[A-Z]+\s+/, '');
const normMethod = (m: string) => m.toUpperCase();
const isAdminRoute = (r: string) => /^\/(metrics|debug\/)/.test(normRoute(r));

/** Scrapes until two consecutive scrapes show the same http_* samples (a response can reach the
 * checker a moment before the middleware that counted it returns). */
async function settledScrape(ctx: ScenarioContext): Promise<Scrape> {
  const port = ctx.server.adminPort!;
  let prev = await scrape(ctx.server.host, port);
  for (let i = 0; i < 10 && !ctx.signal.aborted; i++) {
    await sleep(60, ctx.signal);
    const next = await scrape(ctx.server.host, port);
    if (fingerprint(next.exposition) === fingerprint(prev.exposition)) return next;
    prev = next;
  }
  return prev;
}

function fingerprint(e: Exposition): string {
  return [COUNTER, HISTOGRAM].map((n) => JSON.stringify(e.families.get(n)?.samples ?? [])).join('|');
}

interface CountRow {
  route: string;
  method: string;
  code: string;
  value: number;
}

/** The counter's increase by (route, method, code), other labels summed over. */
function counterDelta(before: Exposition, after: Exposition): CountRow[] {
  const by = ['route', 'method', 'code'];
  const b = sumBy(before.families.get(COUNTER), by);
  const rows = new Map<string, CountRow>();
  for (const [key, s] of sumBy(after.families.get(COUNTER), by)) {
    const value = s.value - (b.get(key)?.value ?? 0);
    if (value === 0) continue;
    const row = { route: normRoute(s.labels.route!), method: normMethod(s.labels.method!), code: s.labels.code!, value };
    const k = `${row.route} ${row.method} ${row.code}`;
    const cur = rows.get(k);
    if (cur) cur.value += value;
    else rows.set(k, row);
  }
  return [...rows.values()];
}

/** Histograms by (route, method) with the increase since `before`. */
function histogramDelta(before: Exposition, after: Exposition): Map<string, { labels: { route: string; method: string }; after: HistogramSeries; delta: HistogramSeries }> {
  const by = ['route', 'method'];
  const norm = (m: Map<string, HistogramSeries>) => {
    const out = new Map<string, HistogramSeries>();
    for (const h of m.values()) {
      const labels = { route: normRoute(h.labels.route ?? ''), method: normMethod(h.labels.method ?? '') };
      const k = labelKey(labels);
      const cur = out.get(k);
      if (!cur) out.set(k, { ...h, labels, buckets: h.buckets.map((x) => ({ ...x })) });
      else {
        cur.sum += h.sum;
        cur.count += h.count;
        for (const x of h.buckets) {
          const same = cur.buckets.find((y) => y.le === x.le);
          if (same) same.count += x.count;
          else cur.buckets.push({ ...x });
        }
        cur.buckets.sort((p, q) => p.le - q.le);
      }
    }
    return out;
  };
  const b = norm(histogramsBy(before.families.get(HISTOGRAM), by));
  const out = new Map<string, { labels: { route: string; method: string }; after: HistogramSeries; delta: HistogramSeries }>();
  for (const [k, a] of norm(histogramsBy(after.families.get(HISTOGRAM), by))) {
    const p = b.get(k);
    const delta: HistogramSeries = {
      labels: a.labels,
      sum: a.sum - (p?.sum ?? 0),
      count: a.count - (p?.count ?? 0),
      buckets: a.buckets.map((x) => ({ le: x.le, count: x.count - (p?.buckets.find((y) => y.le === x.le)?.count ?? 0) })),
      problems: [],
    };
    out.set(k, { labels: a.labels as { route: string; method: string }, after: a, delta });
  }
  return out;
}

/** Labels that every sample of the family must carry. */
function missingLabels(f: MetricFamily | undefined, names: string[]): string[] {
  const missing = new Set<string>();
  for (const s of f?.samples ?? []) for (const n of names) if (!(n in s.labels)) missing.add(n);
  return [...missing];
}

// ---- scenario 1: the mix ----------------------------------------------------------------------

interface MixMeasurement {
  before: Scrape;
  after: Scrape;
  load: VariedLoadResult;
  planned: Planned[];
  /** status per planned request (undefined: no answer) */
  statuses: (number | undefined)[];
  reserves: number;
  counted: CountRow[];
  histograms: ReturnType<typeof histogramDelta>;
  /** distinct route label values of the counter after the mix (normalised) */
  routes: string[];
}

/** What the checker received, by (route, method, code), for the requests that match a route. */
function observedRows(m: MixMeasurement): CountRow[] {
  const rows = new Map<string, CountRow>();
  m.planned.forEach((p, i) => {
    const st = m.statuses[i];
    if (st === undefined || p.route === null) return;
    const row = { route: p.route, method: p.spec.method ?? 'GET', code: String(st), value: 0 };
    const k = `${row.route} ${row.method} ${row.code}`;
    (rows.get(k) ?? rows.set(k, row).get(k)!).value++;
  });
  return [...rows.values()].sort((a, b) => `${a.route} ${a.method} ${a.code}`.localeCompare(`${b.route} ${b.method} ${b.code}`));
}

const answered = (m: MixMeasurement) => m.statuses.filter((s) => s !== undefined).length;
const fmtRow = (r: CountRow) => `{route="${r.route}",method="${r.method}",code="${r.code}"} ${r.value}`;
const metricsReachable = (m: MixMeasurement) => m.before.ok && m.after.ok;
const scrapeProblem = (m: MixMeasurement) =>
  !m.after.ok ? `GET /metrics on ADMIN_ADDR: ${m.after.error}` : m.after.exposition.errors.length ? `/metrics is not valid text format: ${m.after.exposition.errors[0]}` : undefined;
/** the load really happened: every planned request was answered */
const loadComplete = (m: MixMeasurement) => answered(m) === m.planned.length;

function countMismatches(m: MixMeasurement): string[] {
  const want = observedRows(m);
  const got = m.counted.filter((r) => r.route === '/orders' || r.route === '/orders/{id}');
  const out: string[] = [];
  // series the checker has no answer for first: they say the most (a wrong code, a wrong route)
  for (const g of got) {
    if (!want.some((w) => w.route === g.route && w.method === g.method && w.code === g.code)) out.push(`${fmtRow(g)} counted, but the checker got no such answer`);
  }
  for (const w of want) {
    const g = got.find((r) => r.route === w.route && r.method === w.method && r.code === w.code);
    if (!g) out.push(`${fmtRow(w)} expected, no such series`);
    else if (g.value !== w.value) out.push(`{route="${w.route}",method="${w.method}",code="${w.code}"} increased by ${g.value}, the checker got ${w.value} such answers`);
  }
  const total = m.counted.filter((r) => !isAdminRoute(r.route)).reduce((a, r) => a + r.value, 0);
  if (total !== answered(m)) out.push(`the counter increased by ${total} in total, the service answered ${answered(m)} requests (404s and 405s of unmatched paths count too)`);
  return out;
}

const routeFor = (h: { labels: { route: string; method: string } }) => `${h.labels.method} ${h.labels.route}`;

interface HistogramJudgement {
  ok: boolean;
  lines: string[];
}

function judgeHistogram(m: MixMeasurement): HistogramJudgement {
  const fam = m.after.exposition.families.get(HISTOGRAM);
  if (!fam) return { ok: false, lines: [`no ${HISTOGRAM} family in /metrics`] };
  if (fam.type !== 'histogram') {
    return {
      ok: false,
      lines: [
        `${HISTOGRAM} is a ${fam.type}${fam.type === 'summary' ? ' (quantiles computed in the process: no buckets, and quantiles of several replicas cannot be added up)' : ''}, not a histogram`,
      ],
    };
  }
  const missing = missingLabels(fam, ['route', 'method']);
  if (missing.length) return { ok: false, lines: [`samples without the label(s) ${missing.join(', ')}`] };
  const lines: string[] = [];
  // every series as exposed: le="+Inf" == _count, cumulative
  const full = histogramsBy(fam, [...new Set(fam.samples.flatMap((s) => Object.keys(s.labels)).filter((k) => k !== 'le'))]);
  for (const h of full.values()) {
    const p = histogramProblems(h);
    if (p.length) {
      lines.push(`series ${JSON.stringify(h.labels)}: ${p[0]}`);
      break;
    }
  }
  const want: { method: string; route: RouteKey; n: number }[] = [
    { method: 'GET', route: '/orders', n: 0 },
    { method: 'GET', route: '/orders/{id}', n: 0 },
    { method: 'POST', route: '/orders', n: 0 },
  ];
  m.planned.forEach((p, i) => {
    if (m.statuses[i] === undefined || !p.route) return;
    want.find((w) => w.method === (p.spec.method ?? 'GET') && w.route === p.route)!.n++;
  });
  for (const w of want) {
    const h = [...m.histograms.values()].find((x) => x.labels.method === w.method && x.labels.route === w.route);
    if (!h) {
      lines.push(`${w.method} ${w.route}: no series (route="${w.route}", method="${w.method}")`);
      continue;
    }
    if (h.delta.count !== w.n) lines.push(`${w.method} ${w.route}: _count increased by ${h.delta.count}, the checker sent ${w.n}`);
  }
  const post = [...m.histograms.values()].find((x) => x.labels.method === 'POST' && x.labels.route === '/orders');
  if (post) {
    const finite = post.after.buckets.filter((b) => b.le !== Infinity);
    const under = finite.filter((b) => b.le < SLOW_FLOOR_S);
    if (!under.length || !finite.some((b) => b.le >= SLOW_FLOOR_S)) {
      lines.push(`POST /orders: buckets ${finite.map((b) => fmtLe(b.le)).join(', ') || '(none but +Inf)'} cannot tell a ${SLOW_MS} ms order from a fast one (need a bound under ${SLOW_FLOOR_S} s and one at or above it)`);
    } else {
      const fast = post.delta.count - SLOW_ORDERS;
      for (const b of post.delta.buckets.filter((x) => x.le < SLOW_FLOOR_S)) {
        if (b.count > fast) {
          lines.push(`POST /orders: le="${fmtLe(b.le)}" increased by ${b.count}, but ${SLOW_ORDERS} of the ${post.delta.count} orders took at least ${SLOW_MS} ms (at most ${fast} fit under ${fmtLe(b.le)} s)`);
          break;
        }
      }
    }
    if (post.delta.sum < SLOW_ORDERS * SLOW_FLOOR_S) lines.push(`POST /orders: _sum increased by ${post.delta.sum.toFixed(3)}, less than the ${SLOW_ORDERS} slow orders alone (>= ${(SLOW_ORDERS * SLOW_FLOOR_S).toFixed(1)} s): is the timer started and stopped around the handler, in seconds?`);
    else if (post.delta.sum > MAX_POST_SUM_S) lines.push(`POST /orders: _sum increased by ${post.delta.sum.toFixed(1)} for ${post.delta.count} requests: the unit is not seconds (milliseconds?)`);
  }
  return { ok: lines.length === 0, lines };
}

// ---- scenario 2: traces -------------------------------------------------------------------------

const hex = (seed: string, bytes: number) => createHash('sha256').update(seed).digest('hex').slice(0, bytes * 2);
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

interface TraceCase {
  item: string;
  /** the traceparent sent, if any */
  sent?: string;
  kind: 'valid' | 'none' | 'invalid';
  why?: string;
}

const TRACE_CASES: TraceCase[] = [
  ...Array.from({ length: 6 }, (_, i): TraceCase => ({ item: `traced-${i + 1}`, sent: `00-${hex(`trace ${i}`, 16)}-${hex(`span ${i}`, 8)}-01`, kind: 'valid' })),
  ...Array.from({ length: 3 }, (_, i): TraceCase => ({ item: `untraced-${i + 1}`, kind: 'none' })),
  { item: 'invalid-1', sent: `00-${ZERO_TRACE}-${hex('span z', 8)}-01`, kind: 'invalid', why: 'all-zero trace-id' },
  { item: 'invalid-2', sent: `00-${hex('trace z', 16)}-${ZERO_SPAN}-01`, kind: 'invalid', why: 'all-zero parent-id' },
  { item: 'invalid-3', sent: `ff-${hex('trace ff', 16)}-${hex('span ff', 8)}-01`, kind: 'invalid', why: 'version ff' },
  { item: 'invalid-4', sent: 'not-a-traceparent', kind: 'invalid', why: 'garbage' },
];

interface Traceparent {
  version: string;
  traceId: string;
  parentId: string;
  flags: string;
}

/** Strict W3C Trace Context level 1: version 00, lower-case hex, non-zero ids. */
function parseTraceparent(h: string): Traceparent | string {
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(h);
  if (!m) return `not version-traceid-parentid-flags in lower-case hex`;
  const [, version, traceId, parentId, flags] = m;
  if (version !== '00') return `version ${version} (a version 00 header was expected)`;
  if (traceId === ZERO_TRACE) return 'all-zero trace-id';
  if (parentId === ZERO_SPAN) return 'all-zero parent-id';
  return { version: version!, traceId: traceId!, parentId: parentId!, flags: flags! };
}

interface TraceResult {
  c: TraceCase;
  status?: number;
  received: string[];
  parsed?: Traceparent;
  problem?: string;
}

interface TraceMeasurement {
  results: TraceResult[];
}

const sentIds = (c: TraceCase) => {
  const m = c.sent ? /^..-(\w{32})-(\w{16})-/.exec(c.sent) : null;
  return m ? { traceId: m[1]!, parentId: m[2]! } : undefined;
};

function propagationProblems(m: TraceMeasurement): string[] {
  const out: string[] = [];
  const valid = m.results.filter((r) => r.c.kind === 'valid');
  const parents = new Set<string>();
  for (const r of valid) {
    const sent = sentIds(r.c)!;
    if (!r.received.length) out.push(`${r.c.item}: the inventory call carried no traceparent (sent ${r.c.sent})`);
    else if (r.received.length > 1) out.push(`${r.c.item}: the inventory call carried ${r.received.length} traceparent headers`);
    else if (r.problem) out.push(`${r.c.item}: the inventory got "${r.received[0]}": ${r.problem}`);
    else if (r.parsed!.traceId !== sent.traceId) out.push(`${r.c.item}: sent trace-id ${sent.traceId}, the inventory got ${r.parsed!.traceId}: a new trace, the caller's trace is broken in two`);
    else if (r.parsed!.parentId === sent.parentId) out.push(`${r.c.item}: the inventory got the caller's own parent-id ${sent.parentId}: the header was forwarded unchanged, so the orders service's span is missing from the trace`);
    else if ((parseInt(r.parsed!.flags, 16) & 1) !== 1) out.push(`${r.c.item}: sent flags 01 (sampled), the inventory got ${r.parsed!.flags}: the sampling decision was dropped`);
    else if (parents.has(r.parsed!.parentId)) out.push(`${r.c.item}: parent-id ${r.parsed!.parentId} was already used for another request: every request needs a span id of its own`);
    if (r.parsed) parents.add(r.parsed.parentId);
  }
  return out;
}

function startProblems(m: TraceMeasurement): string[] {
  const out: string[] = [];
  const fresh = m.results.filter((r) => r.c.kind !== 'valid');
  const traces = new Set(m.results.filter((r) => r.c.kind === 'valid').map((r) => sentIds(r.c)!.traceId));
  for (const r of fresh) {
    const what = r.c.kind === 'none' ? 'no traceparent' : `an invalid traceparent (${r.c.why})`;
    const sent = sentIds(r.c);
    if (!r.received.length) out.push(`${r.c.item}, sent ${what}: the inventory call carried no traceparent`);
    else if (r.received.length > 1) out.push(`${r.c.item}, sent ${what}: the inventory call carried ${r.received.length} traceparent headers`);
    else if (r.problem) out.push(`${r.c.item}, sent ${what}: the inventory got "${r.received[0]}": ${r.problem}`);
    else if (sent && r.parsed!.traceId === sent.traceId) out.push(`${r.c.item}, sent ${what}: the inventory got the same trace-id ${sent.traceId}: an invalid header must be ignored and a new trace started`);
    else if (traces.has(r.parsed!.traceId)) out.push(`${r.c.item}, sent ${what}: trace-id ${r.parsed!.traceId} is shared with another request: each new trace needs its own random trace-id`);
    if (r.parsed) traces.add(r.parsed.traceId);
  }
  return out;
}

// ---- the checker ---------------------------------------------------------------------------------

export default defineChecker({
  lab: 'observability',
  server: { admin: true },
  prepare: async ({ tmpDir }) => {
    const inv = await startInventory(tmpDir);
    return { env: { UPSTREAM: inv.upstream.url } };
  },
  scenarios: [
    scenario<MixMeasurement>({
      title: `A known mix of ${plan().length} requests, then /metrics`,
      deadlineMs: 8000,
      run: async (ctx) => {
        const inv = inventoryOf(ctx);
        const planned = plan();
        const statuses: (number | undefined)[] = new Array(planned.length).fill(undefined);
        const before = await scrape(ctx.server.host, ctx.server.adminPort!);
        const reserves0 = inv.reserves;
        ctx.progress(`${planned.length} requests on ${CONNECTIONS} keep-alive connections`);
        const load = await variedLoad({
          host: ctx.server.host,
          port: ctx.server.port,
          connections: CONNECTIONS,
          requests: planned.length,
          request: (i) => planned[i]!.spec,
          onResponse: (i, r) => (statuses[i] = r.status),
          timeoutMs: 4000,
          signal: ctx.signal,
        });
        ctx.progress('scraping /metrics');
        const after = await settledScrape(ctx);
        const routes = [...new Set((after.exposition.families.get(COUNTER)?.samples ?? []).filter((s) => 'route' in s.labels).map((s) => normRoute(s.labels.route!)))];
        return {
          before,
          after,
          load,
          planned,
          statuses,
          reserves: inv.reserves - reserves0,
          counted: missingLabels(after.exposition.families.get(COUNTER), ['route', 'method', 'code']).length ? [] : counterDelta(before.exposition, after.exposition),
          histograms: histogramDelta(before.exposition, after.exposition),
          routes,
        };
      },
      checks: [
        {
          id: 'responses-correct',
          title: 'The service answers as it always did',
          expected: `${LIST_REQUESTS + FOUND_IDS.length} × 200, ${MISSING_IDS.length + UNMATCHED_PATHS.length} × 404, ${NOT_ALLOWED} × 405, ${OK_ORDERS + SLOW_ORDERS} × 201, ${FAILED_ORDERS} × 502; ${OK_ORDERS + SLOW_ORDERS + FAILED_ORDERS} calls to the inventory service`,
          measured: (m) => {
            const wrong = m.planned.map((p, i) => ({ p, st: m.statuses[i] })).filter((x) => x.st !== x.p.expect);
            const statuses = Object.entries(m.load.statuses).map(([k, v]) => `${v} × ${k}`).join(', ') || 'no answers';
            const errors = Object.entries(m.load.errors).map(([k, v]) => `${v} × ${k}`).join(', ');
            const first = wrong[0] ? `; e.g. ${wrong[0].p.label} answered ${wrong[0].st ?? 'nothing'}, expected ${wrong[0].p.expect}` : '';
            return `${statuses}${errors ? `; errors: ${errors}` : ''}; ${m.reserves} inventory calls${first}`;
          },
          pass: (m) => m.planned.every((p, i) => m.statuses[i] === p.expect) && m.reserves === OK_ORDERS + SLOW_ORDERS + FAILED_ORDERS,
          explanation: 'instrumentation must not change what the service answers: keep the handlers, the status codes and the inventory call as they are',
        },
        {
          id: 'requests-counted',
          title: `${COUNTER}{route, method, code} counts exactly the requests answered`,
          expected: `a counter whose increase by (route, method, code) equals what the checker received, e.g. {route="/orders/{id}",method="GET",code="404"} +${MISSING_IDS.length}; its total increase equals all ${plan().length} requests`,
          measured: (m) => {
            const problem = scrapeProblem(m);
            if (problem) return problem;
            const fam = m.after.exposition.families.get(COUNTER);
            if (!fam) return `no ${COUNTER} in /metrics (${m.after.exposition.families.size} families, e.g. ${[...m.after.exposition.families.keys()].slice(0, 3).join(', ')})`;
            if (fam.type !== 'counter') return `${COUNTER} is a ${fam.type}, not a counter`;
            const missing = missingLabels(fam, ['route', 'method', 'code']);
            if (missing.length) return `${COUNTER} samples without the label(s) ${missing.join(', ')}`;
            if (!loadComplete(m)) return `only ${answered(m)} of ${m.planned.length} requests were answered: nothing to compare`;
            const bad = countMismatches(m);
            if (!bad.length) return observedRows(m).map(fmtRow).join(', ') + ` (+${answered(m) - observedRows(m).reduce((a, r) => a + r.value, 0)} unmatched)`;
            return `${bad.length} mismatch${bad.length > 1 ? 'es' : ''}: ${bad.slice(0, 3).join('; ')}${bad.length > 3 ? '; ...' : ''}`;
          },
          pass: (m) => {
            const fam = m.after.exposition.families.get(COUNTER);
            return (
              metricsReachable(m) &&
              !scrapeProblem(m) &&
              loadComplete(m) &&
              fam?.type === 'counter' &&
              missingLabels(fam, ['route', 'method', 'code']).length === 0 &&
              countMismatches(m).length === 0
            );
          },
          explanation: (m, passed) =>
            passed
              ? 'Rate and Errors come straight from this counter: sum by (route) (rate(http_requests_total[5m])), and the same with code=~"5.." for the errors'
              : rawRoutes(m).length
                ? 'the route label holds raw paths (/orders/17): each id is its own series, and no series is called /orders/{id}. Use the pattern the mux matched (r.Pattern)'
                : patternLost(m)
                  ? 'every request was filed under one route: the pattern was read from a request the mux never saw. ServeMux sets Pattern on the *Request it is given; a middleware in between that calls r.WithContext hands it a copy, and yours still holds the original with an empty Pattern'
                  : codesBeforeHandler(m)
                    ? 'every request was counted with code 200, the answers were not: the code was taken before the handler had chosen it. Count after next.ServeHTTP returns, with the status the handler actually wrote'
                    : 'a counter that does not match the traffic is worse than none: alerts on the error ratio fire (or stay silent) for the wrong reason. Count after the handler has returned, with the status it actually wrote',
          hint: 'wrap the mux in a middleware that calls it with a ResponseWriter that remembers the status (WriteHeader, or 200 on the first Write), then increments the counter with r.Pattern\'s path, r.Method and that status',
        },
        {
          id: 'latency-histogram',
          title: `${HISTOGRAM}{route, method} is a histogram that matches the requests`,
          expected: `a histogram (_bucket{le}, _sum, _count, in seconds) per route and method: _count increased by 37 / 50 / 17 for GET /orders, GET /orders/{id}, POST /orders; le="+Inf" == _count, cumulative buckets; the ${SLOW_ORDERS} orders that took >= ${SLOW_MS} ms are in no bucket under ${SLOW_FLOOR_S} s`,
          measured: (m) => {
            const problem = scrapeProblem(m);
            if (problem) return problem;
            if (!loadComplete(m)) return `only ${answered(m)} of ${m.planned.length} requests were answered: nothing to compare`;
            const j = judgeHistogram(m);
            if (!j.ok) return j.lines.slice(0, 3).join('; ');
            return [...m.histograms.values()]
              .filter((h) => h.labels.route === '/orders' || h.labels.route === '/orders/{id}')
              .map((h) => `${routeFor(h)}: _count +${h.delta.count}, _sum +${(h.delta.sum * 1000).toFixed(1)} ms`)
              .join('; ');
          },
          pass: (m) => metricsReachable(m) && !scrapeProblem(m) && loadComplete(m) && judgeHistogram(m).ok,
          explanation: (m, passed) =>
            passed
              ? 'buckets can be added up across replicas and turned into any quantile later: histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket[5m])))'
              : m.after.exposition.families.get(HISTOGRAM)?.type === 'summary'
                ? 'a summary computes its quantiles inside one process: they cannot be averaged or summed across replicas, and the SLO threshold cannot be chosen after the fact. Use a histogram'
                : patternLost(m)
                  ? 'every request was filed under one route: the pattern was read from a request the mux never saw (a middleware in between called r.WithContext, and the mux set Pattern on that copy)'
                  : 'the Duration of RED: without a histogram per route there is no latency SLO, and a p99 computed from wrong buckets is confidently wrong',
          hint: 'prometheus.NewHistogramVec with Buckets that straddle your SLO (prometheus.DefBuckets do), labels route and method, and Observe(time.Since(start).Seconds()) after the handler returned',
          series: (m) => {
            const post = [...m.histograms.values()].find((x) => x.labels.method === 'POST' && x.labels.route === '/orders');
            if (!post || !post.delta.buckets.length) return undefined;
            const finite = post.delta.buckets.filter((b) => b.le !== Infinity);
            return [
              {
                name: 'POST /orders: requests per bucket',
                kind: 'histogram',
                x: finite.map((b) => b.le),
                y: finite.map((b, i) => b.count - (i ? finite[i - 1]!.count : 0)),
                xLabel: 'le (seconds)',
                yLabel: 'requests',
              },
            ];
          },
        },
        {
          id: 'route-cardinality',
          title: 'The route label is the pattern, not the path: the series stay bounded',
          expected: `after ${FOUND_IDS.length + MISSING_IDS.length} distinct ids and ${UNMATCHED_PATHS.length} scanned paths: at most ${MAX_ROUTES} distinct route values in ${COUNTER}, none of them a raw path`,
          measured: (m) => {
            const problem = scrapeProblem(m);
            if (problem) return problem;
            if (!m.after.exposition.families.get(COUNTER)) return `no ${COUNTER} in /metrics`;
            if (!m.routes.length) return `${COUNTER} has no route label`;
            const raw = rawRoutes(m);
            const list = m.routes.slice(0, 6).map((r) => JSON.stringify(r)).join(', ') + (m.routes.length > 6 ? ', ...' : '');
            return `${m.routes.length} distinct route values: ${list}${raw.length ? `; ${raw.length} of them are raw paths` : ''}`;
          },
          pass: (m) => !scrapeProblem(m) && loadComplete(m) && m.routes.length > 0 && m.routes.length <= MAX_ROUTES && rawRoutes(m).length === 0,
          explanation: (m, passed) =>
            passed
              ? 'one series per route template, whatever the ids: the cost of the metric does not grow with the traffic'
              : 'every distinct label value is a new time series in Prometheus, held in memory and in the index. A raw path label grows with every id and every scanner\'s URL: the classic cardinality explosion that takes the monitoring down first',
          hint: 'since Go 1.22 the ServeMux knows the pattern it matched: read r.Pattern after the mux served the request (or call mux.Handler(r) before), strip the method, and use one fixed value such as "unmatched" when it is empty',
        },
      ],
    }),
    scenario<TraceMeasurement>({
      title: `${TRACE_CASES.length} orders with and without a traceparent`,
      deadlineMs: 6000,
      run: async (ctx) => {
        try {
          const inv = inventoryOf(ctx);
          const results: TraceResult[] = [];
          await variedLoad({
            host: ctx.server.host,
            port: ctx.server.port,
            connections: 2,
            requests: TRACE_CASES.length,
            request: (i) => {
              const c = TRACE_CASES[i]!;
              const spec = order(c.item);
              if (c.sent) spec.headers = { ...spec.headers, traceparent: c.sent };
              return spec;
            },
            onResponse: (i, r) => (results[i] = { c: TRACE_CASES[i]!, status: r.status, received: [] }),
            timeoutMs: 3000,
            signal: ctx.signal,
          });
          return {
            results: TRACE_CASES.map((c, i) => {
              const r: TraceResult = results[i] ?? { c, received: [] };
              r.received = inv.calls.get(c.item)?.traceparent ?? [];
              if (r.received.length === 1) {
                const p = parseTraceparent(r.received[0]!);
                if (typeof p === 'string') r.problem = p;
                else r.parsed = p;
              }
              return r;
            }),
          };
        } finally {
          await closeInventory(ctx.tmpDir);
        }
      },
      checks: [
        {
          id: 'trace-propagated',
          title: 'A caller\'s trace continues into the inventory call',
          expected: 'for 6 requests with a valid traceparent: the inventory call carries a valid one with the same trace-id, a new non-zero parent-id (one per request) and the sampled flag',
          measured: (m) => {
            const bad = propagationProblems(m);
            const valid = m.results.filter((r) => r.c.kind === 'valid');
            if (!bad.length) return `6 of 6 continued, e.g. sent ${valid[0]!.c.sent}, the inventory got ${valid[0]!.received[0]}`;
            return `${bad.length} of ${valid.length} wrong: ${bad[0]}`;
          },
          pass: (m) => m.results.filter((r) => r.c.kind === 'valid').every((r) => r.received.length) && propagationProblems(m).length === 0,
          explanation: (m, passed) =>
            passed
              ? 'the trace shows caller -> orders -> inventory as one tree: the orders service added its own span and made it the parent of the inventory call'
              : 'the W3C traceparent is version-traceid-parentid-flags: a service keeps the trace-id, creates a span of its own (a new random 8-byte id) and sends THAT id as the parent-id of its outgoing calls',
          hint: 'in a middleware: parse the incoming traceparent, make a span (same trace-id, new span id), put it in the request context; in the inventory client: req.Header.Set("traceparent", ...) from the context',
        },
        {
          id: 'trace-started',
          title: 'A request without a valid traceparent starts a new trace',
          expected: '3 requests without a traceparent and 4 with an invalid one (all-zero trace-id, all-zero parent-id, version ff, garbage): the inventory call carries a valid traceparent with a new, non-zero trace-id, a different one per request',
          measured: (m) => {
            const bad = startProblems(m);
            const fresh = m.results.filter((r) => r.c.kind !== 'valid');
            if (!bad.length) return `${fresh.length} of ${fresh.length} started a trace, e.g. ${fresh[0]!.received[0]}`;
            return `${bad.length} of ${fresh.length} wrong: ${bad[0]}`;
          },
          pass: (m) => startProblems(m).length === 0,
          explanation: (m, passed) =>
            passed
              ? 'the service is where the trace begins when nobody upstream started one, and an invalid header is dropped rather than spread'
              : 'a request with no (or an invalid) traceparent still needs a trace: the service becomes its root. The specification says an all-zero trace-id or parent-id, or version ff, makes the header invalid: it must be ignored, not forwarded',
          hint: 'when parsing fails (wrong length or characters, version ff, an all-zero id) start a new trace: 16 random bytes from crypto/rand for the trace-id, 8 for the span id, flags 01',
        },
      ],
    }),
  ],
});

/** Everything counted under one route (an empty pattern), though the checker hit three. */
function patternLost(m: MixMeasurement): boolean {
  const routes = new Set(m.counted.filter((r) => !isAdminRoute(r.route)).map((r) => r.route));
  return routes.size === 1 && !routes.has('/orders') && !routes.has('/orders/{id}');
}

/** Only code="200" counted for the routes, while the checker got 404s, 201s and 502s there. */
function codesBeforeHandler(m: MixMeasurement): boolean {
  const counted = new Set(m.counted.filter((r) => r.route === '/orders' || r.route === '/orders/{id}').map((r) => r.code));
  return counted.size === 1 && counted.has('200') && observedRows(m).some((r) => r.code !== '200');
}

/** Route values that are a raw path the checker sent (an id, a scanned path). */
function rawRoutes(m: MixMeasurement): string[] {
  const sentPaths = new Set(m.planned.map((p) => p.spec.path!).filter((p) => p !== '/orders'));
  return m.routes.filter((r) => sentPaths.has(r));
}
