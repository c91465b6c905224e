// fault-injection: a shop's API gateway that calls its backend with one shared http.Client
// and nothing else: no timeout, no retry. When the backend has a bad minute, every failed
// call becomes a 502 for the shop's apps, and every call the backend never answers hangs the
// app's request for as long as the app is willing to wait.
//
// The backend is the checker's own (core/http/upstream.ts) on BACKEND_PORT, inside the check's
// network namespace. It fails deterministically, by request: the checker knows which GET and
// which POST fails on its first attempt, and how (503, or no answer at all), and it counts
// every attempt it receives per request. The gateway cannot fake those counts.
//
// The contract the lesson states: the gateway answers every request within GATEWAY_DEADLINE_MS,
// whatever the backend does (the checker allows SLACK_MS on top, for a loaded machine).
//
// The probes, in order:
//   - relays:             a product is relayed byte for byte, a missing one is 404 (asked once),
//                         an order is placed and answered 201
//   - gets-succeed:       the backend fails the first attempt of 1 GET in 10 (503, or no answer);
//                         all FLAKY_GETS are answered 200 with the product (starter: 54 of 60)
//   - answers-in-time:    every request of that flaky minute, GETs and POSTs, is answered within
//                         the bound (starter: the unanswered ones hang)
//   - post-once:          the backend fails the first attempt of half the FLAKY_POSTS (503 after it
//                         created the order, or no answer after it created it); no order reaches it
//                         twice
//   - retry-budget:       the backend is down (503 to everything): OUTAGE_GETS get at most
//                         MAX_AMPLIFICATION attempts per request at the backend, all answered 5xx
//   - blackhole-bounded:  then the backend's network drops every packet (nft blackhole on its port:
//                         no answer, no RST, new connections stuck in SYN_SENT); all BLACKHOLE_GETS
//                         are answered with a 5xx within the bound (starter: they hang)
// The flaky minute comes first, so that a budget refilled by successes starts it full; the
// black hole comes last, after the outage closed the backend's connections, so that every attempt
// has to dial (Transport.ResponseHeaderTimeout, which does not cover dialing, is then no deadline).
import { randomBytes } from 'node:crypto';
import { Upstream, type UpstreamReply, type UpstreamRequest } from './core/http/upstream.js';
import { httpRequest, type Outcome, type RequestSpec } from './core/http/conn.js';
import { applyNft, nftCounters, removeNft, type AppliedNft, type BlackholeFault } from './core/netns/index.js';
import { sleep } from './core/net.js';
import { defineChecker, scenario, type ScenarioContext } from './core/spec.js';
import type { Series } from './core/verdict.js';

const BACKEND_PORT = 9090;
const GATEWAY_DEADLINE_MS = 2000;
const SLACK_MS = 500;
const BOUND_MS = GATEWAY_DEADLINE_MS + SLACK_MS;
/** a request not answered by then is counted as hung */
const CLIENT_TIMEOUT_MS = 3500;
const BLACKHOLE_GETS = 10;
const FLAKY_GETS = 60;
const FLAKY_POSTS = 12;
const OUTAGE_GETS = 100;
const OUTAGE_CONCURRENCY = 20;
const MAX_AMPLIFICATION = 1.5;

/** How the backend treats the first attempt of a request; later attempts always succeed. */
type FirstAttempt = 'ok' | '503' | 'hang';
/** GET n fails its first attempt for n ≡ 3 (503) or 13 (no answer) mod 20: 1 GET in 10. */
const getFault = (n: number): FirstAttempt => (n % 20 === 3 ? '503' : n % 20 === 13 ? 'hang' : 'ok');
/** order k: k ≡ 1 (mod 4) -> 503 after creating it, k ≡ 2 -> no answer after creating it. */
const postFault = (k: number): FirstAttempt => (k % 4 === 1 ? '503' : k % 4 === 2 ? 'hang' : 'ok');

// ---------------------------------------------------------------------------------------------
// The backend

interface Backend {
  upstream: Upstream;
  /** 'outage': 503 to everything */
  mode: 'normal' | 'outage';
  /** first-attempt faults by key ("GET <id>" or "POST <order>") */
  faults: Map<string, FirstAttempt>;
  /** attempts received by key */
  attempts: Map<string, number>;
  /** replies held back (no answer): released at the end of each scenario */
  held: (() => void)[];
}

const product = (id: string) => `{"id":${JSON.stringify(id)},"name":"Product ${id}","price_cents":${1000 + (id.length * 37) % 900},"in_stock":true}\n`;

function backendHandler(b: Backend) {
  return (req: UpstreamRequest): UpstreamReply | Promise<UpstreamReply> => {
    let key: string;
    let ok: UpstreamReply;
    const item = /^\/items\/([^/?]+)$/.exec(req.path);
    if (req.method === 'GET' && item) {
      const id = decodeURIComponent(item[1]);
      key = `GET ${id}`;
      ok = id.startsWith('missing-')
        ? { status: 404, headers: { 'Content-Type': 'application/json' }, body: '{"error":"no such item"}\n' }
        : { status: 200, headers: { 'Content-Type': 'application/json' }, body: product(id) };
    } else if (req.method === 'POST' && req.path === '/orders') {
      let order = '?';
      try {
        order = String(JSON.parse(req.body.toString('utf8')).order);
      } catch {
        return { status: 400, body: 'bad order\n' };
      }
      key = `POST ${order}`;
      ok = { status: 201, headers: { 'Content-Type': 'application/json' }, body: `{"order":${JSON.stringify(order)},"status":"created"}\n` };
    } else {
      return { status: 404, body: 'not found\n' };
    }
    const n = (b.attempts.get(key) ?? 0) + 1;
    b.attempts.set(key, n);
    if (b.mode === 'outage') return { status: 503, headers: { 'Content-Type': 'text/plain' }, body: 'backend overloaded\n' };
    const fault = n === 1 ? (b.faults.get(key) ?? 'ok') : 'ok';
    if (fault === '503') return { status: 503, headers: { 'Content-Type': 'text/plain' }, body: 'backend overloaded\n' };
    if (fault === 'hang') return new Promise((resolve) => b.held.push(() => resolve({ status: 503, body: 'too late\n' })));
    return ok;
  };
}

async function backend(ctx: ScenarioContext): Promise<Backend> {
  let b = ctx.state.get('backend') as Backend | undefined;
  if (!b) {
    const fresh: Backend = { upstream: undefined as unknown as Upstream, mode: 'normal', faults: new Map(), attempts: new Map(), held: [] };
    fresh.upstream = await Upstream.start({ port: BACKEND_PORT, handle: backendHandler(fresh), keep: 5 });
    b = fresh;
    ctx.state.set('backend', b);
  }
  return b;
}

function releaseHeld(b: Backend): void {
  for (const release of b.held.splice(0)) release();
}

// ---------------------------------------------------------------------------------------------
// Requests from the shop's apps

const run = () => randomBytes(2).toString('hex');
const getProduct = (id: string): RequestSpec => ({ path: `/products/${encodeURIComponent(id)}` });
const orderBody = (order: string) => JSON.stringify({ order, item: 'p-1', qty: 1 });
const postOrder = (order: string): RequestSpec => ({ method: 'POST', path: '/orders', headers: { 'Content-Type': 'application/json' }, body: orderBody(order) });

interface Sent {
  label: string;
  out: Outcome;
}

/** Sends every request, at most `concurrency` at a time, each on its own connection. */
async function sendAll(ctx: ScenarioContext, reqs: { label: string; spec: RequestSpec }[], concurrency = reqs.length): Promise<Sent[]> {
  const out: Sent[] = new Array(reqs.length);
  let next = 0;
  const worker = async () => {
    while (next < reqs.length && !ctx.signal.aborted) {
      const i = next++;
      out[i] = { label: reqs[i].label, out: await httpRequest(ctx.server.host, ctx.server.port, reqs[i].spec, CLIENT_TIMEOUT_MS) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, reqs.length) }, worker));
  return out.filter(Boolean);
}

const statusOf = (s: Sent) => (s.out.response ? String(s.out.response.status) : s.out.error === 'ETIMEDOUT' ? 'no answer' : (s.out.error ?? 'error'));
const inTime = (s: Sent) => !!s.out.response && s.out.ms <= BOUND_MS;
const slowest = (xs: Sent[]) => xs.reduce((a, s) => Math.max(a, s.out.ms), 0);

function tally(xs: Sent[]): string {
  const counts = new Map<string, number>();
  for (const s of xs) counts.set(statusOf(s), (counts.get(statusOf(s)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v} × ${k}`).join(', ') || 'none';
}

function latencySeries(name: string, xs: Sent[]): Series {
  const sorted = xs.map((s) => s.out.ms).sort((a, b) => a - b);
  return { name, kind: 'line', x: sorted.map((_, i) => i + 1), y: sorted, xLabel: 'request (fastest first)', yLabel: 'ms' };
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface RelayMeasurement {
  product: Outcome;
  productBody: string;
  productAttempts: number;
  missing: Outcome;
  missingAttempts: number;
  order: Outcome;
  orderAttempts: number;
}

interface BlackholeMeasurement {
  sent: Sent[];
  dropped: number;
}

interface FlakyMeasurement {
  gets: Sent[];
  getsOk: number;
  wrongBody: number;
  posts: Sent[];
  /** attempts per order at the backend */
  orderAttempts: number[];
  getAttempts: number;
}

interface OutageMeasurement {
  sent: Sent[];
  attempts: number;
  maxPerRequest: number;
}

export default defineChecker({
  lab: 'fault-injection',
  server: { admin: false, env: { UPSTREAM: `http://127.0.0.1:${BACKEND_PORT}` } },
  netns: {},
  scenarios: [
    scenario<RelayMeasurement>({
      title: 'The gateway relays products and orders',
      deadlineMs: 6000,
      run: async (ctx) => {
        const b = await backend(ctx);
        const r = run();
        const id = `p${r}-1`;
        const product1 = await httpRequest(ctx.server.host, ctx.server.port, getProduct(id), CLIENT_TIMEOUT_MS);
        const missing = await httpRequest(ctx.server.host, ctx.server.port, getProduct(`missing-${r}`), CLIENT_TIMEOUT_MS);
        const order = await httpRequest(ctx.server.host, ctx.server.port, postOrder(`o${r}-0`), CLIENT_TIMEOUT_MS);
        return {
          product: product1,
          productBody: product(id),
          productAttempts: b.attempts.get(`GET ${id}`) ?? 0,
          missing,
          missingAttempts: b.attempts.get(`GET missing-${r}`) ?? 0,
          order,
          orderAttempts: b.attempts.get(`POST o${r}-0`) ?? 0,
        };
      },
      checks: [
        {
          id: 'relays',
          title: 'Products and orders are relayed; a missing product is 404, asked once',
          expected: 'GET /products/{id} -> 200 with the backend\'s body; a missing id -> 404 after one backend call; POST /orders -> 201, the backend got the order once',
          measured: (m) => {
            const s = (o: Outcome) => (o.response ? String(o.response.status) : `no answer (${o.error})`);
            const body = m.product.response && m.product.response.body.toString('utf8') !== m.productBody ? ' with a different body' : '';
            return `product -> ${s(m.product)}${body} (${m.productAttempts} backend calls); missing -> ${s(m.missing)} (${m.missingAttempts} backend calls); order -> ${s(m.order)} (${m.orderAttempts} backend calls)`;
          },
          pass: (m) =>
            m.product.response?.status === 200 &&
            m.product.response.body.toString('utf8') === m.productBody &&
            m.productAttempts === 1 &&
            m.missing.response?.status === 404 &&
            m.missingAttempts === 1 &&
            m.order.response?.status === 201 &&
            m.orderAttempts === 1,
          explanation: (m) =>
            m.missingAttempts > 1
              ? 'a 404 will be a 404 on the next attempt too: retrying a 4xx only adds load. Retry what may succeed next time: 502, 503, 504, timeouts, connection errors'
              : 'the gateway must keep doing its job: pass the backend\'s answers back as they are, one backend call per request while the backend is healthy',
        },
      ],
    }),
    scenario<FlakyMeasurement>({
      title: `A flaky backend: ${FLAKY_GETS} product requests and ${FLAKY_POSTS} orders at once`,
      deadlineMs: CLIENT_TIMEOUT_MS + 5000,
      run: async (ctx) => {
        const b = await backend(ctx);
        const r = run();
        const reqs: { label: string; spec: RequestSpec }[] = [];
        for (let n = 1; n <= FLAKY_GETS; n++) {
          const id = `p${r}-${n}`;
          b.faults.set(`GET ${id}`, getFault(n));
          reqs.push({ label: `GET ${id}`, spec: getProduct(id) });
        }
        for (let k = 1; k <= FLAKY_POSTS; k++) {
          const order = `o${r}-${k}`;
          b.faults.set(`POST ${order}`, postFault(k));
          reqs.push({ label: `POST ${order}`, spec: postOrder(order) });
        }
        ctx.progress(`${FLAKY_GETS} GETs and ${FLAKY_POSTS} POSTs; 1 GET in 10 and half the orders fail their first attempt`);
        try {
          const sent = await sendAll(ctx, reqs);
          const gets = sent.filter((s) => s.label.startsWith('GET '));
          const posts = sent.filter((s) => s.label.startsWith('POST '));
          let getsOk = 0;
          let wrongBody = 0;
          for (const s of gets) {
            if (s.out.response?.status !== 200) continue;
            if (s.out.response.body.toString('utf8') === product(s.label.slice(4))) getsOk++;
            else wrongBody++;
          }
          const orderAttempts = posts.map((s) => b.attempts.get(s.label) ?? 0);
          const getAttempts = gets.reduce((n, s) => n + (b.attempts.get(s.label) ?? 0), 0);
          return { gets, getsOk, wrongBody, posts, orderAttempts, getAttempts };
        } finally {
          releaseHeld(b);
        }
      },
      checks: [
        {
          id: 'gets-succeed',
          title: 'Product requests succeed although the backend fails 1 first attempt in 10',
          expected: `all ${FLAKY_GETS} answered 200 with the product (6 of them need a second attempt: 3 get a 503, 3 get no answer)`,
          measured: (m) =>
            `${m.getsOk} of ${FLAKY_GETS} answered 200 with the product${m.wrongBody ? ` (${m.wrongBody} more 200s with a wrong body)` : ''}; all: ${tally(m.gets)}; ` +
            `${m.getAttempts} backend attempts for ${FLAKY_GETS} GETs`,
          pass: (m) => m.gets.length === FLAKY_GETS && m.getsOk === FLAKY_GETS,
          explanation: (m, passed) =>
            passed
              ? 'a GET is idempotent: asking again is safe, and the second attempt got the product'
              : m.getAttempts <= FLAKY_GETS
                ? 'each failure went straight to the caller: a GET that failed once would have succeeded if asked again'
                : 'the gateway retried, but some GETs still failed: an attempt that gets no answer blocks every retry behind it unless the attempt has its own timeout',
          hint: 'retry idempotent requests (GET) when the failure may be transient: 502, 503, 504, a timeout, a connection error; give each attempt its own timeout so that an unanswered one can be retried',
        },
        {
          id: 'answers-in-time',
          title: `Every request of the flaky minute is answered within ${BOUND_MS / 1000} s`,
          expected: `all ${FLAKY_GETS + FLAKY_POSTS} requests answered (any status) within ${BOUND_MS} ms`,
          measured: (m) => {
            const all = [...m.gets, ...m.posts];
            const late = all.filter((s) => !inTime(s));
            return `${all.length - late.length} of ${all.length} in time; slowest ${slowest(all)} ms` + (late.length ? `; late or unanswered: ${late.slice(0, 3).map((s) => `${s.label} (${statusOf(s)}, ${s.out.ms} ms)`).join(', ')}` : '');
          },
          pass: (m) => m.gets.length + m.posts.length === FLAKY_GETS + FLAKY_POSTS && [...m.gets, ...m.posts].every(inTime),
          explanation: (m, passed) =>
            passed
              ? 'no attempt could wait longer than its timeout, and no call longer than the gateway\'s deadline'
              : `the backend never answers some first attempts. Without a deadline the gateway waits for them as long as its caller does (the checker gave up at ${CLIENT_TIMEOUT_MS} ms); in production, each one holds a goroutine, a connection and the app's user`,
          hint: 'a timeout per attempt (context.WithTimeout around each backend call) and a deadline for the whole call that leaves room for the retries',
          series: (m) => [latencySeries('answer time, flaky backend', [...m.gets, ...m.posts])],
        },
        {
          id: 'post-once',
          title: 'No order reaches the backend twice',
          expected: `each of the ${FLAKY_POSTS} orders arrives at the backend exactly once (${FLAKY_POSTS / 2} of them fail after the backend created them)`,
          measured: (m) => {
            const twice = m.orderAttempts.filter((n) => n > 1).length;
            const never = m.orderAttempts.filter((n) => n === 0).length;
            return `${m.orderAttempts.filter((n) => n === 1).length} once, ${twice} more than once, ${never} never; the gateway answered ${tally(m.posts)}`;
          },
          pass: (m) => m.orderAttempts.length === FLAKY_POSTS && m.orderAttempts.every((n) => n === 1),
          explanation: (m, passed) =>
            passed
              ? 'a POST is not idempotent: the backend may have done the work before it failed to answer, so the gateway passes the failure on instead of guessing'
              : m.orderAttempts.some((n) => n > 1)
                ? 'an order the backend had already created was sent again: the customer now has two orders. A 503 or a timeout does not tell you whether the backend did the work'
                : 'some orders never reached the backend',
          hint: 'retry only idempotent methods (GET, HEAD, PUT, DELETE...), or a POST that carries an Idempotency-Key the backend deduplicates on; net/http\'s own Request.isReplayable follows the same rule',
        },
      ],
    }),
    scenario<OutageMeasurement>({
      title: `The backend is down: ${OUTAGE_GETS} product requests, ${OUTAGE_CONCURRENCY} at a time`,
      deadlineMs: 12_000,
      run: async (ctx) => {
        const b = await backend(ctx);
        const r = run();
        b.mode = 'outage';
        try {
          const reqs = Array.from({ length: OUTAGE_GETS }, (_, i) => ({ label: `GET p${r}-out${i}`, spec: getProduct(`p${r}-out${i}`) }));
          ctx.progress(`the backend answers 503 to everything; ${OUTAGE_GETS} requests`);
          const sent = await sendAll(ctx, reqs, OUTAGE_CONCURRENCY);
          const per = reqs.map((q) => b.attempts.get(q.label) ?? 0);
          return { sent, attempts: per.reduce((a, n) => a + n, 0), maxPerRequest: Math.max(0, ...per) };
        } finally {
          b.mode = 'normal';
          releaseHeld(b);
          await b.upstream.close();
          ctx.state.delete('backend');
        }
      },
      checks: [
        {
          id: 'retry-budget',
          title: `During an outage, retries add at most ${Math.round((MAX_AMPLIFICATION - 1) * 100)}% to the backend's load`,
          expected: `all ${OUTAGE_GETS} answered with a 5xx; at most ${MAX_AMPLIFICATION} backend attempts per request (${Math.floor(OUTAGE_GETS * MAX_AMPLIFICATION)} in all)`,
          measured: (m) =>
            `${tally(m.sent)}; the backend received ${m.attempts} attempts for ${m.sent.length} requests (${(m.attempts / Math.max(1, m.sent.length)).toFixed(2)} per request, at most ${m.maxPerRequest} for one)`,
          pass: (m) => m.sent.length === OUTAGE_GETS && m.sent.every((s) => !!s.out.response && s.out.response.status >= 500) && m.attempts >= OUTAGE_GETS && m.attempts <= OUTAGE_GETS * MAX_AMPLIFICATION,
          explanation: (m, passed) =>
            passed
              ? 'when every attempt fails, the budget runs out and the gateway stops multiplying the load on a backend that is already down'
              : m.attempts > OUTAGE_GETS * MAX_AMPLIFICATION
                ? `every request was retried up to ${m.maxPerRequest - 1} times: during an outage the backend received ${(m.attempts / OUTAGE_GETS).toFixed(1)}× the traffic, the opposite of what it needs to recover (and every layer above that also retries multiplies it again)`
                : m.attempts < OUTAGE_GETS
                  ? 'some requests never reached the backend'
                  : 'some requests were not answered with a 5xx',
          hint: 'a retry budget: a token bucket that every call fills a little (say 0.1 token) and every retry empties by one, capped at a small reserve (say 20): retries stay under ~10% of calls plus that reserve, whatever happens',
        },
      ],
    }),
    scenario<BlackholeMeasurement>({
      title: `The backend's network goes dark (every packet dropped): ${BLACKHOLE_GETS} product requests`,
      deadlineMs: CLIENT_TIMEOUT_MS + 4000,
      run: async (ctx) => {
        if (!ctx.netns) throw new Error('this check must run in a network namespace');
        const r = run();
        let fault: AppliedNft<BlackholeFault> | undefined;
        try {
          // The backend closed its connections at the end of the outage, so the gateway's pool is
          // empty: every attempt now needs a new connection, and its SYN goes nowhere.
          await sleep(200, ctx.signal);
          fault = applyNft(ctx.netns, { kind: 'blackhole', ports: [BACKEND_PORT] });
          ctx.progress(`every packet to and from port ${BACKEND_PORT} dropped; ${BLACKHOLE_GETS} requests`);
          const sent = await sendAll(ctx, Array.from({ length: BLACKHOLE_GETS }, (_, i) => ({ label: `GET p${r}-bh${i}`, spec: getProduct(`p${r}-bh${i}`) })));
          const dropped = nftCounters(ctx.netns)[fault.id]?.dropped.packets ?? 0;
          return { sent, dropped };
        } finally {
          if (fault) removeNft(fault);
        }
      },
      checks: [
        {
          id: 'blackhole-bounded',
          title: `With the backend unreachable, requests fail within ${BOUND_MS / 1000} s instead of hanging`,
          expected: `all ${BLACKHOLE_GETS} answered with a 5xx within ${BOUND_MS} ms (the gateway's deadline is ${GATEWAY_DEADLINE_MS} ms)`,
          measured: (m) => `${tally(m.sent)}; slowest ${slowest(m.sent)} ms; nft dropped ${m.dropped} packets on the backend's port`,
          pass: (m) => m.sent.length === BLACKHOLE_GETS && m.sent.every((s) => inTime(s) && s.out.response!.status >= 500),
          explanation: (m, passed) =>
            passed
              ? 'every attempt had a deadline that covered the whole attempt, dialing included, and the call as a whole had one too'
              : m.sent.some((s) => !s.out.response)
                ? 'a backend that drops packets sends no error: a request on a pooled connection waits for an answer that never comes, and a new connection waits in SYN_SENT while the kernel retries its SYN for a minute or more. With no deadline the gateway waits as long as its caller does. Transport.ResponseHeaderTimeout does not cover dialing, and a zero Transport\'s dialer has no timeout'
                : 'answered, but too late: the attempts and the pauses between them must all fit in the gateway\'s deadline',
          hint: 'give every call a deadline (context.WithTimeout around the whole call, shorter than the 2 s the gateway promises) and every attempt its own (context.WithTimeout per attempt): a context deadline covers dialing, writing, waiting and reading the body',
          series: (m) => [latencySeries('answer time, blackhole', m.sent)],
        },
      ],
    }),
  ],
});
