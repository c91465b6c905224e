// halfopen-conns: a long-poll push gateway whose listener has TCP keep-alive switched off
// (net.ListenConfig{KeepAlive: -1}) and whose subscribe handler waits for a message or for
// the request's context, with no time limit. A phone that drops off the network sends no FIN
// and no RST: net/http's background read never returns, the context is never cancelled, and
// the subscriber keeps its socket, its file descriptor and two goroutines for ever.
//
// The whole check runs in its own network namespace, so nft can make peers vanish: the
// checker opens long polls from fixed client ports (VANISHED_PORT_BASE..), drops every packet
// from and to those ports in both directions (the nft `blackhole` fault), and only then
// destroys its client sockets, so their FINs never reach the server (the fault's counters
// prove it). Then it watches the server from outside: its fd count (/proc), its goroutine
// total (pprof on the admin listener), and the server-side sockets of those ports
// (/proc/net/tcp of the namespace). The gateway cannot fake any of these.
//
// The probes, in order:
//   - delivers:               a subscriber's long poll waits (no answer for WAIT_MS), and gets the
//                             message published on its channel
//   - vanished-peers-freed:   VANISHED subscribers vanish without a FIN; within FREE_WITHIN_MS the
//                             server holds no socket for them and its fds and goroutines are back
//                             to the baseline measured before they connected
//                             (starter: never; Go's default keep-alive: after ~150 s;
//                             KeepAliveConfig{2 s, 1 s, 3}: ~5 s; poll timeout + IdleTimeout: ~8 s)
//   - live-subscribers-kept:  LIVE subscribers that stay connected through the same window (re-polling
//                             when answered without a message, as a real client does) are never cut
//                             off mid-poll, and all get the message published at the end: silence is
//                             not death, a dead-peer detector must tell them apart
import { randomBytes } from 'node:crypto';
import { RawConn, httpRequest, type Outcome } from './core/http/conn.js';
import {
  addBlackholePorts,
  applyNft,
  nftCounters,
  removeNft,
  tcpSockets,
  type AppliedNft,
  type BlackholeFault,
  type TcpSocket,
} from './core/netns/index.js';
import { sleep } from './core/net.js';
import { goroutines, procStats, settledGoroutines } from './core/observe.js';
import { defineChecker, scenario, type ScenarioContext } from './core/spec.js';
import type { Series } from './core/verdict.js';

/** subscribers that vanish, and the fixed client ports they use (below the ephemeral range, 32768+) */
const VANISHED = 20;
const VANISHED_PORT_BASE = 30001;
/** subscribers that stay connected during the same window */
const LIVE = 3;
/** how long after the peers vanished the server must have let go of them */
const FREE_WITHIN_MS = 15_000;
/** a long poll must not be answered before a message exists */
const WAIT_MS = 600;
/** noise allowed over the baseline (the checker's own admin requests come and go) */
const FD_SLACK = 2;
const GOROUTINE_SLACK = 3;
const SAMPLE_MS = 250;

const tag = () => randomBytes(3).toString('hex');
const subscribe = (channel: string) => ({ path: `/subscribe?channel=${encodeURIComponent(channel)}` });
const publish = (channel: string, msg: string) => ({
  method: 'POST',
  path: `/publish?channel=${encodeURIComponent(channel)}`,
  headers: { 'Content-Type': 'text/plain' },
  body: msg,
});
/** a message body, with any heartbeat whitespace a server may have streamed before it */
const messageOf = (body: Buffer) => body.toString('utf8').trim();

interface DeliverMeasurement {
  answeredEarly?: string;
  published: Outcome;
  got?: { status: number; body: string };
  error?: string;
  message: string;
}

/**
 * A live subscriber, as a phone app that stays online: it long-polls, and after any answer that
 * is not the message it waits for (a poll timeout's 204, heartbeats...) it polls again, on the same
 * connection or, if the server closed it after answering, on a new one. A connection closed while
 * a poll was waiting, with no answer, is a cut: that subscriber lost its place.
 */
class LiveSubscriber {
  got?: string;
  polls = 0;
  reconnects = 0;
  cut?: string;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(
    host: string,
    port: number,
    readonly channel: string,
    readonly expect: string,
  ) {
    this.done = this.run(host, port);
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(host: string, port: number): Promise<void> {
    let conn: RawConn | undefined;
    try {
      for (let i = 0; i < 200 && !this.stopped; i++) {
        if (!conn || !conn.isOpen) {
          if (conn) this.reconnects++;
          conn = await RawConn.open(host, port, { timeoutMs: 3000 });
        }
        const answered = conn.next(FREE_WITHIN_MS + 10_000);
        conn.send(subscribe(this.channel));
        this.polls++;
        let r;
        try {
          r = await answered;
        } catch {
          if (this.stopped) return;
          const c = conn.closeState;
          this.cut = c ? `the server closed the connection (${c.by}${c.code ? ` ${c.code}` : ''}) after ${(c.atMs / 1000).toFixed(1)} s, while the poll was waiting` : 'no answer';
          return;
        }
        if (r.status === 200 && messageOf(r.body) === this.expect) {
          this.got = this.expect;
          return;
        }
        if (r.status >= 500 || r.status === 429) await sleep(100); // a real client backs off a little
      }
    } catch (err) {
      this.cut ??= `could not reconnect: ${(err as Error).message}`;
    } finally {
      conn?.close();
    }
  }
}

interface Reading {
  atMs: number;
  fds: number;
  goroutines: number;
  /** server-side sockets of the vanished ports still ESTABLISHED (or CLOSE_WAIT) */
  halfOpen: number;
}

interface VanishMeasurement {
  base: { fds: number; goroutines: number };
  held?: Reading;
  opened: number;
  openErrors: string[];
  /** FINs/RSTs and retransmissions of the vanished clients that nft dropped */
  droppedFromClients: number;
  /** keep-alive probes, heartbeats, answers the server sent them, dropped */
  droppedToClients: number;
  readings: Reading[];
  freedAtMs?: number;
  live: { got: number; cut: string[]; polls: number; reconnects: number };
}

const vanishedPorts = Array.from({ length: VANISHED }, (_, i) => VANISHED_PORT_BASE + i);

/** Server-side sockets whose peer is one of the vanished client ports, still holding the connection. */
function halfOpenCount(all: TcpSocket[], serverPort: number): number {
  const ports = new Set(vanishedPorts);
  return all.filter((s) => s.localPort === serverPort && ports.has(s.remotePort) && (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT')).length;
}

async function read(ctx: ScenarioContext, t0: number): Promise<Reading> {
  const fds = procStats(ctx.server.pid).fds;
  const g = await goroutines(ctx.server);
  const halfOpen = halfOpenCount(await tcpSockets(ctx.netns!), ctx.server.port);
  return { atMs: Date.now() - t0, fds, goroutines: g, halfOpen };
}

const above = (r: Reading, m: VanishMeasurement) => `+${r.fds - m.base.fds} fds, +${r.goroutines - m.base.goroutines} goroutines`;
const isFreed = (r: Reading, m: VanishMeasurement) =>
  r.halfOpen === 0 && r.fds <= m.base.fds + FD_SLACK && r.goroutines <= m.base.goroutines + GOROUTINE_SLACK;
const heldAll = (m: VanishMeasurement) => !!m.held && m.held.halfOpen === VANISHED && m.held.fds >= m.base.fds + VANISHED && m.held.goroutines >= m.base.goroutines + VANISHED;

export default defineChecker({
  lab: 'halfopen-conns',
  server: { admin: true },
  // A fresh namespace: nothing else uses the fixed client ports, and nft can drop their packets.
  // tcp_retries2 pinned to the kernel default: unacknowledged data is retransmitted for ~15 min.
  netns: { sysctls: { 'net.ipv4.tcp_retries2': '15' } },
  scenarios: [
    scenario<DeliverMeasurement>({
      title: 'A subscriber waits, and gets the message published on its channel',
      deadlineMs: 6000,
      run: async (ctx) => {
        const channel = `user-${tag()}`;
        const message = `hello ${tag()}`;
        let conn: RawConn | undefined;
        try {
          conn = await RawConn.open(ctx.server.host, ctx.server.port, { timeoutMs: 2000 });
          const answer = conn.next(4000);
          conn.send(subscribe(channel));
          const early = await Promise.race([answer.then((r) => r, () => undefined), sleep(WAIT_MS).then(() => 'waiting' as const)]);
          if (early !== 'waiting') {
            return { message, published: { ok: false, ms: 0, error: 'not sent' }, answeredEarly: early ? `${early.status} ${JSON.stringify(messageOf(early.body).slice(0, 80))}` : `the connection closed (${conn.closeState?.by ?? 'unknown'})` };
          }
          const published = await httpRequest(ctx.server.host, ctx.server.port, publish(channel, message), 2000);
          const r = await answer;
          return { message, published, got: { status: r.status, body: messageOf(r.body) } };
        } catch (err) {
          return { message, published: { ok: false, ms: 0, error: 'not sent' }, error: (err as Error).message };
        } finally {
          conn?.close();
        }
      },
      checks: [
        {
          id: 'delivers',
          title: 'A long poll waits for a message and receives it',
          expected: `GET /subscribe is not answered for ${WAIT_MS} ms; after POST /publish on its channel it is answered 200 with the message`,
          measured: (m) =>
            m.answeredEarly
              ? `answered before anything was published: ${m.answeredEarly}`
              : m.error
                ? `the subscriber got no answer: ${m.error}`
                : `publish -> ${m.published.ok ? m.published.response!.status : m.published.error}; the subscriber got ${m.got!.status} ${JSON.stringify(m.got!.body.slice(0, 80))}`,
          pass: (m) => !m.answeredEarly && !m.error && m.published.ok && m.published.response!.status === 200 && m.got?.status === 200 && m.got.body === m.message,
          explanation: 'the gateway must keep doing its job: a subscriber waits until a message is published on its channel, then gets it as the body',
        },
      ],
    }),
    scenario<VanishMeasurement>({
      title: `${VANISHED} subscribers vanish without a FIN, ${LIVE} stay online`,
      deadlineMs: FREE_WITHIN_MS + 9000,
      run: async (ctx) => {
        const ns = ctx.netns;
        if (!ns) throw new Error('this check must run in a network namespace');
        const { host, port } = ctx.server;
        const finalMsg = `still there ${tag()}`;
        const liveChannel = `live-${tag()}`;
        const live = Array.from({ length: LIVE }, () => new LiveSubscriber(host, port, liveChannel, finalMsg));
        const vanished: RawConn[] = [];
        let fault: AppliedNft<BlackholeFault> | undefined;
        try {
          await sleep(300, ctx.signal);
          const base = { fds: procStats(ctx.server.pid).fds, goroutines: await settledGoroutines(ctx.server, { signal: ctx.signal }) };
          const m: VanishMeasurement = { base, opened: 0, openErrors: [], droppedFromClients: 0, droppedToClients: 0, readings: [], live: { got: 0, cut: [], polls: 0, reconnects: 0 } };

          // The subscribers that will vanish: from fixed ports, so nft can find them.
          ctx.progress(`${VANISHED} subscribers connect`);
          const opened = await Promise.allSettled(vanishedPorts.map((p) => RawConn.open(host, port, { timeoutMs: 3000, localPort: p })));
          for (const o of opened) {
            if (o.status === 'fulfilled') {
              vanished.push(o.value);
              o.value.send(subscribe(`phone-${o.value.socket.localPort}`));
            } else m.openErrors.push((o.reason as Error).message);
          }
          m.opened = vanished.length;
          // Wait until the server holds them all: their sockets, fds and goroutines (bounded).
          const t0 = Date.now();
          for (let i = 0; i < 20; i++) {
            m.held = await read(ctx, t0);
            if (heldAll(m)) {
              // one more reading, so that every handler has settled into its wait
              await sleep(200, ctx.signal);
              const again = await read(ctx, t0);
              if (again.halfOpen === VANISHED) m.held = again;
              break;
            }
            await sleep(100, ctx.signal);
          }
          if (!heldAll(m) || m.opened < VANISHED) return m;

          // They vanish: every packet from and to their ports is dropped, THEN the sockets go.
          fault = applyNft(ns, { kind: 'blackhole', ports: [] });
          addBlackholePorts(fault, vanishedPorts);
          for (const c of vanished) c.close();
          const tFault = Date.now();
          ctx.progress(`${VANISHED} subscribers vanished; watching the server for ${FREE_WITHIN_MS / 1000} s`);
          while (Date.now() - tFault <= FREE_WITHIN_MS && !ctx.signal.aborted) {
            const r = await read(ctx, tFault);
            m.readings.push(r);
            if (isFreed(r, m) && r.atMs >= 200) {
              m.freedAtMs = r.atMs;
              break;
            }
            await sleep(SAMPLE_MS, ctx.signal);
          }
          const counters = nftCounters(ns)[fault.id];
          m.droppedFromClients = counters?.byDirection.sport?.dropped.packets ?? 0;
          m.droppedToClients = counters?.byDirection.dport?.dropped.packets ?? 0;

          // The live subscribers are still there: publish to them.
          ctx.progress('publishing to the live subscribers');
          await httpRequest(host, port, publish(liveChannel, finalMsg), 2000);
          await Promise.race([Promise.all(live.map((l) => l.done)), sleep(2500, ctx.signal)]);
          m.live = {
            got: live.filter((l) => l.got === finalMsg).length,
            cut: live.map((l) => l.cut).filter((c): c is string => !!c),
            polls: live.reduce((n, l) => n + l.polls, 0),
            reconnects: live.reduce((n, l) => n + l.reconnects, 0),
          };
          return m;
        } finally {
          for (const l of live) l.stop();
          for (const c of vanished) c.close();
          if (fault) removeNft(fault);
        }
      },
      checks: [
        {
          id: 'vanished-peers-freed',
          title: `Subscribers that vanish without a FIN are let go within ${FREE_WITHIN_MS / 1000} s`,
          expected: `${VANISHED} subscribers held, then cut off by nft (their FINs dropped); within ${FREE_WITHIN_MS / 1000} s: none of their sockets left on the server, fds and goroutines back to the baseline (± ${FD_SLACK} fds, ${GOROUTINE_SLACK} goroutines)`,
          measured: (m) => {
            if (m.opened < VANISHED) return `only ${m.opened} of ${VANISHED} subscribers could connect: ${m.openErrors[0] ?? ''}`;
            if (!heldAll(m)) return `the server did not hold the ${VANISHED} waiting subscribers: ${m.held?.halfOpen ?? 0} of their connections open, ${m.held ? above(m.held, m) : ''}`;
            const last = m.readings[m.readings.length - 1];
            const head = `${VANISHED} subscribers held (${above(m.held!, m)}); nft dropped ${m.droppedFromClients} packets from them (their FINs) and ${m.droppedToClients} to them`;
            return m.freedAtMs !== undefined
              ? `${head}; all let go ${(m.freedAtMs / 1000).toFixed(1)} s after they vanished`
              : `${head}; ${(last.atMs / 1000).toFixed(1)} s later: ${last.halfOpen} of their sockets still open on the server, ${above(last, m)}`;
          },
          pass: (m) => {
            if (m.opened < VANISHED || !heldAll(m)) return false;
            if (m.droppedFromClients < VANISHED) return 'inconclusive'; // the fault did not demonstrably fire
            return m.freedAtMs !== undefined && m.freedAtMs <= FREE_WITHIN_MS;
          },
          explanation: (m, passed) =>
            passed
              ? 'the server noticed that the peers were gone (keep-alive probes went unanswered, or a poll ended and the idle connection timed out) and closed their connections: the request contexts were cancelled, the handlers returned, the fds went back'
              : !heldAll(m)
                ? 'the check needs your server to keep waiting subscribers connected, as a long poll does'
                : m.readings.length && m.readings[m.readings.length - 1].halfOpen > 0
                  ? 'a peer that vanishes sends nothing: no FIN, no RST. With TCP keep-alive off, and a handler that waits with no time limit, nothing on the server ever touches these connections again: net/http\'s background read blocks for ever, the request context is never cancelled, and each one keeps a socket, an fd and two goroutines. Go\'s default keep-alive (15 s idle, then 9 probes 15 s apart) would notice after about 150 s'
                  : 'the sockets are gone but fds or goroutines are not back to the baseline: something else is still holding them',
          hint: 'let the kernel probe idle peers: net.ListenConfig{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 2 * time.Second, Interval: time.Second, Count: 3}} frees a vanished peer in about 5 s. Or end each poll after a few seconds (204, the client polls again) and set Server.IdleTimeout, so that a silent connection is closed between polls',
          series: (m): Series[] | undefined =>
            m.readings.length
              ? [
                  { name: 'server sockets of the vanished subscribers', kind: 'line', x: m.readings.map((r) => r.atMs / 1000), y: m.readings.map((r) => r.halfOpen), xLabel: 's after they vanished', yLabel: 'sockets' },
                  { name: 'goroutines above the baseline', kind: 'line', x: m.readings.map((r) => r.atMs / 1000), y: m.readings.map((r) => r.goroutines - m.base.goroutines), xLabel: 's after they vanished', yLabel: 'goroutines' },
                ]
              : undefined,
        },
        {
          id: 'live-subscribers-kept',
          title: 'Subscribers that stay online are not cut off, and get their message',
          expected: `all ${LIVE} live subscribers (silent, re-polling after any answer without a message) get the message published at the end; none loses a waiting poll to a closed connection`,
          measured: (m) =>
            m.readings.length === 0
              ? 'not measured: the vanished-subscriber part did not run'
              : `${m.live.got} of ${LIVE} got the message after ${m.live.polls} polls (${m.live.reconnects} reconnects after an answer)` +
                (m.live.cut.length ? `; cut off: ${m.live.cut[0]}` : ''),
          pass: (m) => m.readings.length > 0 && m.live.got === LIVE && m.live.cut.length === 0,
          explanation: (m, passed) =>
            passed
              ? 'a live subscriber is as silent as a vanished one at the HTTP level; only the TCP layer (its kernel answers keep-alive probes and acknowledges data) or a poll that ends on time tells them apart'
              : m.live.cut.length
                ? 'a live subscriber lost its waiting poll: closing connections because they have been silent, or open, for too long cuts off every online phone too. Silence is not death'
                : 'the live subscribers did not get the message published on their channel',
          hint: 'detect dead peers with TCP keep-alive (or TCP_USER_TIMEOUT with heartbeats), or answer a poll with 204 after a few seconds and let IdleTimeout close connections that do not poll again; never close a connection while its poll is waiting',
        },
      ],
    }),
  ],
});
