// keepalive-reuse: a server behind a load balancer that defeats connection reuse. A middleware
// answers every API request with `Connection: close`, and IdleTimeout (1 s) is far shorter than
// the load balancer's idle timeout (5 s, stated in the lesson), so the balancer keeps picking
// connections the server has already closed.
//
// The checker plays the load balancer. After a baseline request, at the same time:
//   - reuse-ratio:      200 requests, one after the other, round-robin over a pool of 4 keep-alive
//                       connections to GET /api/items; the pool replaces a connection only when the
//                       server closed it. At most 8 connections may be opened (>= 25 requests each),
//                       and every request is answered.
//   - reuse-after-idle: 10 connections each serve one request, stay idle 3 s (a quiet moment, well
//                       inside the balancer's 5 s), then carry a second request: all 10 answered on
//                       the same connection.
//   - lb-closes-first:  10 more connections each serve one request and stay idle 6 s, past the
//                       balancer's 5 s idle timeout: the server has closed none of them (the balancer
//                       is the one that closes idle connections, so it never writes on a dead one).
// A connection the server closed while the balancer still counted it as idle is a failed request
// in production (a reset, a 502, or a retry if the balancer retries).
import { httpRequest } from './core/http/conn.js';
import { idlePool, poolRun, tally, type IdleConnResult, type PoolRunResult } from './core/http/pool.js';
import { defineChecker, scenario } from './core/spec.js';

const LB_IDLE_TIMEOUT_S = 5; // the load balancer's idle timeout, stated in the lesson

const POOL = 4;
const REQUESTS = 200;
const MAX_CONNECTIONS = 8; // >= 25 requests per connection

const IDLE_CONNS = 10;
const QUIET_MS = 3000; // a quiet moment: longer than the starter's IdleTimeout, shorter than the LB's
const PAST_LB_MS = 6000; // past the LB's idle timeout, with 1 s of margin

const api = { path: '/api/items' };

interface Measurement {
  ratio: PoolRunResult;
  quiet: IdleConnResult[];
  pastLb: IdleConnResult[];
}

function describeIdle(rs: IdleConnResult[]): string {
  const t = tally(rs);
  const parts: string[] = [];
  if (t.served) parts.push(`${t.served} served on the same connection`);
  if (t.open) parts.push(`${t.open} still open`);
  if (t['closed-after-response']) parts.push(`${t['closed-after-response']} closed by the server right after the first response (Connection: close)`);
  if (t['closed-while-idle']) {
    const after = rs.flatMap((r) => (r.outcome === 'closed-while-idle' && r.closedAfterMs !== undefined ? [r.closedAfterMs] : []));
    const lo = (Math.min(...after) / 1000).toFixed(1);
    const hi = (Math.max(...after) / 1000).toFixed(1);
    const when = after.length ? ` after ${lo === hi ? lo : `${lo}–${hi}`} s idle` : '';
    parts.push(`${t['closed-while-idle']} closed by the server while idle${when}`);
  }
  if (t['failed-on-reuse']) parts.push(`${t['failed-on-reuse']} failed: no answer on the reused connection`);
  if (t['first-failed']) parts.push(`${t['first-failed']} failed on the first request`);
  return parts.join(', ');
}

export default defineChecker({
  lab: 'keepalive-reuse',
  server: { admin: false },
  scenarios: [
    scenario({
      title: 'A normal request',
      deadlineMs: 5000,
      run: async ({ server }) => httpRequest(server.host, server.port, api, 3000),
      checks: [
        {
          id: 'serves',
          title: 'GET /api/items answers 200',
          expected: '200 with a JSON body',
          measured: (r) => (r.ok ? `${r.response!.status} in ${r.ms} ms` : `no answer: ${r.error}`),
          pass: (r) => r.ok && r.response!.status === 200,
          explanation: 'the server must work before its connection handling is measured',
        },
      ],
    }),
    scenario<Measurement>({
      title: `A load balancer with a ${LB_IDLE_TIMEOUT_S} s idle timeout, pooling connections to your server`,
      deadlineMs: PAST_LB_MS + 5000,
      run: async ({ server, signal, progress }) => {
        const { host, port } = server;
        progress(`${REQUESTS} requests over ${POOL} pooled connections; ${IDLE_CONNS * 2} connections left idle`);
        const [ratio, quiet, pastLb] = await Promise.all([
          poolRun({ host, port, size: POOL, requests: REQUESTS, request: api, signal }),
          idlePool({ host, port, connections: IDLE_CONNS, request: api, idleMs: QUIET_MS, reuse: true, signal }),
          idlePool({ host, port, connections: IDLE_CONNS, request: api, idleMs: PAST_LB_MS, reuse: false, signal }),
        ]);
        return { ratio, quiet, pastLb };
      },
      checks: [
        {
          id: 'reuse-ratio',
          title: 'Keep-alive connections are reused',
          expected: `${REQUESTS} sequential requests over a pool of ${POOL} connections open at most ${MAX_CONNECTIONS} connections (at least ${REQUESTS / MAX_CONNECTIONS} requests per connection), all answered`,
          measured: (m) => {
            const r = m.ratio;
            const perConn = r.connectionsOpened ? (r.sent / r.connectionsOpened).toFixed(1) : '0';
            return (
              `${r.sent} requests opened ${r.connectionsOpened} connections (${perConn} requests per connection); ${r.ok} answered` +
              (r.closeHeaders ? `, ${r.closeHeaders} responses said Connection: close` : '') +
              (r.closedSilently ? `, ${r.closedSilently} connections closed by the server without saying so` : '') +
              (r.failed ? `, ${r.failed} failed (${Object.entries(r.errors).map(([k, v]) => `${k} ${v}`).join(', ')})` : '')
            );
          },
          pass: (m) => m.ratio.sent === REQUESTS && m.ratio.ok === REQUESTS && m.ratio.connectionsOpened <= MAX_CONNECTIONS,
          explanation: (m, passed) =>
            passed
              ? 'HTTP/1.1 keeps connections open by default and net/http reuses them; every request after the first on a connection saves a TCP handshake and a goroutine start'
              : m.ratio.closeHeaders
                ? 'a response with "Connection: close" makes net/http close the connection after writing it (closeAfterReply), so the client must open a new one for the next request: a handshake per request, and TIME_WAIT sockets piling up on the server, which closed first'
                : 'the server closed connections between back-to-back requests',
          hint: 'find what sets the Connection header on API responses and remove it; keep-alive is on by default in net/http, nothing needs to be enabled',
        },
        {
          id: 'reuse-after-idle',
          title: `Connections idle for ${QUIET_MS / 1000} s are still usable`,
          expected: `${IDLE_CONNS} connections, idle ${QUIET_MS / 1000} s after one request (less than the balancer's ${LB_IDLE_TIMEOUT_S} s idle timeout), each answer a second request`,
          measured: (m) => describeIdle(m.quiet),
          pass: (m) => m.quiet.length === IDLE_CONNS && m.quiet.every((r) => r.outcome === 'served'),
          explanation: (m, passed) =>
            passed
              ? 'the server keeps idle connections at least as long as the balancer does, so a connection the balancer picks from its pool is alive'
              : m.quiet.some((r) => r.outcome === 'closed-after-response')
                ? 'with "Connection: close" there is no idle connection to reuse: every request pays for a new connection'
                : 'the server closed connections the balancer still held as idle; a balancer that writes its next request on one of them gets a reset or EOF instead of an answer (a failed request, or a retry)',
          hint: `IdleTimeout is how long net/http keeps an idle keep-alive connection; it must be longer than the balancer's ${LB_IDLE_TIMEOUT_S} s idle timeout`,
        },
        {
          id: 'lb-closes-first',
          title: `Idle connections outlive the balancer's ${LB_IDLE_TIMEOUT_S} s idle timeout`,
          expected: `${IDLE_CONNS} connections left idle after one request are still open after ${PAST_LB_MS / 1000} s (the balancer closes its idle connections at ${LB_IDLE_TIMEOUT_S} s, so it is always the one that closes)`,
          measured: (m) => describeIdle(m.pastLb),
          pass: (m) => m.pastLb.length === IDLE_CONNS && m.pastLb.every((r) => r.outcome === 'open'),
          explanation: (m, passed) =>
            passed
              ? 'the balancer closes idle connections before the server would: it never writes a request on a connection the server is closing at that very moment'
              : m.pastLb.some((r) => r.outcome === 'closed-while-idle')
                ? `the server closes idle connections at or before the balancer's ${LB_IDLE_TIMEOUT_S} s: a request the balancer sends at that moment crosses the server's FIN. If IdleTimeout is zero, net/http uses ReadTimeout instead`
                : 'with "Connection: close" no connection ever becomes idle',
          hint: `set IdleTimeout well above ${LB_IDLE_TIMEOUT_S} s (60–120 s is common); remember that a zero IdleTimeout falls back to ReadTimeout`,
        },
      ],
    }),
  ],
});
