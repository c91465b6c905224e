// graceful-shutdown: a server that dies on SIGTERM cuts the requests in flight and loses the
// jobs it had accepted. Every deploy, scale-down and node drain sends that SIGTERM.
//
// Before any signal: GET /export streams its 20 rows (1280 bytes, ~1.1 s) and POST /jobs
// answers 202 with an id that the worker then writes to $JOBS_DIR/done.log.
//
// Then: 4 exports are started and each has received its first row; 40 jobs are accepted
// (202, ~4 s of worker time); SIGTERM goes to the server. From that moment the checker
//   - reads the 4 exports to their end,
//   - dials GET /healthz on a fresh connection every 50 ms,
//   - waits up to 8 s (the grace period) for the process to exit, then SIGKILLs it,
//   - reads $JOBS_DIR/done.log and $JOBS_DIR/pending.jsonl.
// Probes:
//   - in-flight-complete:       all 4 exports arrive whole, byte for byte
//   - new-dials-refused:        every dial from 0.5 s after SIGTERM on is refused (ECONNREFUSED)
//   - not-ready-when-draining:  every /healthz answered to a dial started 100 ms or more after
//                               SIGTERM is a 503 (answering none at all, listener closed, is fine)
//   - jobs-kept:                every accepted job id is in done.log or pending.jsonl
//   - clean-exit:               the process exits by itself, exit code 0, within 8 s
// The starter dies of the signal at once: cut exports, lost jobs, "killed by SIGTERM".
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RawConn, httpRequest, type Outcome } from './core/http/conn.js';
import { InFlightRequest, type InFlightResult } from './core/http/in-flight.js';
import { watchDials, type DialAttempt } from './core/load/dial-watch.js';
import { sleep } from './core/net.js';
import { defineChecker, scenario, type ScenarioContext } from './core/spec.js';
import { describeExit, type ExitInfo } from './core/supervisor.js';

/** The export, byte for byte: 20 rows of 64 bytes (labs/graceful-shutdown/export.go). */
const EXPORT_ROWS = 20;
const exportRow = (i: number) => `row ${String(i).padStart(4, '0')} ${'x'.repeat(54)}\n`;
const EXPORT_BODY = Buffer.from(Array.from({ length: EXPORT_ROWS }, (_, i) => exportRow(i)).join(''), 'latin1');

/** The jobs directory, relative to the server's working directory (the check's temp dir). */
const JOBS_DIR = 'jobs';
const EXPORTS = 4;
const JOBS = 40; // 40 × 100 ms: the worker is still busy when any sane shutdown begins
const GRACE_MS = 8000; // SIGTERM → SIGKILL, as an orchestrator does (Kubernetes: 30 s)
const REFUSE_BY_MS = 500; // dials from here on must be refused
const READY_JUDGED_FROM_MS = 100; // the server gets this long to notice the signal
const DIAL_EVERY_MS = 50;
const DIAL_MIN_WINDOW_MS = 800; // keep dialing at least this long after SIGTERM

interface Baseline {
  export: Outcome;
  job: { status?: number; id?: string; error?: string; doneAfterMs?: number };
}

interface Drain {
  setupError?: string;
  exportsStarted: number;
  inFlightAtSignal: number;
  accepted: string[];
  exports: InFlightResult[];
  dials: DialAttempt[];
  exit?: ExitInfo;
  /** ms from SIGTERM to the exit */
  exitAfterMs?: number;
  killedAtGrace: boolean;
  done: Set<string>;
  pending: Set<string>;
  lost: string[];
}

function jobsDir(tmpDir: string): string {
  return join(tmpDir, JOBS_DIR);
}

/** Job ids in done.log (one per line) and pending.jsonl (one JSON object with "id" per line). */
function readJobFiles(dir: string): { done: Set<string>; pending: Set<string> } {
  const lines = (file: string) =>
    existsSync(join(dir, file))
      ? readFileSync(join(dir, file), 'utf8')
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
      : [];
  const done = new Set(lines('done.log'));
  const pending = new Set<string>();
  for (const line of lines('pending.jsonl')) {
    try {
      const id = (JSON.parse(line) as { id?: unknown }).id;
      if (typeof id === 'string') pending.add(id);
    } catch {
      pending.add(line); // a bare id is accepted too
    }
  }
  return { done, pending };
}

function jobIdFrom(body: Buffer): string | undefined {
  try {
    const id = (JSON.parse(body.toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'string' && id ? id : undefined;
  } catch {
    return undefined;
  }
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const exportWhole = (r: InFlightResult) => !!r.response?.complete && r.response.status === 200 && r.response.body.equals(EXPORT_BODY);
const lateDials = (m: Drain) => m.dials.filter((d) => d.atMs >= REFUSE_BY_MS);
const judgedHealth = (m: Drain) => m.dials.filter((d) => d.atMs >= READY_JUDGED_FROM_MS && d.outcome === 'answered');
const setupOk = (m: Drain) => !m.setupError;

export default defineChecker({
  lab: 'graceful-shutdown',
  server: { admin: false, env: { JOBS_DIR } },
  scenarios: [
    scenario<Baseline>({
      title: 'Before any signal: an export and a job',
      deadlineMs: 6000,
      run: async ({ server, tmpDir, signal }) => {
        const exportP = httpRequest(server.host, server.port, { path: '/export' }, 4000);
        const job: Baseline['job'] = {};
        const r = await httpRequest(server.host, server.port, { method: 'POST', path: '/jobs', body: 'baseline report' }, 2000);
        job.status = r.response?.status;
        job.error = r.ok ? undefined : r.error;
        job.id = r.ok ? jobIdFrom(r.response!.body) : undefined;
        if (job.id) {
          const t0 = Date.now();
          while (Date.now() - t0 < 2000 && !signal.aborted) {
            if (readJobFiles(jobsDir(tmpDir)).done.has(job.id)) {
              job.doneAfterMs = Date.now() - t0;
              break;
            }
            await sleep(50, signal);
          }
        }
        return { export: await exportP, job };
      },
      checks: [
        {
          id: 'export-works',
          title: 'GET /export streams the whole export',
          expected: `200 with the ${EXPORT_BODY.length}-byte export (${EXPORT_ROWS} rows)`,
          measured: (m) =>
            m.export.response
              ? `${m.export.response.status}, ${m.export.response.body.length} bytes${m.export.response.body.equals(EXPORT_BODY) ? '' : ' (not the expected rows)'} in ${s(m.export.ms)}`
              : `no answer: ${m.export.error}`,
          pass: (m) => m.export.ok && m.export.response!.status === 200 && m.export.response!.body.equals(EXPORT_BODY),
          explanation: 'the export must work before it can be interrupted; keep export.go as it is',
        },
        {
          id: 'jobs-work',
          title: 'POST /jobs is accepted and the worker records it in done.log',
          expected: `202 {"id": ...}, and the id in ${JOBS_DIR}/done.log within 2 s`,
          measured: (m) =>
            m.job.status === undefined
              ? `no answer: ${m.job.error}`
              : !m.job.id
                ? `${m.job.status} without a job id`
                : m.job.doneAfterMs === undefined
                  ? `${m.job.status} ${m.job.id}, not in done.log after 2 s`
                  : `${m.job.status} ${m.job.id}, in done.log after ${s(m.job.doneAfterMs)}`,
          pass: (m) => m.job.status === 202 && !!m.job.id && m.job.doneAfterMs !== undefined,
          explanation: 'the checker proves that no job is lost by reading done.log and pending.jsonl in $JOBS_DIR; keep the Queue writing them',
        },
      ],
    }),
    scenario<Drain>({
      title: `SIGTERM with ${EXPORTS} exports in flight and ${JOBS} jobs queued`,
      deadlineMs: GRACE_MS + 5000,
      run: async (ctx) => {
        const open: OpenRequests = { exports: [] };
        try {
          return await sigtermWithWorkInFlight(ctx, open);
        } finally {
          for (const e of open.exports) e.close();
          open.jobsConn?.close();
        }
      },
      checks: [
        {
          id: 'in-flight-complete',
          title: 'Requests in flight at SIGTERM complete with their full body',
          expected: `all ${EXPORTS} exports in flight at SIGTERM arrive whole: ${EXPORT_BODY.length} bytes, final chunk included`,
          measured: (m) => {
            if (m.setupError) return `not measured: ${m.setupError}`;
            const whole = m.exports.filter(exportWhole).length;
            if (whole === EXPORTS) return `${whole} of ${EXPORTS} complete, ${EXPORT_BODY.length} bytes each`;
            const cut = new Map<string, number>();
            for (const r of m.exports.filter((r) => !exportWhole(r))) {
              const k = `${r.response?.body.length ?? 0} of ${EXPORT_BODY.length} bytes, ${r.error ?? 'not the expected rows'}`;
              cut.set(k, (cut.get(k) ?? 0) + 1);
            }
            return `${whole} of ${EXPORTS} complete; cut: ${[...cut].map(([k, n]) => `${n} × ${k}`).join('; ')}`;
          },
          pass: (m) => setupOk(m) && m.exports.length === EXPORTS && m.exports.every(exportWhole),
          explanation: (m, passed) =>
            passed
              ? 'the server stopped taking new connections but let the requests it had already accepted finish'
              : m.exit?.signal === 'SIGTERM'
                ? 'the process died of the signal: a Go program that has not called signal.Notify for SIGTERM exits at once, and the kernel closes every connection'
                : 'the process exited (or closed the connections) while the exports were still streaming. Shutdown waits for active connections only if main waits for Shutdown: ListenAndServe returns ErrServerClosed the moment Shutdown starts, and Close or an expired Shutdown deadline leaves the requests to be cut',
          hint: 'catch SIGTERM with signal.NotifyContext, call srv.Shutdown(ctx) with a deadline longer than your longest request, and let main return only after Shutdown has returned',
        },
        {
          id: 'new-dials-refused',
          title: 'New connections are refused once the server drains',
          expected: `every dial from ${REFUSE_BY_MS / 1000} s after SIGTERM on is refused (ECONNREFUSED)`,
          measured: (m) => {
            if (m.setupError) return `not measured: ${m.setupError}`;
            const late = lateDials(m);
            const firstRefused = m.dials.find((d) => d.outcome === 'refused');
            const bad = late.filter((d) => d.outcome !== 'refused');
            const first = firstRefused ? `first refused at ${s(firstRefused.atMs)}` : 'none refused';
            if (!bad.length) return `${first}; all ${late.length} dials from ${REFUSE_BY_MS / 1000} s on refused`;
            const kinds = [...new Set(bad.map((d) => (d.outcome === 'answered' ? `answered ${d.status}` : `${d.outcome} ${d.code ?? ''}`.trim())))];
            return `${bad.length} of ${late.length} dials from ${REFUSE_BY_MS / 1000} s on were not refused (${kinds.join(', ')}); ${first}`;
          },
          pass: (m) => setupOk(m) && lateDials(m).length > 0 && lateDials(m).every((d) => d.outcome === 'refused'),
          explanation: (m, passed) =>
            passed
              ? 'a refused dial is an honest answer: the client (or the load balancer) retries on another replica at once, while a connection that is accepted and then cut costs it a timeout or an error'
              : 'the listener was still open: new clients kept arriving at a server that was about to go away. Shutdown closes the listeners first; a server that ignores SIGTERM, or sleeps before Shutdown, keeps accepting',
          hint: `call srv.Shutdown within ${REFUSE_BY_MS / 1000} s of the signal: it closes the listeners first (if you keep serving for a readiness delay first, keep it under ${REFUSE_BY_MS / 1000} s here; behind Kubernetes it is a few seconds)`,
          series: (m) => [
            {
              name: 'dial accepted (1) or refused (0)',
              kind: 'line',
              x: m.dials.map((d) => d.atMs / 1000),
              y: m.dials.map((d) => (d.outcome === 'refused' ? 0 : 1)),
              xLabel: 's after SIGTERM',
              yLabel: 'accepted',
            },
          ],
        },
        {
          id: 'not-ready-when-draining',
          title: '/healthz never says ready after SIGTERM',
          expected: `every /healthz answered to a dial started ${READY_JUDGED_FROM_MS} ms or more after SIGTERM is 503 (refusing the dial is fine too)`,
          measured: (m) => {
            if (m.setupError) return `not measured: ${m.setupError}`;
            const answered = judgedHealth(m);
            if (!answered.length) return `no /healthz answered after ${READY_JUDGED_FROM_MS} ms (the listener was closed)`;
            const counts = new Map<number, number>();
            for (const d of answered) counts.set(d.status!, (counts.get(d.status!) ?? 0) + 1);
            return `${answered.length} answered: ${[...counts].map(([st, n]) => `${n} × ${st}`).join(', ')}`;
          },
          pass: (m) => setupOk(m) && judgedHealth(m).every((d) => d.status === 503),
          explanation: (m, passed) =>
            passed
              ? 'a load balancer polling readiness sees 503 (or nothing) and stops routing here, while the requests already in flight finish'
              : 'the server kept saying "ready" while it was going away: a load balancer keeps routing new requests to it, and they fail when the listener closes',
          hint: 'flip an atomic.Bool when the signal arrives and make /healthz answer 503 from then on (http.StatusServiceUnavailable)',
        },
        {
          id: 'jobs-kept',
          title: 'No accepted job is lost',
          expected: `each of the ${JOBS} accepted job ids is in ${JOBS_DIR}/done.log (finished) or ${JOBS_DIR}/pending.jsonl (persisted)`,
          measured: (m) => {
            if (m.setupError) return `not measured: ${m.setupError}`;
            const done = m.accepted.filter((id) => m.done.has(id)).length;
            const persisted = m.accepted.filter((id) => !m.done.has(id) && m.pending.has(id)).length;
            const lost = m.lost.length ? ` (${m.lost.slice(0, 3).join(', ')}${m.lost.length > 3 ? ', ...' : ''})` : '';
            return `${m.accepted.length} accepted: ${done} done, ${persisted} persisted, ${m.lost.length} lost${lost}${m.killedAtGrace ? '; the server was SIGKILLed at the end of the grace period' : ''}`;
          },
          pass: (m) => setupOk(m) && m.accepted.length === JOBS && m.lost.length === 0,
          explanation: (m, passed) =>
            passed
              ? 'every job the server answered 202 for was either run or handed to the next process: the 202 was a promise the server kept'
              : m.exit?.signal === 'SIGTERM' || m.killedAtGrace
                ? 'the process was killed with jobs still in memory: a 202 was answered, and the job is gone'
                : 'the process returned from main with jobs in memory: the queued ones, or the one the worker was holding (it is no longer in the queue, so Persist cannot save it unless you wait for the worker first)',
          hint: 'after Shutdown has returned (no handler can Submit any more): either Close the queue and wait for Run to finish the rest (drain), or close the worker\'s stop channel, wait for Run to return, then Persist',
        },
        {
          id: 'clean-exit',
          title: 'The process exits by itself, code 0, within the grace period',
          expected: `exit code 0 within ${GRACE_MS / 1000} s of SIGTERM (after that the orchestrator sends SIGKILL)`,
          measured: (m) => {
            if (m.setupError) return `not measured: ${m.setupError}`;
            if (m.killedAtGrace || !m.exit) return `still running ${GRACE_MS / 1000} s after SIGTERM: SIGKILLed`;
            return `${describeExit(m.exit)} after ${s(m.exitAfterMs ?? 0)}`;
          },
          pass: (m) => setupOk(m) && !m.killedAtGrace && !!m.exit && m.exit.code === 0 && m.exit.signal === null && (m.exitAfterMs ?? Infinity) <= GRACE_MS,
          explanation: (m, passed) =>
            passed
              ? 'the orchestrator sees a clean stop; nothing had to be killed'
              : m.exit?.signal === 'SIGTERM'
                ? "killed by SIGTERM: the signal's default action, because nothing in the program asked to receive it"
                : m.killedAtGrace
                  ? 'the process outlived the grace period: the orchestrator SIGKILLs it, and whatever was still running is lost. Bound every wait (a Shutdown deadline, a bounded drain)'
                  : 'a non-zero exit after SIGTERM looks like a crash to the orchestrator (and to your alerts); log.Fatal on http.ErrServerClosed or on a Shutdown error does this',
          hint: 'return from main (exit code 0) once Shutdown and the queue are done; give Shutdown a deadline so the whole drain fits in the grace period',
        },
      ],
    }),
  ],
});

interface OpenRequests {
  exports: InFlightRequest[];
  jobsConn?: RawConn;
}

/** The second scenario's measurement: work in flight, SIGTERM, then what the wire and the disk show. */
async function sigtermWithWorkInFlight({ server, tmpDir, signal, progress }: ScenarioContext, open: OpenRequests): Promise<Drain> {
  const m: Drain = {
    exportsStarted: 0,
    inFlightAtSignal: 0,
    accepted: [],
    exports: [],
    dials: [],
    killedAtGrace: false,
    done: new Set(),
    pending: new Set(),
    lost: [],
  };
  try {
    // 1. Exports in flight: each has its first row before the signal is sent.
    for (let i = 0; i < EXPORTS; i++) {
      open.exports.push(await InFlightRequest.start(server.host, server.port, { path: '/export' }, { responseTimeoutMs: GRACE_MS + 3000 }));
    }
    // 2. Jobs: 40 accepted on one keep-alive connection.
    open.jobsConn = await RawConn.open(server.host, server.port, { timeoutMs: 2000 });
    for (let i = 0; i < JOBS && !signal.aborted; i++) {
      const r = await open.jobsConn.request({ method: 'POST', path: '/jobs', body: `report ${i}` }, 2000).catch(() => undefined);
      const id = r?.status === 202 ? jobIdFrom(r.body) : undefined;
      if (!id) {
        m.setupError = `POST /jobs #${i + 1} answered ${r ? `${r.status} ${r.body.toString('utf8').trim().slice(0, 60)}` : 'nothing'}`;
        break;
      }
      m.accepted.push(id);
    }
    const started = await Promise.all(open.exports.map((e) => e.waitFor(exportRow(0), 3000, signal)));
    m.exportsStarted = started.filter(Boolean).length;
    m.inFlightAtSignal = open.exports.filter((e) => e.inFlight).length;
    if (!m.setupError && m.exportsStarted < EXPORTS) m.setupError = `only ${m.exportsStarted} of ${EXPORTS} exports started streaming within 3 s`;
    if (!m.setupError && m.inFlightAtSignal < EXPORTS) m.setupError = `only ${m.inFlightAtSignal} of ${EXPORTS} exports were still in flight`;
    if (m.setupError) return m;
  } catch (err) {
    m.setupError = `could not start the requests: ${(err as Error).message}`;
    return m;
  }
  progress(`${EXPORTS} exports in flight, ${m.accepted.length} jobs accepted: SIGTERM`);

  // 3. SIGTERM, then watch: the exports, new dials, the exit.
  const tSig = Date.now();
  server.signal('SIGTERM');
  let exitedAt: number | undefined;
  const exited = server.exited.then((info) => {
    exitedAt ??= Date.now();
    return info;
  });
  const dialsP = watchDials({
    host: server.host,
    port: server.port,
    req: { path: '/healthz' },
    t0: tSig,
    everyMs: DIAL_EVERY_MS,
    timeoutMs: 500,
    until: (at) => at >= GRACE_MS || (exitedAt !== undefined && at >= DIAL_MIN_WINDOW_MS),
    maxAttempts: Math.ceil(GRACE_MS / DIAL_EVERY_MS) + 10,
    signal,
  });
  const exportsP = Promise.all(open.exports.map((e) => e.result()));
  const exit = await Promise.race([exited, sleep(GRACE_MS, signal).then(() => undefined)]);
  if (!exit) {
    m.killedAtGrace = true;
    progress(`still running ${GRACE_MS / 1000} s after SIGTERM: SIGKILL`);
    await server.kill();
  } else {
    m.exit = exit;
    m.exitAfterMs = (exitedAt ?? Date.now()) - tSig;
    progress(`exited after ${s(m.exitAfterMs)} (${describeExit(exit)})`);
  }
  m.exports = await exportsP;
  m.dials = await dialsP;

  // 4. The jobs: on disk, from outside the process.
  const files = readJobFiles(jobsDir(tmpDir));
  m.done = files.done;
  m.pending = files.pending;
  m.lost = m.accepted.filter((id) => !m.done.has(id) && !m.pending.has(id));
  return m;
}
