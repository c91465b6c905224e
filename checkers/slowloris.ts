// slowloris: a server with no header timeout, run with a small open-files limit, is taken
// down by a few hundred connections that send their headers one byte at a time.
//
// The attack: 200 connections dribble an endless request head, 1 byte every 500 ms. Ten of
// them first send one complete request on the connection and read its answer (kept-alive
// slowloris: the endless head is their second request). One second in, a normal client asks
// for GET /products. Everything is judged at 9 s at the latest.
//   - slow-headers-closed:           the server closes every slow first-head connection (FIN or RST) within 9 s
//   - keepalive-slow-headers-closed: the server closes every slow second head on a kept-alive connection within 9 s
//   - available-under-attack:        the normal request is answered within the same window
// A server with ReadHeaderTimeout (or ReadTimeout) of a few seconds passes all three; one with no
// read deadline holds every slow connection, runs out of file descriptors and serves nobody. A
// read deadline set once at accept time (ConnContext, a listener wrapper) covers only the
// first head: net/http resets the deadline after each request head and between requests.
import { setMaxListeners } from 'node:events';
import { SlowHeaderAttack } from './core/attacks/slow-headers.js';
import { httpRequest, type Outcome } from './core/http/conn.js';
import { sleep } from './core/net.js';
import { sampler, tryProcStats } from './core/observe.js';
import { defineChecker, scenario } from './core/spec.js';

const OPEN_FILES = 128;
const ATTACKERS = 200;
const KEPT = 10; // opened first: one normal request each, then the endless head as their second request
const WATCHED = 20; // opened next: accepted at once, so their close time is the server's timeout
const WINDOW_MS = 9000;
const PROBE_AT_MS = 1000;

export default defineChecker({
  lab: 'slowloris',
  server: { openFiles: OPEN_FILES },
  scenarios: [
    scenario({
      title: 'A normal request, before any attack',
      deadlineMs: 5000,
      run: async ({ server }) => httpRequest(server.host, server.port, { path: '/products' }, 3000),
      checks: [
        {
          id: 'serves',
          title: 'GET /products answers 200',
          expected: '200 with a JSON body',
          measured: (r) => (r.ok ? `${r.response!.status} in ${r.ms} ms` : `no answer: ${r.error}`),
          pass: (r) => r.ok && r.response!.status === 200,
          explanation: 'the server must work before it can be attacked',
        },
      ],
    }),
    scenario({
      title: `Slowloris: ${ATTACKERS} connections sending headers at 1 byte / 500 ms`,
      deadlineMs: WINDOW_MS + 4000,
      run: async ({ server, signal, progress }) => {
        const stopAttack = new AbortController();
        setMaxListeners(0, stopAttack.signal);
        signal.addEventListener('abort', () => stopAttack.abort(), { once: true });
        const { host, port } = server;
        const kept = new SlowHeaderAttack({ host, port, connections: KEPT, firstRequest: { path: '/products' }, signal: stopAttack.signal });
        const watched = new SlowHeaderAttack({ host, port, connections: WATCHED, signal: stopAttack.signal });
        const crowd = new SlowHeaderAttack({ host, port, connections: ATTACKERS - KEPT - WATCHED, signal: stopAttack.signal });
        const t0 = Date.now();
        const fds = sampler(() => tryProcStats(server.pid)?.fds, 250);
        const open = sampler(() => kept.stillOpen() + watched.stillOpen() + crowd.stillOpen(), 250);
        try {
          await kept.start();
          await watched.start();
          await crowd.start();
          progress(`${kept.connected() + watched.connected() + crowd.connected()} slow connections open`);
          await sleep(Math.max(0, PROBE_AT_MS - (Date.now() - t0)), signal);
          // The normal client: it waits as long as the window lasts.
          const probeStarted = Date.now();
          const probe: Outcome = await httpRequest(server.host, server.port, { path: '/products' }, WINDOW_MS - (probeStarted - t0));
          progress(probe.ok ? `normal request served after ${probe.ms} ms` : `normal request failed: ${probe.error}`);
          // Wait for the watched and kept-alive connections to be closed, or for the window to end.
          while (Date.now() - t0 < WINDOW_MS && watched.stillOpen() + kept.stillOpen() > 0 && !signal.aborted) await sleep(100, signal);
          return {
            kept: kept.conns.length,
            keptServed: kept.firstServed(),
            keptClosed: kept.closedByServer(),
            keptOpen: kept.stillOpen(),
            keptSlowestCloseMs: kept.slowestCloseAfterHeadMs(),
            watched: watched.conns.length,
            watchedConnected: watched.connected(),
            watchedClosed: watched.closedByServer(),
            watchedOpen: watched.stillOpen(),
            slowestCloseMs: watched.slowestCloseMs(),
            crowdConnected: crowd.connected(),
            probe,
            probeAtMs: probeStarted - t0,
            peakFds: Math.max(0, ...fds.y),
            fdSeries: await fds.stop(),
            openSeries: await open.stop(),
          };
        } finally {
          stopAttack.abort();
          kept.stop();
          watched.stop();
          crowd.stop();
          await fds.stop();
          await open.stop();
        }
      },
      checks: [
        {
          id: 'slow-headers-closed',
          title: 'Slow-header connections are closed by the server',
          expected: `all ${WATCHED} watched slow-header connections closed by the server within ${WINDOW_MS / 1000} s`,
          measured: (m) =>
            m.watchedConnected < WATCHED
              ? `only ${m.watchedConnected} of ${WATCHED} slow connections could connect`
              : m.watchedClosed === WATCHED
                ? `all ${m.watchedClosed} closed, the slowest after ${((m.slowestCloseMs ?? 0) / 1000).toFixed(1)} s`
                : `${m.watchedConnected - m.watchedClosed} of ${m.watchedConnected} not closed by the server after ${WINDOW_MS / 1000} s (server fds peaked at ${m.peakFds} of ${OPEN_FILES})`,
          pass: (m) => m.watchedConnected === WATCHED && m.watchedClosed === WATCHED,
          explanation: (m, passed) =>
            passed
              ? 'a client that does not finish its request head in time loses its connection, so it cannot hold a file descriptor and a goroutine for ever'
              : 'with no ReadHeaderTimeout (and no ReadTimeout) net/http waits for the request head for ever; every slow client keeps a file descriptor and a goroutine',
          hint: 'give the http.Server a ReadHeaderTimeout of a few seconds (the window here is 9 s); IdleTimeout alone does not cover the first request, and http.TimeoutHandler only starts once the headers are in',
          series: (m) => [
            { name: 'slow connections still open', kind: 'line', x: m.openSeries.x, y: m.openSeries.y, xLabel: 's', yLabel: 'connections' },
            { name: 'server open file descriptors', kind: 'line', x: m.fdSeries.x, y: m.fdSeries.y, xLabel: 's', yLabel: 'fds' },
          ],
        },
        {
          id: 'keepalive-slow-headers-closed',
          title: 'A slow second request head on a kept-alive connection is closed too',
          expected: `${KEPT} connections that got a 200 for GET /products, then dribble their next request head, are all closed by the server within ${WINDOW_MS / 1000} s`,
          measured: (m) =>
            m.keptServed < KEPT
              ? `only ${m.keptServed} of ${KEPT} first requests were answered with 2xx before the slow head`
              : m.keptClosed === KEPT
                ? `all ${m.keptClosed} closed, the slowest ${((m.keptSlowestCloseMs ?? 0) / 1000).toFixed(1)} s after its slow head began`
                : `${KEPT - m.keptClosed} of ${KEPT} not closed by the server after ${WINDOW_MS / 1000} s`,
          pass: (m) => m.keptServed === KEPT && m.keptClosed === KEPT,
          explanation: (m, passed) =>
            passed
              ? 'net/http arms the header deadline again for every request on a connection, once its first bytes arrive'
              : m.keptServed < KEPT
                ? 'the server must answer a plain GET /products on a fresh connection before this can be measured'
                : 'a deadline set once when the connection is accepted (ConnContext, a listener wrapper) covers only the first request: after each request head net/http sets the read deadline from ReadTimeout, and between requests from IdleTimeout then ReadHeaderTimeout; with those zero it clears the deadline, so the next head may take for ever',
          hint: 'let net/http set the deadline for every request head: Server.ReadHeaderTimeout (or ReadTimeout) is re-armed for each new request on a kept-alive connection',
        },
        {
          id: 'available-under-attack',
          title: 'A normal request is served during the attack',
          expected: `GET /products sent ${PROBE_AT_MS / 1000} s into the attack is answered with 200 within ${WINDOW_MS / 1000} s of the attack's start`,
          measured: (m) =>
            m.probe.ok
              ? `${m.probe.response!.status} after ${(m.probe.ms / 1000).toFixed(1)} s`
              : `not served: ${m.probe.error} after ${(m.probe.ms / 1000).toFixed(1)} s (server fds peaked at ${m.peakFds} of ${OPEN_FILES})`,
          pass: (m) => m.probe.ok && m.probe.response!.status === 200,
          explanation: (m, passed) =>
            passed
              ? 'the slow connections were dropped in time, so file descriptors came free and real clients got in'
              : `the server can open only ${OPEN_FILES} files; once slow clients hold them all, accept fails with "too many open files" and real clients wait in the kernel's queue`,
          hint: 'the fix is the same timeout: once slow connections are closed, their file descriptors come back; limiting connections (netutil.LimitListener) only moves the queue',
        },
      ],
    }),
  ],
});
