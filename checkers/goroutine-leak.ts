// goroutine-leak: a quote handler asks a slow pricing backend from a goroutine that sends its
// result on an unbuffered channel. When the handler gives up first (its own timeout, or the
// client went away) nobody ever receives, and the goroutine stays blocked in `chan send` for
// ever: one goroutine, with its stack and everything it references, per abandoned request.
//
// The probes, in order (N = 100 requests, fewer in the browser):
//   - quotes-correct:     three quotes (a fast SKU, a 600 ms SKU, an unknown SKU) get 200 with the
//                         right totals, 200, and 404: the fix must not break the feature
//   - leak-after-abort:   N requests for the 600 ms SKU; once the server shows them all in flight,
//                         the client aborts every connection (half FIN, half RST); after the backend
//                         work is over and the connections are gone, the settled goroutine total must
//                         be within N/10 of the baseline taken the same way just before (starter: +N)
//   - timeout-504:        N requests for the 1.5 s SKU all get 504 from the handler's 1 s timeout
//   - leak-after-timeout: after those N timeouts, the backend work and the connections gone, the
//                         settled goroutine total is within N/10 of its baseline (starter: +N)
// "Settled" = two equal readings 100 ms apart, below baseline + N/10, waited for until the lookup
// latency + 2 s (a busy server may start some lookups late; a leaked goroutine never ends).
// Goroutine totals come from /debug/pprof/goroutine?debug=1 on the admin listener (admin.go).
import { Burst } from './core/load/burst.js';
import { httpRequest, type Outcome } from './core/http/conn.js';
import { sleep } from './core/net.js';
import { goroutines } from './core/observe.js';
import type { LabServer } from './core/supervisor.js';
import { defineChecker, scenario, type Capabilities } from './core/spec.js';
import type { Series } from './core/verdict.js';

/** the backend latencies in pricing.go, and the handler's timeout in main.go */
const MONITOR_MS = 600;
const GPU_MS = 1500;
const HANDLER_TIMEOUT_MS = 1000;
/** after the backend's latency, how long the backend goroutines get to finish */
const AFTER_BACKEND_MS = 400;
/** ... and how long, at most, for lookups that a busy server started late (a leak never ends) */
const LATE_WORK_MS = 2000;
/** a net/http request in flight holds at least two goroutines: conn.serve and the background read */
const GOROUTINES_PER_REQUEST = 2;

const requestsFor = (caps: Capabilities) => Math.max(20, Math.round(100 * caps.loadScale));
/** how much the settled total may differ from the baseline: one goroutine per request is a leak */
const allowedFor = (n: number) => Math.max(3, Math.ceil(n / 10));

interface QuoteProbe {
  path: string;
  outcome: Outcome;
  want: string;
  ok: boolean;
  got: string;
}

async function quote(server: LabServer, path: string, want: { status: number; total?: number }): Promise<QuoteProbe> {
  const outcome = await httpRequest(server.host, server.port, { path }, 4000);
  const r = outcome.response;
  let got = outcome.ok ? `${r!.status}` : `no answer (${outcome.error})`;
  let ok = outcome.ok && r!.status === want.status;
  if (ok && want.total !== undefined) {
    try {
      const body = JSON.parse(r!.body.toString('utf8')) as { total_cents?: unknown };
      got += ` total_cents=${String(body.total_cents)}`;
      ok = body.total_cents === want.total;
    } catch {
      got += ' (body is not JSON)';
      ok = false;
    }
  }
  return { path, outcome, want: `${want.status}${want.total !== undefined ? ` total_cents=${want.total}` : ''}`, ok, got };
}

/** Every goroutine reading a scenario takes, for the chart (seconds since the scenario started). */
class Trace {
  private readonly t0 = Date.now();
  private readonly points: [number, number][] = [];
  record(v: number): number {
    this.points.push([Math.round((Date.now() - this.t0) / 10) / 100, v]);
    return v;
  }
  series(): { x: number[]; y: number[] } {
    const sorted = [...this.points].sort((a, b) => a[0] - b[0]);
    return { x: sorted.map((p) => p[0]), y: sorted.map((p) => p[1]) };
  }
}

/**
 * Polls the goroutine total until it has reached `atLeast` and stopped growing (two equal readings
 * in a row), or `maxMs` passes; returns the highest reading. A request holds two goroutines in
 * net/http and one more in a handler that starts a goroutine, so "at least 2 per request, and no
 * longer growing" means every request is in its handler, whichever design the handler has.
 */
async function waitForGoroutines(server: LabServer, atLeast: number, maxMs: number, signal: AbortSignal, trace: Trace): Promise<number> {
  const deadline = Date.now() + maxMs;
  let peak = 0;
  let last = -1;
  while (!signal.aborted) {
    const now = trace.record(await goroutines(server));
    peak = Math.max(peak, now);
    if ((peak >= atLeast && now === last) || Date.now() >= deadline) return peak;
    last = now;
    await sleep(20, signal);
  }
  return peak;
}

/**
 * Runs a measurement; when it fails, gives a dying server a moment to be reaped before the
 * error goes up, so that the runner reports "your server crashed" (the wrong fix that closes
 * the channel panics) instead of "could not measure".
 */
async function measuring<M>(server: LabServer, run: () => Promise<M>): Promise<M> {
  try {
    return await run();
  } catch (err) {
    await Promise.race([server.exited, sleep(2000)]);
    throw err;
  }
}

/** Reads the goroutine total every `everyMs` until `at` (a Date.now() value). */
async function watchUntil(server: LabServer, at: number, signal: AbortSignal, trace: Trace, everyMs = 100): Promise<void> {
  while (!signal.aborted && Date.now() < at) {
    trace.record(await goroutines(server));
    await sleep(Math.min(everyMs, Math.max(0, at - Date.now())), signal);
  }
}

/**
 * The settled total: two equal readings 100 ms apart, below `limit` when one is given, or the
 * last reading at `deadline`. One reading at a time, so the checker's own admin connections
 * count the same in the baseline and in the final reading.
 *
 * Why "below a limit, or the deadline": on a busy machine the server may start a few handlers
 * late, and their lookups then end late too. A goroutine that ends within a second is not a
 * leak; one blocked for ever is still there at the deadline. The starter pays for the wait.
 */
async function settled(server: LabServer, signal: AbortSignal, trace: Trace, opts: { limit?: number; deadline?: number } = {}): Promise<number> {
  const deadline = opts.deadline ?? Date.now() + 2000;
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  let last = trace.record(await goroutines(server));
  while (Date.now() < deadline && !signal.aborted) {
    await sleep(100, signal);
    const now = trace.record(await goroutines(server));
    if (now === last && now < limit) return now;
    last = now;
  }
  return last;
}

interface LeakMeasurement {
  requests: number;
  sent: number;
  connectErrors: Record<string, number>;
  baseline: number;
  /** the total once every request was seen in flight (or the highest reading before giving up) */
  peak: number;
  after: number;
  allowed: number;
  series: { x: number[]; y: number[] };
}

interface AbortMeasurement extends LeakMeasurement {
  fin: number;
  rst: number;
  answeredBeforeAbort: number;
  abortedAtMs: number;
}

interface TimeoutMeasurement extends LeakMeasurement {
  statuses: Record<string, number>;
  unanswered: number;
  slowestMs: number;
}

const leakOf = (m: LeakMeasurement) => m.after - m.baseline;

const goroutineSeries = (m: LeakMeasurement): Series[] => [
  { name: 'goroutines (total)', kind: 'line', x: m.series.x, y: m.series.y, xLabel: 's', yLabel: 'goroutines' },
  { name: 'baseline', kind: 'line', x: [m.series.x[0] ?? 0, m.series.x[m.series.x.length - 1] ?? 0], y: [m.baseline, m.baseline], xLabel: 's', yLabel: 'goroutines' },
];

const leakMeasured = (m: LeakMeasurement) =>
  `${m.baseline} before, ${m.peak} with the requests in flight, ${m.after} after everything settled: ${leakOf(m) >= 0 ? '+' : ''}${leakOf(m)}`;

export default defineChecker({
  lab: 'goroutine-leak',
  scenarios: [
    scenario({
      title: 'Quotes are answered',
      deadlineMs: 6000,
      run: async ({ server }) =>
        Promise.all([
          quote(server, '/quote?sku=keyboard&qty=3', { status: 200, total: 3 * 4900 }),
          quote(server, '/quote?sku=monitor&qty=2', { status: 200, total: 2 * 18900 }),
          quote(server, '/quote?sku=flux-capacitor', { status: 404 }),
        ]),
      checks: [
        {
          id: 'quotes-correct',
          title: 'Quotes get the right answers',
          expected: 'keyboard x3: 200 total_cents=14700; monitor x2 (a 600 ms lookup): 200 total_cents=37800; unknown SKU: 404',
          measured: (ps) => ps.map((p) => `${p.path}: ${p.got}`).join('; '),
          pass: (ps) => ps.every((p) => p.ok),
          explanation: (ps, passed) =>
            passed
              ? 'the quote endpoint works: a fix for the leak must keep it that way'
              : `a quote came back wrong (${ps
                  .filter((p) => !p.ok)
                  .map((p) => `${p.path}: wanted ${p.want}, got ${p.got}`)
                  .join('; ')}): the fix must not break the feature`,
          hint: 'keep the handler answering from the pricing result: 200 with the JSON quote, 404 for errUnknownSKU',
        },
      ],
    }),

    scenario({
      title: 'Clients that give up before the quote is ready',
      deadlineMs: 9000,
      run: async ({ server, signal, progress, caps }) => measuring(server, async (): Promise<AbortMeasurement> => {
          const n = requestsFor(caps);
          const trace = new Trace();
          const baseline = await settled(server, signal, trace);
          let burst: Burst | undefined;
          try {
            burst = await Burst.start({ host: server.host, port: server.port, requests: n, request: { path: '/quote?sku=monitor&qty=1' } });
            progress(`${burst.sent} quote requests sent, waiting for the server to run them all`);
            // Abort only once every handler is running: a request the server has not read yet cannot leak.
            const peak = await waitForGoroutines(server, baseline + GOROUTINES_PER_REQUEST * burst.sent, MONITOR_MS / 2, signal, trace);
            const aborted = burst.abort();
            const abortedAtMs = Date.now() - burst.sentAt;
            progress(`${aborted.fin} connections closed (FIN) and ${aborted.rst} reset (RST) by the client; waiting for the backend work to end`);
            await watchUntil(server, burst.sentAt + MONITOR_MS + AFTER_BACKEND_MS, signal, trace);
            await burst.waitClosed(1000, signal);
            const after = await settled(server, signal, trace, {
              limit: baseline + allowedFor(n),
              deadline: burst.sentAt + MONITOR_MS + LATE_WORK_MS,
            });
            return {
              requests: n,
              sent: burst.sent,
              connectErrors: burst.connectErrors,
              baseline,
              peak,
              after,
              allowed: allowedFor(n),
              fin: aborted.fin,
              rst: aborted.rst,
              answeredBeforeAbort: aborted.answeredBefore,
              abortedAtMs,
              series: trace.series(),
            };
          } finally {
            burst?.close();
          }
      }),
      checks: [
        {
          id: 'leak-after-abort',
          title: 'No goroutine is left behind by requests the client aborted',
          expected: (m) =>
            `${m.requests} aborted requests (half FIN, half RST, while in flight): settled goroutine total within +${m.allowed} of the baseline (one goroutine leaked per request would be +${m.requests})`,
          measured: (m) =>
            `${leakMeasured(m)} (${m.fin} FIN + ${m.rst} RST at ${m.abortedAtMs} ms, ${m.answeredBeforeAbort} already answered)`,
          pass: (m) => {
            if (leakOf(m) >= m.allowed) return false;
            // A clean result only counts if the load happened and the handlers were really running.
            const inFlight = m.peak - m.baseline >= GOROUTINES_PER_REQUEST * m.requests * 0.9;
            return m.sent === m.requests && m.answeredBeforeAbort <= m.allowed && inFlight ? true : 'inconclusive';
          },
          explanation: (m, passed) =>
            passed
              ? 'when the client went away, every goroutine the requests started ended too'
              : `${leakOf(m)} goroutines stayed after the clients went away and the backend had answered: the goroutine that sends the price on an unbuffered channel waits for a receiver, and the handler that would receive has already returned (r.Context() is canceled when the connection closes). Each one holds its stack for ever.`,
          hint: 'the sender must be able to finish without a receiver: give the channel room for the one result (make(chan priceResult, 1)), or select on ctx.Done() next to the send; pass ctx to Price as well so the lookup stops',
          series: goroutineSeries,
        },
      ],
    }),

    scenario({
      title: 'Quotes that hit the handler timeout',
      deadlineMs: 10000,
      run: async ({ server, signal, progress, caps }) => measuring(server, async (): Promise<TimeoutMeasurement> => {
          const n = requestsFor(caps);
          const trace = new Trace();
          const baseline = await settled(server, signal, trace);
          let burst: Burst | undefined;
          try {
            burst = await Burst.start({ host: server.host, port: server.port, requests: n, request: { path: '/quote?sku=gpu&qty=1' } });
            progress(`${burst.sent} requests for a ${GPU_MS} ms lookup sent; the handler gives up after ${HANDLER_TIMEOUT_MS} ms`);
            const peak = await waitForGoroutines(server, baseline + GOROUTINES_PER_REQUEST * burst.sent, HANDLER_TIMEOUT_MS / 2, signal, trace);
            // Wait for the answers (reading the goroutine total meanwhile, for the chart).
            const answerBy = burst.sentAt + GPU_MS + 2000;
            while (!signal.aborted && Date.now() < answerBy && !burst.settled()) {
              trace.record(await goroutines(server));
              await burst.waitAnswered(100, signal);
            }
            const slowestMs = Math.max(0, ...burst.responses().map((r) => r.ttfbMs ?? 0));
            const statuses = burst.statuses();
            const unanswered = burst.sent - burst.responses().length;
            progress(`answers: ${JSON.stringify(statuses)}; waiting for the backend work to end`);
            burst.close();
            await watchUntil(server, burst.sentAt + GPU_MS + AFTER_BACKEND_MS, signal, trace);
            const after = await settled(server, signal, trace, {
              limit: baseline + allowedFor(n),
              deadline: burst.sentAt + GPU_MS + LATE_WORK_MS,
            });
            return {
              requests: n,
              sent: burst.sent,
              connectErrors: burst.connectErrors,
              baseline,
              peak,
              after,
              allowed: allowedFor(n),
              statuses,
              unanswered,
              slowestMs,
              series: trace.series(),
            };
          } finally {
            burst?.close();
          }
      }),
      checks: [
        {
          id: 'timeout-504',
          title: 'A quote the backend cannot price in time gets 504',
          expected: (m) => `all ${m.requests} requests for the ${GPU_MS / 1000} s SKU answered 504 by the ${HANDLER_TIMEOUT_MS / 1000} s handler timeout`,
          measured: (m) =>
            `${m.statuses['504'] ?? 0} of ${m.sent} got 504, the last after ${(m.slowestMs / 1000).toFixed(2)} s (answers: ${JSON.stringify(m.statuses)}${m.unanswered ? `, ${m.unanswered} unanswered` : ''})`,
          pass: (m) => m.sent === m.requests && (m.statuses['504'] ?? 0) === m.requests,
          explanation: (m, passed) =>
            passed
              ? 'the handler still keeps its promise to answer within its timeout'
              : 'the quote endpoint promises an answer within 1 s: a fix that removes the timeout (waits for the backend whatever it takes) does not leak, but it hands the slowness to every client',
          hint: 'keep context.WithTimeout and the select on ctx.Done() in the handler; the leak is fixed on the sending side',
        },
        {
          id: 'leak-after-timeout',
          title: 'No goroutine is left behind by requests that timed out',
          expected: (m) =>
            `after ${m.requests} timed-out requests and the end of their ${GPU_MS / 1000} s lookups: settled goroutine total within +${m.allowed} of the baseline (one leaked per request would be +${m.requests})`,
          measured: leakMeasured,
          pass: (m) => {
            if (leakOf(m) >= m.allowed) return false;
            const inFlight = m.peak - m.baseline >= GOROUTINES_PER_REQUEST * m.requests * 0.9;
            return m.sent === m.requests && inFlight ? true : 'inconclusive';
          },
          explanation: (m, passed) =>
            passed
              ? 'after the handler timed out, the background lookups ended instead of waiting for a receiver'
              : `${leakOf(m)} goroutines stayed after the handler answered 504 and the lookups were over: each one is blocked sending a result nobody will ever read`,
          hint: 'the handler returning on ctx.Done() is right; the sender is what must not block: a buffered channel of 1, or a select with ctx.Done()',
          series: goroutineSeries,
        },
      ],
    }),
  ],
});
