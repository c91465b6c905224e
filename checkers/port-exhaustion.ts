// port-exhaustion: a gateway that forwards every event to its ingest service with a new
// http.Transport per call, and never reads or closes the response body. Every call opens a
// new TCP connection, and every one of them is closed by the gateway (when the incoming
// request's context ends), so it sits in TIME_WAIT on the gateway's side for 60 s, holding
// one local port. Once the local port range is used up, connect() fails with EADDRNOTAVAIL:
// "dial tcp 127.0.0.1:9090: connect: cannot assign requested address".
//
// The whole check runs in its own network namespace, with a small local port range
// (PORT_RANGE: 200 ports) and tcp_tw_reuse=0, so the range runs out after 200 connections
// instead of 28 000, and TIME_WAIT ports are not recycled behind the lab's back.
// The ingest service is the checker's own (core/http/upstream.ts): it counts the TCP
// connections it accepts, which the gateway cannot fake.
//
// The probes, in order:
//   - relays:                one event is delivered to POST /ingest byte for byte and answered 202;
//                            with the ingest service answering 503, the gateway answers 502
//   - no-port-exhaustion:    REQUESTS events at CONCURRENCY (keep-alive client connections to the
//                            gateway) are all answered 202 (starter: ~200, the size of the range)
//   - upstream-conns-reused: the ingest service accepted at most MAX_UPSTREAM_CONNS connections for
//                            those events (a connection-per-event "fix", DisableKeepAlives or
//                            Connection: close, delivers everything but opens one per event:
//                            the TIME_WAIT moves to the ingest side instead of going away)
// The verdict shows the socket states of both sides of the gateway -> ingest hop after the load.
import { Upstream, type UpstreamReply, type UpstreamRequest } from './core/http/upstream.js';
import { httpRequest, type Outcome } from './core/http/conn.js';
import { closedLoop, type LoadResult } from './core/load/closed.js';
import { tcpSockets, countTcpStates, type TcpStateCounts } from './core/netns/index.js';
import { sampler } from './core/observe.js';
import { defineChecker, scenario, type ScenarioContext } from './core/spec.js';
import type { Series } from './core/verdict.js';

/** the namespace's local port range: 200 ports */
const PORT_RANGE = '40000 40199';
const RANGE_SIZE = 200;
/** the ingest service's port: outside the range, and free in a fresh namespace */
const UPSTREAM_PORT = 9090;
const REQUESTS = 3000;
const CONCURRENCY = 50;
/** a gateway that reuses connections needs about CONCURRENCY of them (50 to 63 measured) */
const MAX_UPSTREAM_CONNS = 2 * CONCURRENCY;
const LOAD_WINDOW_MS = 10_000;
const EADDRNOTAVAIL = /cannot assign requested address/i;

const EVENT = '{"type":"signup","user":"ada","plan":"pro"}';
const LOAD_EVENT = '{"type":"click","user":"grace","target":"checkout"}';

/** What the ingest service answers: 202 and a receipt, or 503 while `failing` is set. */
function ingest(state: { failing: boolean }) {
  return (req: UpstreamRequest): UpstreamReply => {
    if (req.method !== 'POST' || req.path !== '/ingest') return { status: 404, body: 'not found\n' };
    if (state.failing) return { status: 503, headers: { 'Content-Type': 'text/plain' }, body: 'ingest paused\n' };
    return { status: 202, headers: { 'Content-Type': 'application/json' }, body: `{"id":"evt-${String(Date.now() % 1e6).padStart(6, '0')}","status":"queued"}\n` };
  };
}

interface Ingest {
  upstream: Upstream;
  mode: { failing: boolean };
}

/** The ingest service, started by the first scenario that needs it and shared by the next. */
async function ingestService(ctx: ScenarioContext): Promise<Ingest> {
  let svc = ctx.state.get('ingest') as Ingest | undefined;
  if (!svc) {
    const mode = { failing: false };
    svc = { upstream: await Upstream.start({ port: UPSTREAM_PORT, handle: ingest(mode) }), mode };
    ctx.state.set('ingest', svc);
  }
  return svc;
}

const post = (body: string) => ({
  method: 'POST',
  path: '/events',
  headers: { 'Content-Type': 'application/json' },
  body,
});

interface RelayMeasurement {
  delivered: Outcome;
  receivedBody?: string;
  receivedPath?: string;
  rejected: Outcome;
}

/** Sockets of the gateway -> ingest hop, by side: the gateway's end and the ingest service's end. */
interface HopSockets {
  gateway: TcpStateCounts;
  ingest: TcpStateCounts;
}

interface LoadMeasurement {
  load: LoadResult;
  accepted: number;
  upstreamConnections: number;
  upstreamRequests: number;
  eaddrnotavail: number;
  firstError?: string;
  sockets?: HopSockets;
  connSeries: { x: number[]; y: number[] };
  okSeries: { x: number[]; y: number[] };
}

const statusList = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([k, v]) => `${v} × ${k}`)
    .join(', ') || 'none';

const socketLine = (m: LoadMeasurement) =>
  m.sockets
    ? `gateway side: ${m.sockets.gateway.TIME_WAIT} TIME_WAIT, ${m.sockets.gateway.ESTABLISHED} ESTABLISHED; ingest side: ${m.sockets.ingest.TIME_WAIT} TIME_WAIT`
    : 'socket states unavailable';

export default defineChecker({
  lab: 'port-exhaustion',
  server: { admin: false, env: { UPSTREAM: `http://127.0.0.1:${UPSTREAM_PORT}` } },
  netns: { sysctls: { 'net.ipv4.ip_local_port_range': PORT_RANGE, 'net.ipv4.tcp_tw_reuse': '0' } },
  scenarios: [
    scenario<RelayMeasurement>({
      title: 'The gateway relays an event, and reports a failing ingest service',
      deadlineMs: 6000,
      run: async (ctx) => {
        const { upstream, mode } = await ingestService(ctx);
        const before = upstream.requests;
        const delivered = await httpRequest(ctx.server.host, ctx.server.port, post(EVENT), 2500);
        const got = upstream.requests > before ? upstream.recent[upstream.recent.length - 1] : undefined;
        mode.failing = true;
        let rejected: Outcome;
        try {
          rejected = await httpRequest(ctx.server.host, ctx.server.port, post(EVENT), 2500);
        } finally {
          mode.failing = false;
        }
        return { delivered, receivedBody: got?.body.toString('utf8'), receivedPath: got ? `${got.method} ${got.path}` : undefined, rejected };
      },
      checks: [
        {
          id: 'relays',
          title: 'An event is delivered to the ingest service, and a refusal becomes 502',
          expected: 'POST /events -> 202, the ingest service got POST /ingest with the same body; ingest answering 503 -> 502',
          measured: (m) => {
            const first = m.delivered.ok ? `${m.delivered.response!.status}` : `no answer (${m.delivered.error})`;
            const seen = m.receivedPath ? `ingest got ${m.receivedPath}${m.receivedBody === EVENT ? ' with the same body' : ` with body ${JSON.stringify(m.receivedBody)}`}` : 'ingest got nothing';
            const second = m.rejected.ok ? `${m.rejected.response!.status}` : `no answer (${m.rejected.error})`;
            return `event -> ${first}, ${seen}; with ingest answering 503 -> ${second}`;
          },
          pass: (m) =>
            m.delivered.ok &&
            m.delivered.response!.status === 202 &&
            m.receivedPath === 'POST /ingest' &&
            m.receivedBody === EVENT &&
            m.rejected.ok &&
            m.rejected.response!.status === 502,
          explanation: 'the gateway must keep doing its job: forward the event unchanged, answer 202 when the ingest service accepted it, 502 when it did not',
        },
      ],
    }),
    scenario<LoadMeasurement>({
      title: `${REQUESTS} events at concurrency ${CONCURRENCY}, local port range ${PORT_RANGE.replace(' ', '-')}`,
      deadlineMs: LOAD_WINDOW_MS + 4000,
      run: async (ctx) => {
        const { upstream } = await ingestService(ctx);
        try {
          let eaddrnotavail = 0;
          let firstError: string | undefined;
          let counting = true;
          ctx.server.onLine((line) => {
            if (!counting || !EADDRNOTAVAIL.test(line)) return;
            eaddrnotavail++;
            firstError ??= line.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(\.\d+)? /, '').slice(0, 200);
          });
          const c0 = upstream.counts();
          const conns = sampler(() => upstream.connections - c0.connections, 100);
          const delivered = sampler(() => upstream.requests - c0.requests, 100);
          ctx.progress(`${REQUESTS} events, ${CONCURRENCY} at a time`);
          let load: LoadResult;
          try {
            load = await closedLoop({
              host: ctx.server.host,
              port: ctx.server.port,
              connections: CONCURRENCY,
              requests: REQUESTS,
              durationMs: LOAD_WINDOW_MS,
              request: post(LOAD_EVENT),
              timeoutMs: 4000,
              signal: ctx.signal,
            });
          } finally {
            await conns.stop();
            await delivered.stop();
          }
          const c1 = upstream.counts();
          // Socket states right after the load: TIME_WAIT lasts 60 s, so nothing has expired yet.
          let sockets: HopSockets | undefined;
          if (ctx.netns) {
            const all = await tcpSockets(ctx.netns);
            sockets = {
              gateway: countTcpStates(all, { remotePort: UPSTREAM_PORT }),
              ingest: countTcpStates(all.filter((s) => s.state !== 'LISTEN'), { localPort: UPSTREAM_PORT }),
            };
          }
          counting = false;
          const m: LoadMeasurement = {
            load,
            accepted: load.statuses['202'] ?? 0,
            upstreamConnections: c1.connections - c0.connections,
            upstreamRequests: c1.requests - c0.requests,
            eaddrnotavail,
            firstError,
            sockets,
            connSeries: { x: conns.x, y: conns.y },
            okSeries: { x: delivered.x, y: delivered.y },
          };
          ctx.progress(`${m.accepted} accepted, ${m.upstreamConnections} upstream connections`);
          return m;
        } finally {
          await upstream.close();
          ctx.state.delete('ingest');
        }
      },
      checks: [
        {
          id: 'no-port-exhaustion',
          title: `${REQUESTS} events in a row are all delivered`,
          expected: `all ${REQUESTS} events answered 202 and received by the ingest service`,
          measured: (m) => {
            const failed = m.load.sent - m.accepted;
            const head = `${m.accepted} of ${REQUESTS} answered 202` + (m.load.sent < REQUESTS ? ` (only ${m.load.sent} sent within ${LOAD_WINDOW_MS / 1000} s)` : '');
            const rest = failed > 0 ? `; the others: ${statusList(Object.fromEntries(Object.entries(m.load.statuses).filter(([k]) => k !== '202')))}${Object.keys(m.load.errors).length ? `, errors ${statusList(m.load.errors)}` : ''}` : '';
            const log = m.eaddrnotavail ? `; your gateway logged "cannot assign requested address" ${m.eaddrnotavail} times, e.g. ${m.firstError}` : '';
            return `${head}${rest}${log}; ${socketLine(m)}`;
          },
          pass: (m) =>
            m.load.sent < REQUESTS && m.accepted === m.load.sent && m.upstreamRequests === m.load.sent
              ? 'inconclusive' // all delivered, but too slowly to send them all: an overloaded machine, retry
              : m.load.sent === REQUESTS && m.accepted === REQUESTS && m.upstreamRequests === REQUESTS,
          explanation: (m, passed) =>
            passed
              ? 'the gateway kept its connections to the ingest service open and reused them, so it never needed more than a few dozen local ports'
              : m.sockets && m.sockets.gateway.TIME_WAIT + m.sockets.gateway.ESTABLISHED >= RANGE_SIZE / 2
                ? `each event got a new connection, and each one still holds a local port (TIME_WAIT lasts 60 s on the side that closes first: here, the gateway). With ${RANGE_SIZE} ports in the range, connect() fails with EADDRNOTAVAIL after about ${RANGE_SIZE} events; with the default range (28 232 ports) the same happens after a few seconds of real traffic`
                : 'some events were not delivered: look at the statuses and at your gateway\'s log',
          hint: 'create one http.Client (with its Transport) for the whole gateway, not one per call; read the response body to EOF and close it, so the connection goes back to the idle pool; and raise Transport.MaxIdleConnsPerHost (default 2) to at least the number of concurrent calls',
          series: (m): Series[] => [
            { name: 'events delivered to the ingest service', kind: 'line', x: m.okSeries.x, y: m.okSeries.y, xLabel: 's', yLabel: 'events' },
            { name: 'connections the ingest service accepted', kind: 'line', x: m.connSeries.x, y: m.connSeries.y, xLabel: 's', yLabel: 'connections' },
          ],
        },
        {
          id: 'upstream-conns-reused',
          title: 'The ingest service sees a few dozen connections, not one per event',
          expected: `at most ${MAX_UPSTREAM_CONNS} new connections accepted by the ingest service (${CONCURRENCY} calls at a time)`,
          measured: (m) => `${m.upstreamConnections} connections for ${m.upstreamRequests} events; ${socketLine(m)}`,
          pass: (m) => m.upstreamRequests > 0 && m.upstreamConnections <= MAX_UPSTREAM_CONNS,
          explanation: (m, passed) =>
            passed
              ? 'one connection per concurrent call, reused for every later event: no handshakes, no TIME_WAIT, no port pressure on either side'
              : m.sockets && m.sockets.ingest.TIME_WAIT > m.sockets.gateway.TIME_WAIT
                ? 'the events got through, but every one opened a new connection that the ingest service closed first (Connection: close or DisableKeepAlives): the TIME_WAIT sockets moved to the ingest side, and each event still pays a TCP handshake. That moves the problem to the upstream instead of fixing it'
                : 'a gateway that reuses its connections needs about one per concurrent call; one per event means the connections are not going back to an idle pool',
          hint: 'keep-alive must stay on (no DisableKeepAlives, no Connection: close): share one Transport, drain and close every body, MaxIdleConnsPerHost >= the concurrency',
        },
      ],
    }),
  ],
});
