// zero-downtime-restart: a deploy writes the new release (release.json) and sends SIGHUP to the
// PID in the server's PID file; the server must replace itself with a new process running the
// new release, and no client may notice. The starter closes its listener and its connections,
// starts the new process and exits: every dial in the gap is refused, every request in flight is
// cut, and a release that fails to start leaves nothing running. Loading a release takes 200 ms
// (app.go: the quote book), so the starter's gap is never shorter than that.
//
// One scenario, under continuous load (6 keep-alive workers, GET /quote with a 2 ms pause; a
// worker whose connection is closed reconnects, and a GET that fails on a reused connection
// before any byte of its answer is retried once on a new one, as http.Transport does; a dial
// refused or reset, a new connection closed without an answer, a cut body, a timeout: failures):
//   - serves:                  before any restart, GET /quote answers 200 with X-Release v1 and
//                              X-Server-Pid; that PID and the one in PID_FILE are running processes
//                              of the server's process group (the group of the process started)
//   - restarted:               3 times: release.json gets v2, v3, v4, two GET /report (1.05 s
//                              streams) are in flight, SIGHUP goes to the PID in PID_FILE; a new
//                              process of the server's process group serves the new release within
//                              3 s, and the process that served before has exited within 5 s
//   - zero-failed-requests:    across the 3 restarts, not one request failed (refused, reset,
//                              closed, truncated, timed out), and every serving process answered
//                              at least MIN_PER_PROCESS requests (the load really ran throughout)
//   - in-flight-complete:      the 6 reports in flight at a SIGHUP arrive whole
//   - accepted-connections-answered: 2 connections opened just before each SIGHUP (accepted by the
//                              old process) send GET /quote 700 ms after it, when a hand-over has
//                              begun (a new process is ready ~250 ms after SIGHUP): all 6 answered 200
//   - failed-release-survives: release.json is broken (the new process exits at start-up), SIGHUP:
//                              for the next 1.5 s every request is still answered, by the process
//                              that served before, which is still running
// The kernel is not needed: one socket handed from process to process needs only loopback.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { RawConn, httpRequest, type Outcome } from './core/http/conn.js';
import { InFlightRequest, type InFlightResult } from './core/http/in-flight.js';
import { ContinuousLoad, type ContinuousLoadResult, type FailureKind } from './core/load/continuous.js';
import { sleep } from './core/net.js';
import { isRunning, procInfo } from './core/process.js';
import { defineChecker, scenario, type ScenarioContext } from './core/spec.js';

const RELEASE_FILE = 'release.json';
const PID_FILE = 'server.pid';
const RESTARTS = 3;
const KEEPALIVE_WORKERS = 6;
const PAUSE_MS = 2;
const WARMUP_MS = 300;
/** load on each new process before the next SIGHUP */
const SETTLE_MS = 300;
const NEW_PROCESS_WITHIN_MS = 3000;
const OLD_EXIT_WITHIN_MS = 5000;
const MIN_PER_PROCESS = 20;
const REPORTS_PER_RESTART = 2;
/** connections opened before each SIGHUP whose request comes EARLY_SEND_AFTER_MS after it */
const EARLY_PER_RESTART = 2;
const EARLY_SEND_AFTER_MS = 700;
const BAD_WATCH_MS = 1500;
const BROKEN_RELEASE = '{"version": "v5", ';

/** labs/zero-downtime-restart/app.go: GET /report, 8 lines, 150 ms apart */
const REPORT_BODY = Buffer.from(Array.from({ length: 8 }, (_, i) => `report line ${i + 1} of 8\n`).join(''));

interface Baseline {
  outcome: Outcome;
  pid?: number;
  release?: string;
  pidFile?: number;
  /** both are running processes of the server's process group */
  pidInGroup?: boolean;
  pidFileInGroup?: boolean;
}

const inGroup = (pid: number | undefined, group: number) => pid !== undefined && isRunning(pid) && procInfo(pid)?.pgrp === group;

interface RestartRecord {
  k: number;
  release: string;
  /** ms of load time */
  sighupAtMs: number;
  signalled: number;
  /** the process that served just before the SIGHUP */
  old: number;
  next?: number;
  nextRelease?: string;
  nextAfterMs?: number;
  nextGroup?: number;
  oldGoneAfterMs?: number;
  problem?: string;
}

type Kinds = Partial<Record<FailureKind, number>>;

interface BadRelease {
  signalled: number;
  sighupAtMs: number;
  servedBy: Map<string, number>;
  failed: number;
  answered: number;
  stillRunning: boolean;
  kinds: Kinds;
}

interface EarlyResult {
  k: number;
  status?: number;
  complete: boolean;
  pid?: number;
  error?: string;
}

interface Measurement {
  setupError?: string;
  early: EarlyResult[];
  baseline: Baseline;
  group: number;
  restarts: RestartRecord[];
  reports: { k: number; r: InFlightResult }[];
  load?: ContinuousLoadResult;
  /** answered / failed when the third restart was complete (before the broken release) */
  atRestartsEnd?: { answered: number; failed: number; failuresByKind: Kinds; atMs: number };
  bad?: BadRelease;
}

const pidPath = (ctx: { tmpDir: string }) => join(ctx.tmpDir, PID_FILE);

function writeRelease(tmpDir: string, text: string): void {
  const tmp = join(tmpDir, `${RELEASE_FILE}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(tmpDir, RELEASE_FILE));
}

function readPidFile(ctx: ScenarioContext): number | undefined {
  try {
    const n = Number(readFileSync(pidPath(ctx), 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

const tagPid = (tag: string) => Number(tag.split(' ')[0]);
const tagRelease = (tag: string) => tag.split(' ')[1] ?? '-';
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The PID in PID_FILE, if it is a running process of the server's group (never signal anything else). */
function signalTarget(ctx: ScenarioContext, group: number): { pid?: number; problem?: string } {
  const pid = readPidFile(ctx);
  if (!pid) return { problem: `${PID_FILE} is missing or does not hold a PID` };
  const p = procInfo(pid);
  if (!p || !isRunning(pid)) return { problem: `${PID_FILE} names PID ${pid}, which is not running` };
  if (p.pgrp !== group) return { problem: `${PID_FILE} names PID ${pid}, which is not in the server's process group ${group}` };
  return { pid };
}

interface Open {
  reports: InFlightRequest[];
  early: RawConn[];
  load?: ContinuousLoad;
}

/** A request on a connection opened before the SIGHUP, sent EARLY_SEND_AFTER_MS after it. */
async function lateRequest(k: number, c: RawConn, signal: AbortSignal): Promise<EarlyResult> {
  await sleep(EARLY_SEND_AFTER_MS, signal);
  try {
    const r = await c.request({ path: '/quote' }, 3000);
    return { k, status: r.status, complete: r.complete, pid: Number(r.headers['x-server-pid']) || undefined };
  } catch (err) {
    return { k, complete: false, error: (err as { code?: string }).code ?? (err as Error).message };
  } finally {
    c.close();
  }
}

async function measure(ctx: ScenarioContext, open: Open): Promise<Measurement> {
  const { server, signal, progress } = ctx;
  const group = server.pid;
  const m: Measurement = { baseline: { outcome: { ok: false, ms: 0 } }, group, restarts: [], reports: [], early: [] };

  // 1. Before any restart.
  const b = await httpRequest(server.host, server.port, { path: '/quote' }, 3000);
  m.baseline = { outcome: b, pid: Number(b.response?.headers['x-server-pid']) || undefined, release: b.response?.headers['x-release'], pidFile: readPidFile(ctx) };
  m.baseline.pidInGroup = inGroup(m.baseline.pid, group);
  m.baseline.pidFileInGroup = inGroup(m.baseline.pidFile, group);
  if (!b.ok || b.response!.status !== 200) {
    m.setupError = `GET /quote before any restart: ${b.ok ? b.response!.status : b.error}`;
    return m;
  }

  // 2. Continuous load; every answer says which process served it.
  const load = new ContinuousLoad({
    host: server.host,
    port: server.port,
    request: { path: '/quote' },
    keepAliveWorkers: KEEPALIVE_WORKERS,
    freshWorkers: 0,
    pauseMs: PAUSE_MS,
    timeoutMs: 3000,
    tagHeaders: ['x-server-pid', 'x-release'],
    signal,
  });
  open.load = load;
  const seen = new Map<number, { atMs: number; release: string }>();
  let current = m.baseline.pid ?? group;
  let onNew: ((pid: number) => void) | undefined;
  load.onAnswer((tag, atMs) => {
    const pid = tagPid(tag);
    if (!seen.has(pid)) {
      seen.set(pid, { atMs, release: tagRelease(tag) });
      onNew?.(pid);
    }
  });
  await sleep(WARMUP_MS, signal);

  // 3. Three restarts, each with reports in flight and connections waiting to send.
  const earlyAnswers: Promise<EarlyResult>[] = [];
  for (let k = 1; k <= RESTARTS && !signal.aborted; k++) {
    const release = `v${k + 1}`;
    writeRelease(ctx.tmpDir, JSON.stringify({ version: release }) + '\n');
    const reports: InFlightRequest[] = [];
    for (let i = 0; i < REPORTS_PER_RESTART; i++) {
      const r = await InFlightRequest.start(server.host, server.port, { path: '/report' }, { responseTimeoutMs: OLD_EXIT_WITHIN_MS + 2000 }).catch(() => undefined);
      if (r) reports.push(r), open.reports.push(r);
    }
    const started = await Promise.all(reports.map((r) => r.waitFor('report line 1 of 8', 2000, signal)));
    if (reports.length < REPORTS_PER_RESTART || started.some((x) => !x)) {
      m.setupError = `restart ${k}: GET /report did not start streaming (${started.filter(Boolean).length} of ${REPORTS_PER_RESTART})`;
      break;
    }
    // connections the old process accepts now, whose request comes after the SIGHUP
    const early: RawConn[] = [];
    for (let i = 0; i < EARLY_PER_RESTART; i++) {
      const c = await RawConn.open(server.host, server.port, { timeoutMs: 2000 }).catch(() => undefined);
      if (c) early.push(c), open.early.push(c);
    }
    if (early.length < EARLY_PER_RESTART) {
      m.setupError = `restart ${k}: could not open the early connections`;
      break;
    }
    await sleep(50, signal);
    const target = signalTarget(ctx, group);
    if (!target.pid) {
      m.setupError = `restart ${k}: ${target.problem}`;
      break;
    }
    const rec: RestartRecord = { k, release, sighupAtMs: load.now(), signalled: target.pid, old: current };
    m.restarts.push(rec);
    const newProcess = new Promise<number | undefined>((resolvePromise) => {
      onNew = (pid) => pid !== rec.old && resolvePromise(pid);
      setTimeout(() => resolvePromise(undefined), NEW_PROCESS_WITHIN_MS).unref();
    });
    progress(`restart ${k}: SIGHUP to ${target.pid}`);
    process.kill(target.pid, 'SIGHUP');
    earlyAnswers.push(...early.map((c) => lateRequest(k, c, signal)));
    const next = await newProcess;
    onNew = undefined;
    if (next === undefined) {
      rec.problem = `no new process served within ${NEW_PROCESS_WITHIN_MS / 1000} s of SIGHUP (PID ${rec.old} ${isRunning(rec.old) ? 'still serving' : 'gone'})`;
      break;
    }
    rec.next = next;
    rec.nextRelease = seen.get(next)!.release;
    rec.nextAfterMs = seen.get(next)!.atMs - rec.sighupAtMs;
    rec.nextGroup = procInfo(next)?.pgrp;
    current = next;
    // the old process drains and exits
    while (isRunning(rec.old) && load.now() - rec.sighupAtMs < OLD_EXIT_WITHIN_MS && !signal.aborted) await sleep(20, signal);
    if (isRunning(rec.old)) {
      rec.problem = `PID ${rec.old} was still running ${OLD_EXIT_WITHIN_MS / 1000} s after SIGHUP`;
      break;
    }
    rec.oldGoneAfterMs = load.now() - rec.sighupAtMs;
    await sleep(SETTLE_MS, signal);
  }
  m.atRestartsEnd = { ...load.counts(), atMs: load.now() };

  // 4. A release that cannot start.
  if (!m.setupError && m.restarts.length === RESTARTS && m.restarts.every((r) => !r.problem)) {
    writeRelease(ctx.tmpDir, BROKEN_RELEASE);
    const target = signalTarget(ctx, group);
    if (target.pid) {
      const servedBy = new Map<string, number>();
      let watching = true;
      load.onAnswer((tag) => watching && servedBy.set(tag, (servedBy.get(tag) ?? 0) + 1));
      const before = load.counts();
      const sighupAtMs = load.now();
      progress(`broken release: SIGHUP to ${target.pid}`);
      process.kill(target.pid, 'SIGHUP');
      await sleep(BAD_WATCH_MS, signal);
      watching = false;
      const after = load.counts();
      const kinds: Kinds = {};
      for (const [k, n] of Object.entries(after.failuresByKind) as [FailureKind, number][]) {
        const d = n - (before.failuresByKind[k] ?? 0);
        if (d) kinds[k] = d;
      }
      m.bad = { signalled: target.pid, sighupAtMs, servedBy, failed: after.failed - before.failed, answered: after.answered - before.answered, stillRunning: isRunning(current), kinds };
    } else m.setupError = `broken release: ${target.problem}`;
  }

  // 5. Stop, collect.
  m.load = await load.stop();
  open.load = undefined;
  m.early = await Promise.all(earlyAnswers);
  const results = await Promise.all(open.reports.map((r) => r.result()));
  m.reports = results.map((r, i) => ({ k: Math.floor(i / REPORTS_PER_RESTART) + 1, r }));
  return m;
}

// ---- judging ---------------------------------------------------------------------------------------

const restartsOk = (m: Measurement) =>
  !m.setupError &&
  m.restarts.length === RESTARTS &&
  m.restarts.every((r) => !r.problem && r.next !== undefined && r.nextGroup === m.group && r.nextRelease === r.release && r.oldGoneAfterMs !== undefined);

const restartFailedCount = (m: Measurement) => m.atRestartsEnd?.failed ?? 0;
/** failures by kind and by worker, from the failures kept one by one (the first ones) */
const restartFailures = (m: Measurement) => m.load?.failures.filter((f) => f.atMs < (m.atRestartsEnd?.atMs ?? Infinity)) ?? [];

/** serving processes during the restarts: the first one and each new one */
function servingCounts(m: Measurement): { pid: number; answered: number }[] {
  const pids = [m.baseline.pid ?? m.group, ...m.restarts.map((r) => r.next).filter((p): p is number => p !== undefined)];
  return pids.map((pid) => ({ pid, answered: (m.load?.byTag ?? []).filter((t) => tagPid(t.tag) === pid).reduce((a, t) => a + t.answered, 0) }));
}

const KIND_WORDS: Record<FailureKind, string> = {
  refused: 'refused dials (ECONNREFUSED)',
  reset: 'reset',
  closed: 'closed without an answer',
  truncated: 'cut mid-body',
  timeout: 'timed out',
  error: 'other errors',
};

function describeKinds(kinds: Kinds | undefined, total: number): string {
  if (!total) return 'none';
  return (Object.entries(kinds ?? {}) as [FailureKind, number][])
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${KIND_WORDS[k]}`)
    .join(', ');
}

const reportWhole = (r: InFlightResult) => !!r.response?.complete && r.response.status === 200 && r.response.body.equals(REPORT_BODY);

export default defineChecker({
  lab: 'zero-downtime-restart',
  server: { admin: false },
  prepare: async ({ tmpDir }) => {
    writeRelease(tmpDir, '{"version": "v1"}\n');
    return { env: { CONFIG: join(tmpDir, RELEASE_FILE), PID_FILE: join(tmpDir, PID_FILE) } };
  },
  scenarios: [
    scenario<Measurement>({
      title: `${RESTARTS} restarts (SIGHUP) under continuous load, then a release that cannot start`,
      deadlineMs: 25_000,
      run: async (ctx) => {
        const open: Open = { reports: [], early: [] };
        try {
          return await measure(ctx, open);
        } finally {
          await open.load?.stop();
          for (const r of open.reports) r.close();
          for (const c of open.early) c.close();
        }
      },
      checks: [
        {
          id: 'serves',
          title: 'Before any restart: GET /quote names its process and release',
          expected: `200 with X-Release: v1 and X-Server-Pid naming the process that answered; it and the PID in ${PID_FILE} are running processes of the server's process group`,
          measured: (m) => {
            const b = m.baseline;
            if (!b.outcome.ok) return `no answer: ${b.outcome.error}`;
            const grp = (ok: boolean | undefined) => (ok ? '' : ' (not a running process of the group)');
            return `${b.outcome.response!.status}, X-Server-Pid ${b.pid ?? '(none)'}${grp(b.pidInGroup)}, X-Release ${b.release ?? '(none)'}, ${PID_FILE}: ${b.pidFile ?? '(missing)'}${grp(b.pidFileInGroup)}; process group ${m.group}`;
          },
          pass: (m) => m.baseline.outcome.ok && m.baseline.outcome.response!.status === 200 && !!m.baseline.pidInGroup && !!m.baseline.pidFileInGroup && m.baseline.release === 'v1',
          explanation: `the checker learns which process served each request from X-Server-Pid, and signals the PID in ${PID_FILE}, as a deploy script does: keep both (main.go, app.go)`,
        },
        {
          id: 'restarted',
          title: 'Each SIGHUP hands over to a new process running the new release',
          expected: `${RESTARTS} times: a new process of the server's process group serves the new release within ${NEW_PROCESS_WITHIN_MS / 1000} s of SIGHUP, and the old one has exited within ${OLD_EXIT_WITHIN_MS / 1000} s`,
          measured: (m) => {
            if (m.setupError && !m.restarts.length) return `not measured: ${m.setupError}`;
            const parts = m.restarts.map((r) => {
              if (r.problem) return `#${r.k}: ${r.problem}`;
              const grp = r.nextGroup === m.group ? '' : ` (NOT in process group ${m.group})`;
              const rel = r.nextRelease === r.release ? r.release : `${r.nextRelease}, expected ${r.release}`;
              return `#${r.k}: ${r.old} -> ${r.next}${grp} serving ${rel} after ${s(r.nextAfterMs!)}, ${r.old} gone after ${s(r.oldGoneAfterMs!)}`;
            });
            return parts.join('; ') + (m.setupError ? `; then: ${m.setupError}` : '');
          },
          pass: restartsOk,
          explanation: (m, passed) =>
            passed
              ? 'a deploy really replaced the process: a new PID, the new release, and the old process gone once it had finished its work'
              : m.restarts.some((r) => r.problem?.includes('still running'))
                ? 'the old process never went away: it must stop accepting, finish what it has, and exit, or every deploy leaves one more process behind'
                : m.restarts.some((r) => r.next !== undefined && r.nextGroup !== m.group)
                  ? 'the new process left the server\'s process group (Setpgid / Setsid): the supervisor can no longer stop it. Start it with os/exec and no SysProcAttr'
                  : 'on SIGHUP the server must start a new process of the same binary (os.Executable) that reads release.json again and serves; exec-ing in place keeps the same PID',
          hint: `on SIGHUP: exec.Command(os.Executable()) with the listener in ExtraFiles, wait until the new process says it is ready, then srv.Shutdown and exit; the new process writes ${PID_FILE}`,
        },
        {
          id: 'zero-failed-requests',
          title: 'No request fails during the restarts',
          expected: `0 failed requests across ${RESTARTS} restarts (refused, reset, closed, truncated or timed out), with at least ${MIN_PER_PROCESS} answers from each serving process`,
          measured: (m) => {
            if (!m.load || !m.atRestartsEnd) return `not measured: ${m.setupError ?? 'the load did not run'}`;
            const failed = restartFailedCount(m);
            const per = servingCounts(m).map((p) => `${p.pid}: ${p.answered}`).join(', ');
            const retried = m.load.retried ? `, ${m.load.retried} retried after an idle keep-alive close` : '';
            const first = restartFailures(m)[0];
            const after = first ? [...m.restarts].reverse().find((r) => r.sighupAtMs <= first.atMs) : undefined;
            const when = first ? ` (the first ${after ? `${Math.round(first.atMs - after.sighupAtMs)} ms after SIGHUP #${after.k}` : 'before any SIGHUP'})` : '';
            return `${m.atRestartsEnd.answered} answered, ${failed} failed: ${describeKinds(m.atRestartsEnd.failuresByKind, failed)}${when}${retried}; answers by process ${per}`;
          },
          pass: (m) =>
            !!m.load && !!m.atRestartsEnd && restartsOk(m) && restartFailedCount(m) === 0 && servingCounts(m).every((p) => p.answered >= MIN_PER_PROCESS),
          explanation: (m, passed) => {
            if (passed) return 'one listening socket, passed from process to process: it never closed, so no dial was refused, and its accept queue kept every connection that arrived during the hand-over';
            if (m.atRestartsEnd?.failuresByKind.refused)
              return 'connections were refused: for a moment nothing listened on the port. Closing the listener and opening a new one in the new process always leaves that gap (and a drain makes it longer); the listening socket itself must survive the restart';
            return 'connections were cut: closing a connection with a request on it (srv.Close, os.Exit) loses that request';
          },
          hint: 'pass the listening socket to the new process: f, _ := ln.(*net.TCPListener).File(); cmd.ExtraFiles = []*os.File{f}; the new process rebuilds it with net.FileListener(os.NewFile(3, "listener")) instead of net.Listen',
          series: (m) =>
            m.load
              ? [
                  { name: 'answered per 100 ms', kind: 'line', x: m.load.timeline.map((b) => b.atMs / 1000), y: m.load.timeline.map((b) => b.answered), xLabel: 's', yLabel: 'requests' },
                  { name: 'failed per 100 ms', kind: 'line', x: m.load.timeline.map((b) => b.atMs / 1000), y: m.load.timeline.map((b) => b.failed), xLabel: 's', yLabel: 'requests' },
                ]
              : undefined,
        },
        {
          id: 'in-flight-complete',
          title: 'Requests in flight at SIGHUP complete',
          expected: `the ${RESTARTS * REPORTS_PER_RESTART} reports (GET /report, 1.05 s streams) in flight at a SIGHUP arrive whole: ${REPORT_BODY.length} bytes, 200`,
          measured: (m) => {
            if (!m.reports.length) return `not measured: ${m.setupError ?? 'no report was in flight'}`;
            const whole = m.reports.filter((x) => reportWhole(x.r)).length;
            const cut = m.reports.filter((x) => !reportWhole(x.r)).map((x) => `#${x.k}: ${x.r.response?.body.length ?? 0} of ${REPORT_BODY.length} bytes, ${x.r.error ?? 'not the expected body'}`);
            return `${whole} of ${m.reports.length} whole${cut.length ? `; cut: ${cut.slice(0, 3).join('; ')}` : ''}`;
          },
          pass: (m) => m.reports.length === RESTARTS * REPORTS_PER_RESTART && m.reports.every((x) => reportWhole(x.r)),
          explanation: (m, passed) =>
            passed
              ? 'the old process stopped accepting but finished what it had started before it exited'
              : 'the old process closed connections that had a response in progress: srv.Close and os.Exit do that. srv.Shutdown closes the listener and idle connections, then waits for active requests to finish',
          hint: 'in the old process, after the new one is ready: srv.Shutdown(ctx) with a deadline longer than your longest request, and exit only once it has returned',
        },
        {
          id: 'accepted-connections-answered',
          title: 'Connections accepted before SIGHUP are answered',
          expected: `the ${RESTARTS * EARLY_PER_RESTART} connections opened just before a SIGHUP (accepted by the old process), whose GET /quote comes ${EARLY_SEND_AFTER_MS} ms after it, are answered 200`,
          measured: (m) => {
            if (!m.early.length) return `not measured: ${m.setupError ?? 'no early connection was opened'}`;
            const ok = m.early.filter((e) => e.complete && e.status === 200);
            const bad = m.early.filter((e) => !(e.complete && e.status === 200)).map((e) => `#${e.k}: ${e.error ? `no answer (${e.error})` : `${e.status}${e.complete ? '' : ' truncated'}`}`);
            const by = [...new Set(ok.map((e) => e.pid))].join(', ');
            return `${ok.length} of ${m.early.length} answered${by ? ` (by ${by})` : ''}${bad.length ? `; ${bad.slice(0, 3).join('; ')}` : ''}`;
          },
          pass: (m) => m.early.length === RESTARTS * EARLY_PER_RESTART && m.early.every((e) => e.complete && e.status === 200),
          explanation: (m, passed) =>
            passed
              ? 'the old process stopped accepting, then waited until every connection it had accepted had sent its request, and answered them before it shut down'
              : m.early.some((e) => e.error && /fin|closed/i.test(e.error))
                ? 'the old process closed connections it had accepted but not yet read a request from. srv.Shutdown does exactly that to a request it reads after Shutdown began (net/http: "if c.server.shuttingDown() { return }" right after readRequest, golang/go#75591): on a connection that is new, the client gets an empty reply, and no client retries that'
                : 'connections that the old process had accepted were not answered',
          hint: 'before srv.Shutdown: close the listener yourself (ln.Close(), the new process keeps the socket), wait until Serve has returned and no connection is left in http.StateNew (track them with srv.ConnState, bound the wait), then Shutdown',
        },
        {
          id: 'failed-release-survives',
          title: 'A release that cannot start does not take the service down',
          expected: `after SIGHUP with a broken ${RELEASE_FILE} (the new process exits at start-up): for ${BAD_WATCH_MS / 1000} s every request answered, by the process that served before, which keeps running`,
          measured: (m) => {
            if (!m.bad) return `not measured: ${m.setupError ?? 'the restarts before it did not complete'}`;
            const by = [...m.bad.servedBy].map(([t, n]) => `${n} by ${t.replace(' ', ' (') + ')'}`).join(', ') || 'no answers';
            return `${m.bad.answered} answered (${by}), ${m.bad.failed} failed${m.bad.failed ? `: ${describeKinds(m.bad.kinds, m.bad.failed)}` : ''}; PID ${m.bad.signalled} ${m.bad.stillRunning ? 'still running' : 'gone'}`;
          },
          pass: (m) => {
            const b = m.bad;
            if (!b) return false;
            const last = m.restarts[RESTARTS - 1]!;
            return b.failed === 0 && b.answered > 0 && b.stillRunning && [...b.servedBy.keys()].every((t) => tagPid(t) === last.next && tagRelease(t) === last.release);
          },
          explanation: (m, passed) =>
            passed
              ? 'the old process handed over only when the new one said it was ready; when the new one died instead, the old one simply kept serving: a failed deploy is a log line, not an outage'
              : 'the old process stopped serving before the new one was ready; the new one could not start, and nothing was left. Wait for a readiness signal from the new process (a pipe it writes to, as tableflip and systemd\'s sd_notify do) and give up the hand-over if it exits first',
          hint: 'give the new process the write end of an os.Pipe (ExtraFiles[1], fd 4); it writes one byte when it is ready to serve. The old process reads: a byte means hand over; EOF means the new process died, so log it and keep serving',
        },
      ],
    }),
  ],
});
