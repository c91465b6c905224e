// route-reload: a stub server keeps its routes in a plain map and rewrites that map in place
// when SIGHUP asks it to reload its routes file, while every connection's goroutine reads it.
//
// The server is built with -race and run with GORACE=halt_on_error=1, so the first data race
// stops it: what "fatal error: concurrent map read and map write" does to the plain build now
// and then, the race detector does every time.
//
// One scenario. The checker writes config A (400 routes every config lists, plus
// /api/reports/v1) to ROUTES_FILE and restarts the server, which loads it at start-up. It
// starts steady keep-alive load on four of the shared routes (3 connections each), then sends
// 30 SIGHUPs, alternating config B (adds /api/reports/v2, removes /api/reports/v1) and config A
// (the reverse). After each SIGHUP it polls, on fresh connections, until the added route answers
// 200 and the removed one 404 (at most 2 s), then lets at least 40 more load requests finish
// before the next reload. 400 routes make a reload that rebuilds the table in place slow enough
// (milliseconds) for the load to land in it every time.
//   - stays-up:           the same process is still running after the 30 reloads
//   - no-failed-requests: every load request (routes present in both configs) got 200:
//                         no 404, no 5xx, no reset, no refused connection
//   - routes-updated:     every reload took effect: the added route 200, the removed one 404
//   - race-free:          the race detector printed no "WARNING: DATA RACE"
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpRequest } from './core/http/conn.js';
import { steadyLoad, type SteadyCounts } from './core/load/steady.js';
import { sleep } from './core/net.js';
import { defineChecker, scenario } from './core/spec.js';
import type { LabServer } from './core/supervisor.js';

const ROUTES_FILE = 'routes.json'; // relative to the server's working directory, the check's temp dir
const RELOADS = 30;
const CONNECTIONS_PER_ROUTE = 3;
const REQUESTS_BETWEEN_RELOADS = 40;
const RELOAD_EFFECT_MS = 2000;
const MIN_REQUESTS = RELOADS * REQUESTS_BETWEEN_RELOADS;

/** Routes that every config lists: the stub of a shop's API, 20 resources × 20 routes. */
const RESOURCES = [
  'users', 'orders', 'products', 'carts', 'payments', 'shipments', 'invoices', 'reviews', 'coupons', 'stores',
  'suppliers', 'warehouses', 'returns', 'refunds', 'wishlists', 'addresses', 'sessions', 'prices', 'taxes', 'reports',
];
const STABLE = RESOURCES.flatMap((r) => [`/api/${r}`, ...Array.from({ length: 19 }, (_, i) => `/api/${r}/${i + 1}`)]);
/** The routes under load: a quarter, half, three quarters and all the way into the file. */
const LOADED = ['/api/payments/19', '/api/coupons/19', '/api/wishlists/19', '/api/reports/19'];
const V1 = '/api/reports/v1';
const V2 = '/api/reports/v2';

function config(extra: string): string {
  const routes = [...STABLE, extra].map((path) => ({
    path,
    status: 200,
    reply: `{"route":"${path}","host":"{{.Host}}"}\n`,
  }));
  return JSON.stringify({ routes }, null, 1) + '\n';
}
const CONFIG_A = config(V1);
const CONFIG_B = config(V2);

/** Writes the routes file atomically: the server never reads half a file. */
function writeRoutes(dir: string, body: string): void {
  const tmp = join(dir, `${ROUTES_FILE}.tmp`);
  writeFileSync(tmp, body);
  renameSync(tmp, join(dir, ROUTES_FILE));
}

async function status(server: LabServer, path: string): Promise<number | string> {
  const r = await httpRequest(server.host, server.port, { path }, 1000);
  return r.ok ? r.response!.status : (r.error ?? 'no answer');
}

/** After a SIGHUP: poll until `added` answers 200 and `removed` 404. Resolves with ms taken, or undefined. */
async function waitForRoutes(server: LabServer, added: string, removed: string, signal: AbortSignal): Promise<number | undefined> {
  const t0 = Date.now();
  while (Date.now() - t0 < RELOAD_EFFECT_MS && !signal.aborted && !server.exitInfo()) {
    if ((await status(server, added)) === 200 && (await status(server, removed)) === 404) return Date.now() - t0;
    await sleep(5, signal);
  }
  return undefined;
}

interface Measurement {
  initialLoad: boolean;
  reloadsSent: number;
  reloadsApplied: number;
  slowestReloadMs: number;
  /** the reload that did not take effect (1-based), if any */
  stuckAt?: number;
  load: SteadyCounts;
  failedPerReload: number[];
  exit?: string;
  diedAfterReload?: number;
  raceReports: number;
  raceLine?: string;
  crashLine?: string;
}

function failureSummary(c: SteadyCounts): string {
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const p of Object.values(c.byPath)) {
    for (const [k, v] of Object.entries(p.statuses)) if (k !== '200') statuses[k] = (statuses[k] ?? 0) + v;
    for (const [k, v] of Object.entries(p.errors)) errors[k] = (errors[k] ?? 0) + v;
  }
  const parts = [
    ...Object.entries(statuses).map(([k, v]) => `${v} × ${k}`),
    ...Object.entries(errors).map(([k, v]) => `${v} × ${k}`),
  ];
  return parts.join(', ');
}

function exitSentence(m: Measurement): string {
  const why = m.raceReports
    ? 'the race detector stopped it at a data race'
    : m.crashLine
      ? m.crashLine
      : m.exit === 'killed by SIGHUP'
        ? "SIGHUP's default action terminates a process: subscribe with signal.Notify before serving"
        : 'it exited';
  const when = m.diedAfterReload ? `during reload ${m.diedAfterReload} of ${RELOADS}` : 'before the first reload';
  return `the server exited (${m.exit}) ${when}: ${why}`;
}

export default defineChecker({
  lab: 'route-reload',
  server: {
    race: true,
    admin: false,
    env: { ROUTES_FILE, GORACE: 'halt_on_error=1' },
  },
  scenarios: [
    scenario<Measurement>({
      title: `${RELOADS} reloads (SIGHUP) under steady load`,
      deadlineMs: 15_000,
      run: async (ctx) => {
        const { tmpDir, signal, progress } = ctx;
        // Config A is in place before the server starts: it loads it in main, before serving.
        writeRoutes(tmpDir, CONFIG_A);
        const server = await ctx.restart();
        const initialLoad = (await status(server, V1)) === 200 && (await status(server, V2)) === 404;
        const m: Measurement = {
          initialLoad,
          reloadsSent: 0,
          reloadsApplied: 0,
          slowestReloadMs: 0,
          load: { done: 0, ok: 0, failed: 0, byPath: {} },
          failedPerReload: [],
          raceReports: 0,
        };
        if (initialLoad) {
          const load = steadyLoad({
            host: server.host,
            port: server.port,
            paths: LOADED,
            connectionsPerPath: CONNECTIONS_PER_ROUTE,
            timeoutMs: 2000,
            maxMs: 12_000,
            signal,
          });
          server.exited.then(() => void load.stop());
          try {
            await load.waitFor(REQUESTS_BETWEEN_RELOADS, 2000);
            for (let i = 1; i <= RELOADS && !signal.aborted && !server.exitInfo(); i++) {
              const before = load.counts().failed;
              const toB = i % 2 === 1;
              writeRoutes(tmpDir, toB ? CONFIG_B : CONFIG_A);
              server.signal('SIGHUP');
              m.reloadsSent = i;
              const ms = await waitForRoutes(server, toB ? V2 : V1, toB ? V1 : V2, signal);
              if (ms === undefined) {
                if (!server.exitInfo()) m.stuckAt = i;
                m.failedPerReload.push(load.counts().failed - before);
                break;
              }
              m.reloadsApplied = i;
              m.slowestReloadMs = Math.max(m.slowestReloadMs, ms);
              await load.waitFor(REQUESTS_BETWEEN_RELOADS, 1000);
              m.failedPerReload.push(load.counts().failed - before);
              progress(`reload ${i}/${RELOADS}: ${load.counts().done} requests, ${load.counts().failed} failed`);
            }
          } finally {
            m.load = await load.stop();
          }
        }
        // A report or a crash may still be on its way out.
        await Promise.race([server.exited, sleep(300, signal)]);
        const logs = server.logs();
        m.raceReports = logs.filter((l) => l.includes('WARNING: DATA RACE')).length;
        const first = logs.findIndex((l) => l.includes('WARNING: DATA RACE'));
        if (first >= 0) m.raceLine = raceLocation(logs.slice(first, first + 40));
        m.crashLine = logs.find((l) => /^(fatal error|panic):/.test(l));
        const info = server.exitInfo();
        if (info) {
          m.exit = info.signal ? `killed by ${info.signal}` : `exit code ${info.code}`;
          m.diedAfterReload = m.reloadsSent;
        }
        return m;
      },
      checks: [
        {
          id: 'stays-up',
          title: 'The server survives the reloads',
          expected: `the same process still running after ${RELOADS} reloads under load`,
          measured: (m) =>
            m.exit
              ? exitSentence(m)
              : m.stuckAt
                ? `still running after ${m.reloadsSent} reload${m.reloadsSent === 1 ? '' : 's'} (the reloads stopped when reload ${m.stuckAt} did not take effect)`
                : `still running after ${m.reloadsSent} reloads`,
          pass: (m) => !m.exit,
          explanation: (m, passed) =>
            passed
              ? 'reloading swapped the routes without stopping the process'
              : m.raceReports
                ? `a goroutine wrote the route map while others read it${m.raceLine ? ` (${m.raceLine})` : ''}. Without -race the same bug is "fatal error: concurrent map read and map write", which cannot be recovered: the process dies and every connection with it`
                : 'a reload must never take the process down: a panic outside a handler (for example from registering a pattern twice on a live http.ServeMux) kills it',
          hint: 'build the new routes off to the side (a fresh http.ServeMux per config) and publish it with one atomic.Pointer Store; never mutate what requests are reading',
        },
        {
          id: 'no-failed-requests',
          title: 'Routes in both configs never fail during reloads',
          expected: `every request to ${LOADED.join(', ')} answered 200 (at least ${MIN_REQUESTS} requests, load running through every reload)`,
          measured: (m) => {
            const c = m.load;
            const base = `${c.done} requests, ${c.failed} failed${c.failed ? `: ${failureSummary(c)}` : ''}`;
            return m.exit ? `${base} (${exitSentence(m)})` : base;
          },
          pass: (m) => {
            if (m.exit || m.load.failed > 0 || !m.initialLoad) return false;
            // A server that stopped reloading failed routes-updated; here, judge only what was measured.
            if (m.reloadsApplied < RELOADS) return m.load.done >= m.reloadsApplied * REQUESTS_BETWEEN_RELOADS ? true : 'inconclusive';
            return m.load.done >= MIN_REQUESTS ? true : 'inconclusive';
          },
          explanation: (m, passed) =>
            passed
              ? 'requests in flight during a reload saw either the old routes or the new ones, never something in between'
              : m.exit
                ? 'the requests in flight when the server died failed, and new connections were refused'
                : 'a request arrived while the reload had removed the old routes and not yet added the new ones, so a route that both configs list answered 404 (or worse)',
          hint: 'readers must never see a half-built table: build the complete new mux first, then swap it in with a single atomic store (or hold one lock for the whole rebuild)',
          series: (m) =>
            m.failedPerReload.length
              ? [
                  {
                    name: 'failed requests per reload',
                    kind: 'line',
                    x: m.failedPerReload.map((_, i) => i + 1),
                    y: m.failedPerReload,
                    xLabel: 'reload',
                    yLabel: 'failed requests',
                  },
                ]
              : undefined,
        },
        {
          id: 'routes-updated',
          title: 'Every reload adds and removes routes',
          expected: `after each of ${RELOADS} reloads, within ${RELOAD_EFFECT_MS / 1000} s: the added route answers 200 and the removed one 404`,
          measured: (m) => {
            if (!m.initialLoad)
              return m.exit ? exitSentence(m) : `started with config A in ROUTES_FILE, but ${V1} did not answer 200 or ${V2} not 404`;
            if (m.reloadsApplied === RELOADS) return `${RELOADS} of ${RELOADS} took effect, the slowest in ${m.slowestReloadMs} ms`;
            if (m.stuckAt) return `reload ${m.stuckAt} did not take effect within ${RELOAD_EFFECT_MS / 1000} s`;
            return `${m.reloadsApplied} of ${RELOADS} took effect, then ${m.exit ? exitSentence(m) : 'the check stopped'}`;
          },
          pass: (m) => m.initialLoad && m.reloadsApplied === RELOADS,
          explanation: (m, passed) =>
            passed
              ? 'new routes go live and removed routes are gone, without a restart'
              : m.exit
                ? 'a reload that kills the process updates nothing'
                : 'the server must re-read ROUTES_FILE on every SIGHUP and serve exactly the routes it lists: removed routes answer 404',
          hint: 'http.ServeMux has no way to remove a pattern, and registering one twice panics: build a new mux from each config instead of changing the live one',
        },
        {
          id: 'race-free',
          title: 'The race detector reports nothing',
          expected: 'no "WARNING: DATA RACE" from the -race build',
          measured: (m) => (m.raceReports ? `WARNING: DATA RACE${m.raceLine ? `: ${m.raceLine}` : ''}` : 'no data race reported'),
          pass: (m) => m.raceReports === 0,
          explanation: (m, passed) =>
            passed
              ? 'every read of the route table is ordered after the write that published it (an atomic or a lock on both sides)'
              : 'two goroutines touched the same memory, at least one writing, with nothing ordering them. A mutex only on the writer, or a plain pointer assignment, is still a race: the reader must synchronise too',
          hint: 'use atomic.Pointer[http.ServeMux] (Load in ServeHTTP, Store in reload) or a sync.RWMutex taken by both ServeHTTP (RLock) and reload (Lock)',
        },
      ],
    }),
  ],
});

/** "read at router.go:21 by goroutine 42 / previous write at router.go:38 by goroutine 9" from a race report. */
function raceLocation(report: string[]): string | undefined {
  const found: string[] = [];
  let kind: string | undefined;
  for (const line of report) {
    const head = /^(Read|Write|Previous read|Previous write) at .* by goroutine (\d+)/.exec(line.trim());
    if (head) {
      kind = head[1]!.toLowerCase();
      continue;
    }
    if (kind) {
      const where = /\/([^/\s]+\.go:\d+)/.exec(line);
      if (where && !/\/go\/src\//.test(line) && /^\s/.test(line)) {
        found.push(`${kind} at ${where[1]}`);
        kind = undefined;
      }
    }
    if (found.length === 2) break;
  }
  return found.length ? found.join(', ') : undefined;
}
