// The check runner: build, start, run each scenario under its deadline, judge, clean up.
// Every outcome becomes a Verdict; nothing here throws at the caller except programming errors.
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setMaxListeners } from 'node:events';
import { pathToFileURL } from 'node:url';
import { onCleanup } from './cleanup.js';
import type { Lab } from './manifest.js';
import { checkersDir, repoRoot } from './paths.js';
import { createNetns, destroyNetns, kernelCapability, reexecInNetns } from './netns/index.js';
import type { Capabilities, CheckerSpec, Scenario, ScenarioContext } from './spec.js';
import { allProbes } from './spec.js';
import {
  BuildError,
  GoMissingError,
  StartError,
  buildServer,
  describeExit,
  startServer,
  type LabServer,
  type ServerOptions,
} from './supervisor.js';
import type { EventSink, ProbeResult, Verdict } from './verdict.js';
import { WASM_LOAD_SCALE, buildWasmServer, warmUpWasmServer } from './wasm.js';

export type Target =
  | { kind: 'starter' }
  | { kind: 'solution' }
  /** a learner's module, graded in place */
  | { kind: 'dir'; dir: string; label?: string }
  /** the starter with these files laid over it (test variants) */
  | { kind: 'overlay'; dir: string; label?: string };

export interface RunOptions {
  lab: Lab;
  target: Target;
  sink?: EventSink;
  caps?: Partial<Capabilities>;
  /** the checker to use (defaults to checkers/<lab>.ts) */
  spec?: CheckerSpec;
  /** aborts the whole check (the agent's Stop button, a client that went away) */
  signal?: AbortSignal;
  /**
   * how the server is built and run: natively (default), or as js/wasm under the launcher
   * (the browser runtime: caps.runtime 'browser', no kernel tooling)
   */
  runtime?: ServerRuntime;
}

export type ServerRuntime = 'native' | 'wasm';

/**
 * Why a lab is not graded under --runtime wasm (kernel tooling, the race detector), or undefined
 * when it can be.
 */
export function wasmRefusal(lab: Lab, spec: CheckerSpec): string | undefined {
  return spec.netns || lab.kernel || spec.server?.race ? 'needs the Docker or native runtime' : undefined;
}

export async function loadChecker(labId: string): Promise<CheckerSpec> {
  const file = join(checkersDir, `${labId}.ts`);
  if (!existsSync(file)) throw new Error(`lab "${labId}" has no checker (expected ${file})`);
  const mod = await import(pathToFileURL(file).href);
  return mod.default as CheckerSpec;
}

/** Copies the starter and lays `overlay` (a solution or a test variant) over it, in a fresh temp dir. */
export function materialize(lab: Lab, overlay: string | undefined, into: string): string {
  const dir = join(into, 'src');
  cpSync(lab.dir, dir, { recursive: true, filter: (p) => !p.endsWith('.md') || p.includes('/testdata/') });
  if (overlay) cpSync(overlay, dir, { recursive: true, force: true });
  return dir;
}

export function targetLabel(target: Target): string {
  return target.kind === 'dir' || target.kind === 'overlay' ? (target.label ?? target.dir) : target.kind;
}

export async function runCheck(opts: RunOptions): Promise<Verdict> {
  const { lab, target } = opts;
  const sink: EventSink = opts.sink ?? (() => {});
  const spec = opts.spec ?? (await loadChecker(lab.id));
  const insideNetns = process.env.GHL_NETNS;
  const needsKernel = Boolean(spec.netns) || spec.scenarios.some((s) => s.needs?.kernel);
  const wasm = opts.runtime === 'wasm';
  const caps: Capabilities = wasm
    ? { kernel: false, runtime: 'browser', loadScale: WASM_LOAD_SCALE, ...opts.caps }
    : {
        kernel: Boolean(insideNetns) || (needsKernel && kernelCapability(lab.id).ok),
        runtime: 'native',
        loadScale: 1,
        ...opts.caps,
      };
  const started = Date.now();
  const label = targetLabel(target);
  const probes = allProbes(spec);

  /** A check this runtime cannot run: every probe skipped, with the reason (and the command that would run it). */
  const skipped = (reason: string, why: string, command?: string): Verdict => {
    sink({ type: 'check-start', lab: lab.id, target: label, probes });
    const verdict: Verdict = {
      lab: lab.id,
      passed: false,
      status: 'skipped',
      durationMs: Date.now() - started,
      target: label,
      runtime: caps.runtime,
      error: { kind: 'skipped', message: reason, command },
      probes: probes.map((p) => ({ ...p, passed: false, status: 'skipped', expected: '', measured: `skipped: ${reason}`, explanation: `${why}: ${reason}`, durationMs: 0 })),
    };
    sink({ type: 'check-end', verdict });
    return verdict;
  };

  // The browser runtime has no kernel tooling and no race detector: those labs are not graded there.
  const refusal = wasm ? wasmRefusal(lab, spec) : undefined;
  if (refusal) return skipped(refusal, spec.server?.race ? 'this lab builds the server with the race detector' : 'kernel-level lab: network namespaces and nftables');

  // Kernel labs run whole inside a fresh network namespace: re-run this check there.
  if (spec.netns && !insideNetns) {
    const capability = kernelCapability(lab.id);
    if (!caps.kernel || !capability.ok) {
      const reason = (capability.ok ? 'this runtime has no kernel tooling' : capability.reason).replace(/^skipped: /, '');
      return skipped(reason, 'kernel-level lab', capability.ok ? undefined : capability.command);
    }
    return runInNetns(lab, target, spec, sink, opts.signal);
  }

  sink({ type: 'check-start', lab: lab.id, target: label, probes });

  sweepStaleTempDirs();
  const tmp = mkdtempSync(join(tmpdir(), `ghl-${process.pid}-${lab.id}-`));
  const unregister = onCleanup(() => rmSync(tmp, { recursive: true, force: true }));
  const servers = new Set<LabServer>();

  const finish = (partial: Pick<Verdict, 'probes'> & Partial<Verdict>): Verdict => {
    const results = partial.probes;
    const anyInconclusive = results.some((p) => p.status === 'inconclusive');
    // A skipped probe was not graded: a verdict passes only when every probe ran and passed.
    const passed = !partial.error && results.length > 0 && results.every((p) => p.status === 'passed');
    const status = partial.error
      ? partial.error.kind === 'skipped'
        ? 'skipped'
        : partial.error.kind === 'environment'
          ? 'error'
          : 'failed'
      : passed
        ? 'passed'
        : anyInconclusive && results.every((p) => p.status !== 'failed')
          ? 'inconclusive'
          : results.length > 0 && results.every((p) => p.status === 'skipped' || p.status === 'passed')
            ? 'skipped'
            : 'failed';
    const verdict: Verdict = {
      lab: lab.id,
      passed,
      status,
      durationMs: Date.now() - started,
      target: label,
      runtime: caps.runtime,
      ...partial,
    };
    final = verdict;
    return verdict;
  };
  // check-end is the last event, sent once every server of this check is dead.
  let final: Verdict | undefined;

  try {
    // 1. Source: the starter in place, a learner's directory, or starter + solution overlay.
    const source =
      target.kind === 'solution'
        ? materialize(lab, lab.solutionDir, tmp)
        : target.kind === 'overlay'
          ? materialize(lab, target.dir, tmp)
          : target.kind === 'dir'
            ? target.dir
            : lab.dir;
    if (!existsSync(join(source, 'go.mod'))) {
      return finish({ probes: [], error: { kind: 'environment', message: `no go.mod in ${source}: is this a lab directory?` } });
    }

    // 2. Build.
    sink({ type: 'phase', phase: 'build', message: wasm ? `GOOS=js GOARCH=wasm go build ${lab.entry}` : `go build ${lab.entry}` });
    let binary: string;
    try {
      binary = wasm ? await buildWasmServer(source, lab.entry, tmp) : await buildServer(source, lab.entry, tmp, { race: spec.server?.race });
    } catch (err) {
      if (err instanceof GoMissingError) return finish({ probes: [], error: { kind: 'environment', message: err.message } });
      if (err instanceof BuildError) {
        return finish({
          probes: startFailure(probes, err.message, 'fix the compiler error shown, then check again'),
          error: { kind: 'build', message: err.message, details: err.output.slice(0, 4000) },
        });
      }
      throw err;
    }

    // 3. Start (after the checker's prepare step, if it has one: fixtures the server reads at start-up).
    const serverOptions: Partial<ServerOptions> & { cwd: string } = { ...spec.server, cwd: tmp };
    if (spec.prepare) {
      try {
        const extra = await spec.prepare({ tmpDir: tmp, caps });
        if (extra) Object.assign(serverOptions, extra, { env: { ...spec.server?.env, ...extra.env }, cwd: tmp });
      } catch (err) {
        return finish({ probes: [], error: { kind: 'environment', message: `the checker could not prepare the check: ${(err as Error).message}` } });
      }
    }
    sink({ type: 'phase', phase: 'start', message: 'starting your server' });
    const start = async (extra?: Partial<ServerOptions>) => {
      const s = await startServer(binary, { ...serverOptions, ...extra, env: { ...serverOptions.env, ...extra?.env } });
      servers.add(s);
      if (wasm) await warmUpWasmServer(s);
      sink({ type: 'server-start', pid: s.pid, url: s.url, ...(s.adminUrl ? { adminUrl: s.adminUrl } : {}) });
      pipeLogs(s, sink);
      return s;
    };
    let server: LabServer;
    try {
      server = await start();
    } catch (err) {
      if (err instanceof StartError) {
        return finish({
          probes: startFailure(probes, err.message, 'run it yourself with `go run .` and read its output'),
          error: { kind: 'start', message: err.message, details: err.logs.join('\n') },
        });
      }
      throw err;
    }

    // 4. Scenarios, in order.
    sink({ type: 'phase', phase: 'probes', message: `${probes.length} probes` });
    const state = new Map<string, unknown>();
    const results: ProbeResult[] = [];
    const ctxBase = {
      caps,
      tmpDir: tmp,
      state,
      ...(insideNetns ? { netns: insideNetns } : {}),
      launch: (o?: Partial<ServerOptions>) => start(o),
    };
    let current = server;
    for (const sc of spec.scenarios) {
      if (opts.signal?.aborted) {
        for (const c of sc.checks) sink({ type: 'probe-start', id: c.id, title: c.title });
        results.push(...skipAll(sc, 'the check was stopped', sink));
        continue;
      }
      const res = await runScenario(sc, {
        ...ctxBase,
        get server() {
          return current;
        },
        restart: async (o?: Partial<ServerOptions>) => {
          await current.kill();
          current = await start({ port: current.port, adminPort: current.adminPort, ...o });
          return current;
        },
      }, sink, opts.signal);
      results.push(...res);
    }
    return finish({ probes: results });
  } finally {
    sink({ type: 'phase', phase: 'cleanup', message: 'stopping your server' });
    await Promise.all([...servers].map((s) => s.kill()));
    rmSync(tmp, { recursive: true, force: true });
    unregister();
    if (final) sink({ type: 'check-end', verdict: { ...final, durationMs: Date.now() - started } });
  }
}

type BaseCtx = Omit<ScenarioContext, 'signal' | 'progress'>;

async function runScenario(sc: Scenario, base: BaseCtx, sink: EventSink, outer?: AbortSignal): Promise<ProbeResult[]> {
  const t0 = Date.now();
  for (const c of sc.checks) sink({ type: 'probe-start', id: c.id, title: c.title });
  if (sc.needs?.kernel && !base.caps.kernel) return skipAll(sc, 'needs the kernel tooling (network namespaces)', sink);

  const server = base.server;
  const gone = server.exitInfo();
  if (gone) {
    return failAll(sc, `your server is no longer running (${describeExit(gone)}), so this was not measured`, t0, sink);
  }
  const ac = new AbortController();
  setMaxListeners(0, ac.signal); // probes attach one listener per connection
  const onOuter = () => ac.abort();
  outer?.addEventListener('abort', onOuter, { once: true });
  const timer = setTimeout(() => ac.abort(), sc.deadlineMs);
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const ctx: ScenarioContext = Object.assign(Object.create(null), base, {
    signal: ac.signal,
    progress: (message: string) => sink({ type: 'probe-progress', id: sc.checks[0]!.id, message }),
  });
  Object.defineProperty(ctx, 'server', { get: () => base.server });
  let measurement: unknown;
  let error: Error | undefined;
  try {
    // `run` should watch ctx.signal; the grace period catches one that does not.
    measurement = await Promise.race([
      sc.run(ctx),
      new Promise((_, reject) => {
        const t = setTimeout(() => reject(new Error(`did not finish within its ${sc.deadlineMs / 1000} s deadline`)), sc.deadlineMs + 3000);
        t.unref?.();
        // A stopped check does not wait for a scenario that ignores its signal.
        outer?.addEventListener('abort', () => reject(new Error('the check was stopped')), { once: true });
      }),
    ]);
  } catch (err) {
    error = err as Error;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
    loop.disable();
  }
  const stalledMs = loop.max / 1e6;
  if (outer?.aborted) return skipAll(sc, 'the check was stopped', sink);
  if (error) {
    // The exit event can trail the socket errors that a crash causes by a few ms.
    if (!base.server.exitInfo()) await Promise.race([base.server.exited, new Promise((r) => setTimeout(r, 500))]);
    const died = base.server.exitInfo();
    if (died) {
      const logs = base.server.logs().filter(Boolean);
      // A Go crash prints "panic: ..." or "fatal error: ..." and then stack frames: show the cause.
      const tail = logs.findLast((l) => /^(panic: |fatal error: )/.test(l)) ?? logs.slice(-1)[0];
      return failAll(sc, `your server crashed during "${sc.title}" (${describeExit(died)})${tail ? `: ${tail}` : ''}`, t0, sink);
    }
    return inconclusiveAll(sc, `the checker could not measure: ${error.message}`, t0, sink);
  }
  return sc.checks.map((c) => {
    const m = measurement as never;
    let verdict: boolean | 'inconclusive';
    let measured: string;
    let expected: string;
    let series;
    try {
      verdict = c.pass(m);
      measured = c.measured(m);
      expected = typeof c.expected === 'function' ? c.expected(m) : c.expected;
      series = c.series?.(m);
    } catch (err) {
      verdict = 'inconclusive';
      measured = `the checker could not judge: ${(err as Error).message}`;
      expected = typeof c.expected === 'string' ? c.expected : '';
    }
    // A harness that was itself frozen cannot trust a failing measurement.
    if (verdict === false && stalledMs > 2000) verdict = 'inconclusive';
    const passed = verdict === true;
    const status = verdict === 'inconclusive' ? 'inconclusive' : passed ? 'passed' : 'failed';
    const explanation =
      status === 'inconclusive' && stalledMs > 2000
        ? `the checker itself was stalled for ${Math.round(stalledMs)} ms (machine overloaded); retry the check`
        : typeof c.explanation === 'function'
          ? c.explanation(m, passed)
          : c.explanation;
    const result: ProbeResult = {
      id: c.id,
      title: c.title,
      passed,
      status,
      expected,
      measured,
      explanation,
      ...(passed || !c.hint ? {} : { hint: c.hint }),
      ...(series && series.length ? { series } : {}),
      durationMs: Date.now() - t0,
    };
    sink({ type: 'probe-end', result });
    return result;
  });
}

function failAll(sc: Scenario, measured: string, t0: number, sink: EventSink): ProbeResult[] {
  return sc.checks.map((c) => {
    const result: ProbeResult = {
      id: c.id,
      title: c.title,
      passed: false,
      status: 'failed',
      expected: typeof c.expected === 'string' ? c.expected : 'see the lesson',
      measured,
      explanation: typeof c.explanation === 'string' ? c.explanation : 'the server must stay up while it is probed',
      ...(c.hint ? { hint: c.hint } : {}),
      durationMs: Date.now() - t0,
    };
    sink({ type: 'probe-end', result });
    return result;
  });
}

function inconclusiveAll(sc: Scenario, measured: string, t0: number, sink: EventSink): ProbeResult[] {
  return failAll(sc, measured, t0, () => {}).map((r) => {
    const result = { ...r, status: 'inconclusive' as const, explanation: 'the measurement could not be trusted; retry the check' };
    sink({ type: 'probe-end', result });
    return result;
  });
}

function skipAll(sc: Scenario, why: string, sink?: EventSink): ProbeResult[] {
  return sc.checks.map((c) => {
    const result: ProbeResult = {
      id: c.id,
      title: c.title,
      passed: false,
      status: 'skipped',
      expected: typeof c.expected === 'string' ? c.expected : '',
      measured: `skipped: ${why}`,
      explanation: why,
      durationMs: 0,
    };
    sink?.({ type: 'probe-end', result });
    return result;
  });
}

function startFailure(probes: { id: string; title: string }[], message: string, hint: string): ProbeResult[] {
  return [
    {
      id: 'server-start',
      title: 'Your server builds and listens on ADDR',
      passed: false,
      status: 'failed',
      expected: 'go build succeeds and the server accepts connections on ADDR',
      measured: message,
      explanation: `none of the ${probes.length} probes could run`,
      hint,
      durationMs: 0,
    },
  ];
}

function pipeLogs(server: LabServer, sink: EventSink): void {
  server.onLine((line) => sink({ type: 'server-log', line }));
}

/** Temp dirs of checks whose process died without cleaning up (SIGKILL): ghl-<pid>-<lab>-XXXXXX. */
export function sweepStaleTempDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    const m = /^ghl-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

/** The argv that grades `target` again, from inside a namespace. */
function targetArgs(target: Target): string[] {
  switch (target.kind) {
    case 'starter':
      return [];
    case 'solution':
      return ['--solution'];
    case 'dir':
      return ['--dir', target.dir];
    case 'overlay':
      return ['--overlay', target.dir];
  }
}

/**
 * Creates the lab's namespace, re-runs `labs check --events` inside it (so the server and every
 * probe socket live there), forwards its events, and removes the namespace afterwards.
 */
async function runInNetns(lab: Lab, target: Target, spec: CheckerSpec, sink: EventSink, signal?: AbortSignal): Promise<Verdict> {
  const ns = createNetns(spec.netns);
  sink({ type: 'phase', phase: 'namespace', message: `network namespace ${ns.name}` });
  try {
    const child = reexecInNetns(ns, [join(repoRoot, 'bin', 'labs.mjs'), 'check', lab.id, '--events', ...targetArgs(target)], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    const onAbort = () => child.kill('SIGINT');
    signal?.addEventListener('abort', onAbort, { once: true });
    let verdict: Verdict | undefined;
    let buf = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const event = JSON.parse(line) as import('./verdict.js').CheckEvent;
        if (event.type === 'check-end') verdict = event.verdict;
        sink(event);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d).slice(-4000)));
    await new Promise((resolvePromise) => child.on('close', resolvePromise));
    signal?.removeEventListener('abort', onAbort);
    if (verdict) return verdict;
    const failed: Verdict = {
      lab: lab.id,
      passed: false,
      status: 'error',
      durationMs: 0,
      target: targetLabel(target),
      runtime: 'native',
      error: { kind: 'environment', message: `the check inside namespace ${ns.name} ended without a verdict`, details: stderr },
      probes: [],
    };
    sink({ type: 'check-end', verdict: failed });
    return failed;
  } finally {
    destroyNetns(ns);
  }
}
