// The interpreter option (yaegi built for js/wasm) against the compiler option (Go compiled to
// js/wasm), measured the same way under plain Node. Prints numbers and tables; asserts nothing.
//
//   npx tsx runtime/bench/interpreter-vs-compiler.ts [--runs 5] [--labs id,id] [--skip-checks]
//        [--sections sizes,cold,labs,throughput,probes,checks] [--brotli-quality 9] [--json out.json]
//        [--keep] [--prebuilt DIR (yaegi.wasm, yaegi-deps.wasm of a kept run)] [--yaegi-dialect]
//
// --yaegi-dialect answers "if the labs were written in the Go yaegi runs, would the lessons
// hold?": yaegi gets a copy of each lab with the exact rewrites in dialectRewrites applied
// (range over an int, strings.Lines); the compiled side keeps the labs as they are.
//
// What it measures (see runtime/DECISION.md for a run's results):
//   sizes        yaegi.wasm (stock js/wasm runtime) and yaegi+deps.wasm (chi and prometheus
//                client_golang precompiled in through `yaegi extract`), raw/gzip/brotli, next to a
//                compiled lab (slowloris app.wasm) and, when built, the in-tab toolchain (runtime/dist/toolchain)
//   cold start   Node spawn to "interpreter ready" and to a hello program's output, for yaegi and a
//                compiled hello.wasm; with Node's default flags and with --liftoff-only (V8's
//                tier-up of a 40 MB module dominates the default case)
//   labs         every browser lab, starter and solution: does yaegi run it at all (and the first
//                error if not); time from spawn to the server answering HTTP: in-process on the
//                stock runtime (-probe), and over real sockets through the runtime overlay
//                (runtime/dist/overlay.json) for yaegi and for the compiled server; RSS, peak RSS
//   throughput   keep-alive closed loop on slowloris' GET /products: native, compiled wasm, yaegi
//   probes       runtime/bench/yaegi/probes/*.go and lang/*.go, each compiled for js/wasm and
//                interpreted by yaegi, outputs compared key by key (goroutine visibility, timeouts,
//                panics and recover, signals, generics, timing, Go 1.21-1.25 language features)
//   checks       the real checker (runCheck, caps.runtime 'browser') against the yaegi-run server
//                and against the compiled one, probe by probe, for the labs yaegi can run
// Builds run at `go build -p 1`; everything runs in one temp dir, removed at the end (--keep keeps it).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { closedLoop } from '../../checkers/core/load/closed.js';
import { loadAllLabs, type Lab } from '../../checkers/core/manifest.js';
import { freePort, sleep, waitForListen } from '../../checkers/core/net.js';
import { repoRoot } from '../../checkers/core/paths.js';
import { runCheck } from '../../checkers/core/runner.js';
import type { Verdict } from '../../checkers/core/verdict.js';
import { Proc, goBuildWasm, killAll, materializeLab, mb, median, run, sizes, type Sizes } from './yaegi/harness.js';

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const opt = (name: string, def: string) => (argv.includes(name) ? String(argv[argv.indexOf(name) + 1]) : def);
const runs = Number(opt('--runs', '5'));
const brotliQuality = Number(opt('--brotli-quality', '9'));
const onlyLabs = opt('--labs', '').split(',').filter(Boolean);
const sections = new Set(opt('--sections', 'sizes,cold,labs,throughput,probes,checks').split(','));
if (flag('--skip-checks')) sections.delete('checks');
const keep = flag('--keep');
const jsonOut = opt('--json', '');
/** a directory with yaegi.wasm and yaegi-deps.wasm from an earlier --keep run: skips those two builds */
const prebuilt = opt('--prebuilt', '');
/** rewrite the labs' Go 1.22+ constructs that yaegi cannot run (dialectRewrites) in yaegi's copies */
const dialect = flag('--yaegi-dialect');

const benchDir = join(repoRoot, 'runtime', 'bench', 'yaegi');
const goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
const goVersion = execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
/** Go's own Node runner for js/wasm: the stock runtime, no net bridge. */
const stockRunner = join(goroot, 'lib', 'wasm', 'wasm_exec_node.js');
const launcher = join(repoRoot, 'runtime', 'launcher', 'run-wasm.mjs');
const goMjs = join(repoRoot, 'runtime', 'toolchain', 'go.mjs');
const toolchainDist = join(repoRoot, 'runtime', 'dist', 'toolchain');

const tmp = mkdtempSync(join(tmpdir(), 'ghl-ivc-'));
let cleaned = false;
function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  killAll();
  if (keep) process.stderr.write(`kept ${tmp}\n`);
  else rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });

const log = (s: string) => process.stderr.write(`[ivc] ${s}\n`);

// ---------------------------------------------------------------- the overlay (real sockets)
async function overlayJson(): Promise<string | undefined> {
  try {
    const mod = (await import('../overlay/generate.js')) as { generateOverlay: () => { overlayJson: string } };
    return mod.generateOverlay().overlayJson;
  } catch (err) {
    const fallback = join(repoRoot, 'runtime', 'dist', 'overlay.json');
    if (existsSync(fallback)) return fallback;
    log(`no runtime overlay (${(err as Error).message}): sockets, probes over sockets and checks are measured without it`);
    return undefined;
  }
}

// ---------------------------------------------------------------- builds
/** Go module versions the labs pin for the third-party packages yaegi gets precompiled. */
function labDependencyVersions(): string[] {
  const want = ['github.com/go-chi/chi/v5', 'github.com/prometheus/client_golang'];
  const found = new Map<string, string>();
  for (const lab of loadAllLabs()) {
    const gomod = readFileSync(join(lab.dir, 'go.mod'), 'utf8');
    for (const m of want) {
      const v = new RegExp(`${m.replace(/[./]/g, '\\$&')} (v\\S+)`).exec(gomod);
      if (v) found.set(m, v[1]!);
    }
  }
  return [...found].map(([m, v]) => `${m}@${v}`);
}

const extractedPackages = [
  'github.com/go-chi/chi/v5',
  'github.com/go-chi/chi/v5/middleware',
  'github.com/prometheus/client_golang/prometheus',
  'github.com/prometheus/client_golang/prometheus/promhttp',
];

/** A copy of runtime/bench/yaegi with chi and client_golang extracted into yaegi symbols. */
async function yaegiWithDeps(): Promise<string> {
  const dir = join(tmp, 'yaegi-deps');
  mkdirSync(dir);
  for (const f of ['main.go', 'go.mod', 'go.sum']) cpSync(join(benchDir, f), join(dir, f));
  writeFileSync(join(dir, 'deps.go'), `package main\n\nimport (\n${extractedPackages.map((p) => `\t_ "${p}"\n`).join('')})\n`);
  const env = { ...process.env, GOFLAGS: '', GOTOOLCHAIN: 'local' };
  for (const step of [
    ['go', 'get', ...labDependencyVersions()],
    ['go', 'mod', 'tidy'],
    ['go', 'run', '-p', '1', 'github.com/traefik/yaegi/cmd/yaegi', 'extract', '-name', 'main', ...extractedPackages],
  ]) {
    const r = await run(step, { cwd: dir, env, timeoutMs: 600_000 });
    if (!r.ok) throw new Error(`${step.join(' ')} failed:\n${r.output}`);
  }
  return dir;
}

// ---------------------------------------------------------------- --yaegi-dialect
/** Each line of the browser labs that yaegi v0.16.1 cannot run, and the Go 1.21 spelling of it. */
const dialectRewrites: { from: string; to: string; why: string }[] = [
  { from: 'for i := range exportRows {', to: 'for i := 0; i < exportRows; i++ {', why: 'range over int (graceful-shutdown export.go)' },
  { from: 'for i := range n {', to: 'for i := 0; i < n; i++ {', why: 'range over int (streaming-gzip store.go)' },
  { from: 'for i := range 20 {', to: 'for i := 0; i < 20; i++ {', why: 'range over int (panic-recovery main.go)' },
  {
    from: 'for line := range strings.Lines(string(data)) {',
    to: 'for _, line := range strings.SplitAfter(string(data), "\\n") { if line == "" { continue };',
    why: 'strings.Lines, a range-over-func iterator (graceful-shutdown jobs.go)',
  },
];

/** A copy of `dir` for yaegi with dialectRewrites applied; returns it and the rewrites made. */
function yaegiCopy(dir: string): { dir: string; applied: string[] } {
  if (!dialect) return { dir, applied: [] };
  const copy = `${dir}-yaegi`;
  cpSync(dir, copy, { recursive: true });
  const applied: string[] = [];
  for (const f of readdirSync(copy).filter((n) => n.endsWith('.go'))) {
    let src = readFileSync(join(copy, f), 'utf8');
    for (const r of dialectRewrites) {
      if (src.includes(r.from)) {
        src = src.split(r.from).join(r.to);
        applied.push(`${f}: ${r.why}`);
      }
    }
    writeFileSync(join(copy, f), src);
  }
  return { dir: copy, applied };
}

// ---------------------------------------------------------------- report types
interface Timing {
  default: number[];
  liftoff: number[];
}
interface LabRun {
  lab: string;
  target: 'starter' | 'solution';
  yaegiInProcess: { ms?: number; error?: string };
  /** --yaegi-dialect: the rewrites applied to yaegi's copy */
  rewritten?: string[];
  yaegiSockets?: { ms?: number; liftoffMs?: number; error?: string; rssKb?: number; hwmKb?: number };
  compiled: { nativeBuildMs?: number; inTab?: { coldMs?: number; editMs?: number; error?: string }; ms?: number; error?: string; rssKb?: number; hwmKb?: number };
}
interface ProbeRun {
  probe: string;
  compiled: Record<string, string>;
  yaegi: Record<string, string>;
}
interface CheckRun {
  lab: string;
  target: 'starter' | 'solution';
  compiled?: Pick<Verdict, 'status'> & { probes: Record<string, string>; error?: string };
  yaegi?: Pick<Verdict, 'status'> & { probes: Record<string, string>; error?: string };
}
interface Report {
  date: string;
  machine: { cpus: string; cores: number; memGb: number; node: string; go: string; yaegi: string };
  overlay: boolean;
  sizes: Record<string, Sizes>;
  coldStart: Record<string, Timing>;
  labs: LabRun[];
  throughput: Record<string, { rps: number; p99Ms: number; errors: number } | { error: string }>;
  probes: ProbeRun[];
  checks: CheckRun[];
}

// ---------------------------------------------------------------- measurements
const READY = /^YAEGI-BENCH ready /;
const ERROR = /^YAEGI-BENCH error msg=(.*)$|^panic: |^fatal error: /;

/** Spawn-to-line times, `runs` times, with and without --liftoff-only. */
async function coldStart(argvFor: (nodeFlags: string[]) => string[], line: RegExp): Promise<Timing> {
  const t: Timing = { default: [], liftoff: [] };
  for (const [key, flags] of [['default', []], ['liftoff', ['--liftoff-only']]] as const) {
    for (let i = 0; i < runs; i++) {
      const p = new Proc(argvFor([...flags]));
      const l = await p.waitFor(line, 60_000);
      await p.kill();
      if (l) t[key].push(Math.round(l.at));
    }
  }
  return t;
}

/** Polls GET / over TCP until any HTTP answer; returns ms since the process was spawned. */
async function firstAnswer(p: Proc, port: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if ((await Promise.race([p.exited.then(() => 'exited'), sleep(0).then(() => 'running')])) === 'exited') return undefined;
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      return Math.round(p.now());
    } catch {
      await sleep(20);
    }
  }
  return undefined;
}

function firstError(p: Proc): string {
  const l = p.lines.find((x) => ERROR.test(x.text));
  if (!l) return p.lines.filter((x) => x.stream === 'stderr').slice(-1)[0]?.text.slice(0, 300) ?? 'no output';
  const m = ERROR.exec(l.text);
  let msg = l.text;
  if (m?.[1]) {
    try {
      msg = JSON.parse(m[1]) as string; // Go's %q is JSON for these messages
    } catch {
      msg = m[1];
    }
    // yaegi repeats "import X error: <file>: import Y error: ..." down the chain: keep the last link.
    msg = msg.replace(/^.*import "[^"]+" error: (\/[^ ]+: )?/, '');
  }
  return msg.replace(/\/tmp\/[^ :]+\//g, '').slice(0, 200);
}

async function labEnv(): Promise<{ env: NodeJS.ProcessEnv; port: number }> {
  const port = await freePort();
  const admin = await freePort();
  const upstream = await freePort(); // circuit-breaker's dependency: nothing listens there
  return { port, env: { ...process.env, ADDR: `127.0.0.1:${port}`, ADMIN_ADDR: `127.0.0.1:${admin}`, UPSTREAM: `http://127.0.0.1:${upstream}` } };
}

/** `go mod vendor` in a copy, moved to GOPATH/src: yaegi reads third-party source from there. */
async function gopathFor(src: string, into: string): Promise<string> {
  mkdirSync(into, { recursive: true });
  if (!/^require\s/m.test(readFileSync(join(src, 'go.mod'), 'utf8'))) return into;
  const copy = join(into, '..', `${basename(into)}-vendor`);
  cpSync(src, copy, { recursive: true });
  const r = await run(['go', 'mod', 'vendor'], { cwd: copy, env: { ...process.env, GOFLAGS: '' }, timeoutMs: 300_000 });
  if (r.ok) renameSync(join(copy, 'vendor'), join(into, 'src'));
  rmSync(copy, { recursive: true, force: true });
  return into;
}

/**
 * The in-tab build (runtime/toolchain/go.mjs: cmd/compile and cmd/link as WebAssembly), when it
 * is built: cold (empty build cache: the lab's packages compile, std archives are precompiled)
 * and after an edit (one changed line in main.go, same cache), as a learner's second Run.
 */
async function inTabBuild(dir: string, out: string): Promise<{ coldMs?: number; editMs?: number; error?: string }> {
  if (!existsSync(goMjs) || !existsSync(toolchainDist)) return {};
  const cache = mkdtempSync(join(tmp, 'gocache-'));
  const env = { ...process.env, GOOS: 'js', GOARCH: 'wasm', GHL_GO_CACHE: cache };
  const copy = `${dir}-intab`;
  cpSync(dir, copy, { recursive: true });
  try {
    const cold = await run([process.execPath, goMjs, 'build', '-o', out, '.'], { cwd: copy, env, timeoutMs: 300_000 });
    if (!cold.ok) return { error: cold.output.split('\n').slice(0, 2).join(' ') };
    const main = join(copy, 'main.go');
    writeFileSync(main, readFileSync(main, 'utf8') + '\n// edited\n');
    const edit = await run([process.execPath, goMjs, 'build', '-o', out, '.'], { cwd: copy, env, timeoutMs: 300_000 });
    return { coldMs: Math.round(cold.ms), ...(edit.ok ? { editMs: Math.round(edit.ms) } : {}) };
  } finally {
    rmSync(copy, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
}

function probeOutputs(p: Proc, exit: { code: number | null; timedOut: boolean }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of p.lines) {
    const m = /^PROBE (\S+) ?(.*)$/.exec(l.text);
    if (m) out[m[1]!] = m[2]!;
  }
  if (!Object.keys(out).length) out['error'] = firstError(p);
  out['exit'] = exit.timedOut ? 'hung (killed)' : String(exit.code);
  const interp = p.lines.filter((l) => /^\S+\.go:\d+:\d+: panic: /.test(l.text)).length;
  if (interp) out['stderr.interpreter_panic_lines'] = String(interp);
  return out;
}

/** Extra keys for the unrecovered-goroutine-panic probe: what the learner reads on stderr. */
function gopanicKeys(p: Proc): Record<string, string> {
  const err = p.text('stderr');
  return {
    'stderr.go_message': String(err.includes('index out of range [1] with length 0')),
    'stderr.names_sendReceipt': String(err.includes('main.sendReceipt')),
    'stderr.created_by_confirmOrder': String(err.includes('created by main.confirmOrder')),
  };
}

async function runProbe(name: string, argvOf: string[], cwd: string): Promise<Record<string, string>> {
  const p = new Proc(argvOf, { cwd });
  if (name === 'signals') {
    const ready = await p.waitFor(/^PROBE signals\.ready/, 60_000);
    if (ready) {
      await sleep(200);
      p.signal('SIGTERM');
    }
  }
  const e = await p.finish(45_000);
  const out = probeOutputs(p, e);
  return name === 'gopanic' ? { ...out, ...gopanicKeys(p) } : out;
}

function summarizeVerdict(v: Verdict): CheckRun['compiled'] {
  return {
    status: v.status,
    probes: Object.fromEntries(v.probes.map((p) => [p.id, `${p.status}${p.passed ? '' : `: ${p.measured.slice(0, 120)}`}`])),
    ...(v.error ? { error: `${v.error.kind}: ${v.error.message.slice(0, 200)}` } : {}),
  };
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  const overlay = await overlayJson();
  const sockets = Boolean(overlay && existsSync(launcher));
  const node = process.execPath;
  const report: Report = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memGb: Math.round(totalmem() / 1e9),
      node: process.version,
      go: goVersion,
      yaegi: /traefik\/yaegi (v\S+)/.exec(readFileSync(join(benchDir, 'go.mod'), 'utf8'))?.[1] ?? '?',
    },
    overlay: sockets,
    sizes: {},
    coldStart: {},
    labs: [],
    throughput: {},
    probes: [],
    checks: [],
  };

  // 1. Builds.
  const reuse = (name: string) => (prebuilt && existsSync(join(prebuilt, name)) ? { ok: true, ms: 0, output: 'prebuilt', out: join(prebuilt, name) } : undefined);
  log('building yaegi for js/wasm (stock runtime)');
  const yStock = reuse('yaegi.wasm') ?? (await goBuildWasm(benchDir, join(tmp, 'yaegi.wasm')));
  if (!yStock.ok) throw new Error(`yaegi build failed:\n${yStock.output}`);
  log(`  ${Math.round(yStock.ms)} ms; extracting chi + client_golang and building yaegi+deps${sockets ? ' with the overlay' : ''}`);
  const yDeps = reuse('yaegi-deps.wasm') ?? (await goBuildWasm(await yaegiWithDeps(), join(tmp, 'yaegi-deps.wasm'), { overlay }));
  if (!yDeps.ok) throw new Error(`yaegi+deps build failed:\n${yDeps.output}`);
  /** the interpreter the labs, probes and checks run on: yaegi+deps, with sockets when the overlay exists */
  const yRun = yDeps.out;
  const hostArgv = (wasm: string, args: string[], nodeFlags: string[] = []) =>
    sockets ? [node, ...nodeFlags, launcher, wasm, ...args] : [node, ...nodeFlags, stockRunner, wasm, ...args];

  mkdirSync(join(tmp, 'empty-gopath', 'src'), { recursive: true });
  const hello = join(tmp, 'hello');
  mkdirSync(hello);
  writeFileSync(join(hello, 'go.mod'), 'module hello\n\ngo 1.26\n');
  writeFileSync(join(hello, 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello from Go") }\n');
  const helloWasm = await goBuildWasm(hello, join(tmp, 'hello.wasm'));

  // 2. Sizes.
  if (sections.has('sizes')) {
    log(`sizes (gzip -9, brotli q${brotliQuality})`);
    report.sizes['yaegi.wasm (stdlib symbols)'] = sizes(yStock.out, brotliQuality);
    report.sizes['yaegi+deps.wasm (+chi, client_golang)'] = sizes(yDeps.out, brotliQuality);
    report.sizes['hello.wasm (compiled)'] = sizes(helloWasm.out, brotliQuality);
  }

  // 3. Cold start.
  if (sections.has('cold')) {
    log(`cold start, ${runs} runs each`);
    report.coldStart['yaegi: spawn to interpreter ready'] = await coldStart((f) => [node, ...f, stockRunner, yStock.out, hello], READY);
    report.coldStart['yaegi: spawn to hello output'] = await coldStart((f) => [node, ...f, stockRunner, yStock.out, hello], /^hello from Go$/);
    report.coldStart['compiled: spawn to hello output'] = await coldStart((f) => [node, ...f, stockRunner, helloWasm.out], /^hello from Go$/);
  }

  // 4. Labs.
  const labs = loadAllLabs().filter((l) => l.runtimes.includes('browser') && (!onlyLabs.length || onlyLabs.includes(l.id)));
  const prepared = new Map<string, { dir: string; gopath: string; ydir: string }>();
  for (const lab of labs) {
    for (const target of ['starter', 'solution'] as const) {
      const key = `${lab.id}-${target}`;
      const dir = materializeLab(lab.dir, target === 'solution' ? lab.solutionDir : undefined, join(tmp, 'labs', key));
      const gopath = await gopathFor(dir, join(tmp, 'gopath', key));
      const ydir = yaegiCopy(dir);
      prepared.set(key, { dir, gopath, ydir: ydir.dir });
      if (!sections.has('labs')) continue;
      log(`lab ${key}`);
      const row: LabRun = { lab: lab.id, target, yaegiInProcess: {}, compiled: {}, ...(ydir.applied.length ? { rewritten: ydir.applied } : {}) };

      // In-process, stock runtime, plain yaegi (third-party packages interpreted from source).
      {
        const { env } = await labEnv();
        const p = new Proc([node, stockRunner, yStock.out, '-gopath', gopath, '-probe', '/', '-probe-timeout', '60s', ydir.dir], { env });
        const l = await p.waitFor(/^YAEGI-BENCH answered |^YAEGI-BENCH error |^panic: |^fatal error: /, 90_000);
        if (l && l.text.startsWith('YAEGI-BENCH answered')) row.yaegiInProcess.ms = Math.round(l.at);
        else {
          await p.finish(1000);
          row.yaegiInProcess.error = firstError(p);
        }
        await p.kill();
      }

      if (sockets) {
        // Real sockets: yaegi+deps under the launcher.
        const { env, port } = await labEnv();
        const p = new Proc(hostArgv(yRun, ['-gopath', join(tmp, 'empty-gopath'), ydir.dir]), { env });
        const ms = await firstAnswer(p, port, 90_000);
        row.yaegiSockets = ms !== undefined ? { ms, ...p.memory() } : { error: (await p.finish(1000), firstError(p)) };
        if (ms !== undefined) {
          await loadBurst(port);
          row.yaegiSockets = { ...row.yaegiSockets, ...p.memory() };
        }
        await p.kill();
        if (ms !== undefined) {
          // The same with V8 kept on its baseline compiler (see the cold-start table).
          const again = await labEnv();
          const q = new Proc(hostArgv(yRun, ['-gopath', join(tmp, 'empty-gopath'), ydir.dir], ['--liftoff-only']), { env: again.env });
          const lms = await firstAnswer(q, again.port, 90_000);
          if (lms !== undefined) row.yaegiSockets.liftoffMs = lms;
          await q.kill();
        }
      }

      // Compiled: native go build for js/wasm (the in-tab build time is measured when the toolchain exists).
      const out = join(tmp, `${key}.wasm`);
      const b = await goBuildWasm(dir, out, { overlay: sockets ? overlay : undefined });
      row.compiled.nativeBuildMs = Math.round(b.ms);
      const tab = await inTabBuild(dir, join(tmp, `${key}-intab.wasm`));
      if (Object.keys(tab).length) row.compiled.inTab = tab;
      if (!b.ok) row.compiled.error = b.output.split('\n').find((x) => /\.go:\d+/.test(x)) ?? 'build failed';
      else if (sockets) {
        const { env, port } = await labEnv();
        const p = new Proc(hostArgv(out, []), { env });
        const ms = await firstAnswer(p, port, 60_000);
        if (ms !== undefined) {
          await loadBurst(port);
          Object.assign(row.compiled, { ms }, p.memory());
        } else row.compiled.error = (await p.finish(1000), firstError(p));
        await p.kill();
      }
      if (target === 'starter' && lab.id === 'slowloris') report.sizes['slowloris app.wasm (compiled)'] = sizes(out, brotliQuality);
      report.labs.push(row);
    }
  }

  // The in-tab toolchain's download, when built.
  if (sections.has('sizes') && existsSync(toolchainDist)) report.sizes['runtime/dist/toolchain (compile, link, archives)'] = sizes(toolchainDist, brotliQuality);

  // 5. Throughput on slowloris' GET /products.
  const slow = prepared.get('slowloris-starter');
  if (slow && sockets && sections.has('throughput')) {
    log('throughput (slowloris GET /products)');
    const nativeBin = join(tmp, 'slowloris-native');
    await run(['go', 'build', '-o', nativeBin, '.'], { cwd: slow.dir, env: { ...process.env, GOFLAGS: '' }, timeoutMs: 300_000 });
    const compiledWasm = join(tmp, 'slowloris-starter.wasm');
    if (!existsSync(compiledWasm)) await goBuildWasm(slow.dir, compiledWasm, { overlay });
    const variants: [string, string[]][] = [
      ['native', [nativeBin]],
      ['compiled wasm', hostArgv(compiledWasm, [])],
      ['yaegi wasm', hostArgv(yRun, ['-gopath', slow.gopath, slow.dir])],
    ];
    for (const [name, cmd] of variants) {
      const { env, port } = await labEnv();
      const p = new Proc(cmd, { env });
      try {
        await waitForListen('127.0.0.1', port, 60_000);
        await closedLoop({ host: '127.0.0.1', port, connections: 8, durationMs: 500, request: { path: '/products' }, timeoutMs: 5000 });
        const r = await closedLoop({ host: '127.0.0.1', port, connections: 8, durationMs: 3000, request: { path: '/products' }, timeoutMs: 5000 });
        report.throughput[name] = { rps: Math.round(r.rps), p99Ms: r.latency.p99Ms, errors: Object.values(r.errors).reduce((a, b) => a + b, 0) };
      } catch (err) {
        report.throughput[name] = { error: (err as Error).message };
      }
      await p.kill();
    }
  }

  // 6. Semantics probes.
  const probeFiles = [
    ...readdirSync(join(benchDir, 'probes')).filter((f) => f.endsWith('.go')).map((f) => join(benchDir, 'probes', f)),
    ...readdirSync(join(benchDir, 'probes', 'lang')).filter((f) => f.endsWith('.go')).map((f) => join(benchDir, 'probes', 'lang', f)),
  ];
  for (const file of sections.has('probes') ? probeFiles : []) {
    const name = basename(file, '.go');
    log(`probe ${name}`);
    const dir = join(tmp, 'probes', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.go'), readFileSync(file, 'utf8').replace(/^\/\/go:build ignore\n/m, ''));
    writeFileSync(join(dir, 'go.mod'), 'module probe\n\ngo 1.26\n');
    const out = join(tmp, 'probes', `${name}.wasm`);
    const b = await goBuildWasm(dir, out, { overlay: sockets ? overlay : undefined });
    const compiled = b.ok ? await runProbe(name, hostArgv(out, []), dir) : { error: `build: ${b.output.slice(0, 200)}` };
    const yaegi = await runProbe(name, hostArgv(yRun, [dir]), dir);
    report.probes.push({ probe: name, compiled, yaegi });
  }

  // 7. The real checker against both servers.
  if (sections.has('checks') && sockets) {
    for (const lab of labs) {
      for (const target of ['starter', 'solution'] as const) {
        const key = `${lab.id}-${target}`;
        const row: CheckRun = { lab: lab.id, target };
        log(`check ${key}: compiled`);
        delete process.env.GHL_WASM_LAUNCHER;
        row.compiled = summarizeVerdict(await runCheck({ lab, target: { kind: target }, runtime: 'wasm' }));
        // Graded under yaegi when yaegi runs it (or when the labs section was skipped: then try).
        const labRow = report.labs.find((r) => r.lab === lab.id && r.target === target);
        if (!labRow || labRow.yaegiSockets?.ms !== undefined) {
          log(`check ${key}: yaegi`);
          // The checker builds `dir` (as it is) for js/wasm and the launcher runs yaegi on `ydir`.
          const { dir, ydir } = prepared.get(key)!;
          process.env.GHL_WASM_LAUNCHER = yaegiLauncher(yRun, join(tmp, 'empty-gopath'), ydir, key);
          row.yaegi = summarizeVerdict(await runCheck({ lab, target: { kind: 'dir', dir, label: `${target} (yaegi)` }, runtime: 'wasm' }));
          delete process.env.GHL_WASM_LAUNCHER;
        }
        report.checks.push(row);
      }
    }
  }

  process.stdout.write(markdown(report, brotliQuality, labs));
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 2));
}

/** 200 requests over 4 keep-alive connections, so RSS is read after some work, not at idle. */
async function loadBurst(port: number): Promise<void> {
  await closedLoop({ host: '127.0.0.1', port, connections: 4, requests: 200, durationMs: 10_000, request: { path: '/' }, timeoutMs: 5000 }).catch(() => undefined);
}

/**
 * A launcher for the checker that runs yaegi on the lab's source instead of the server.wasm the
 * checker built: the checker's command line is `node <launcher> [--max-files N] server.wasm`.
 */
function yaegiLauncher(yaegiWasm: string, gopath: string, src: string, key: string): string {
  const file = join(tmp, `launch-yaegi-${key}.mjs`);
  writeFileSync(
    file,
    `// generated by runtime/bench/interpreter-vs-compiler.ts
import { pathToFileURL } from 'node:url';
const real = ${JSON.stringify(launcher)};
const args = process.argv.slice(2);
const i = args.findIndex((a) => a.endsWith('.wasm'));
process.argv = [process.argv[0], real, ...args.slice(0, i), ${JSON.stringify(yaegiWasm)}, '-gopath', ${JSON.stringify(gopath)}, ${JSON.stringify(src)}];
await import(pathToFileURL(real).href);
`,
  );
  return file;
}

// ---------------------------------------------------------------- output
function fmtTiming(xs: number[]): string {
  return xs.length ? `${median(xs)} (${Math.min(...xs)}-${Math.max(...xs)})` : 'n/a';
}

function cmp(a: string | undefined, b: string | undefined): string {
  if (a === undefined || b === undefined) return 'n/a';
  if (a === b) return 'same';
  const na = parseFloat(a);
  const nb = parseFloat(b);
  if (/^[\d.]+( |$)/.test(a) && /^[\d.]+( |$)/.test(b) && na > 0) return `x${(nb / na).toFixed(1)}`;
  return '**differs**';
}

function markdown(r: Report, q: number, labs: Lab[]): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`# Interpreter (yaegi ${m.yaegi}) vs compiler, js/wasm under Node`, '');
  out.push(`${r.date}; ${m.cpus}, ${m.cores} cores, ${m.memGb} GB; Node ${m.node}; ${m.go}; real sockets through the runtime overlay: ${r.overlay ? 'yes' : 'no'}`, '');
  out.push('## Download (MB)', '', `| artefact | raw | gzip -9 | brotli q${q} |`, '|---|---|---|---|');
  for (const [k, s] of Object.entries(r.sizes)) out.push(`| ${k} | ${mb(s.raw)} | ${mb(s.gzip)} | ${mb(s.brotli)} |`);
  out.push('', `## Cold start (ms, median (min-max) of ${runs})`, '', '| | Node defaults | node --liftoff-only |', '|---|---|---|');
  for (const [k, t] of Object.entries(r.coldStart)) out.push(`| ${k} | ${fmtTiming(t.default)} | ${fmtTiming(t.liftoff)} |`);
  out.push('', '## Labs: spawn to the server answering (ms); RSS after 200 requests / peak (MB)', '');
  out.push(
    'Run to answering is spawn to answering for yaegi (it has nothing to build or cache); for the compiled option it is the in-tab build (cold cache, or after a one-line edit) plus spawn to answering.',
    '',
    '| lab | target | yaegi in-process (stock) | yaegi sockets | yaegi sockets, liftoff-only | yaegi RSS/peak | compiled sockets | compiled RSS/peak | go build (native) | in-tab build cold / after edit |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  const mem = (rss?: number, hwm?: number) => (rss ? `${(rss / 1024).toFixed(0)}/${((hwm ?? 0) / 1024).toFixed(0)}` : '');
  for (const l of r.labs) {
    const y = l.yaegiSockets;
    const c = l.compiled;
    const tab = c.inTab ? (c.inTab.error ? `✗ ${c.inTab.error}` : `${c.inTab.coldMs ?? '?'} / ${c.inTab.editMs ?? '?'}`) : 'not built';
    out.push(
      `| ${l.lab} | ${l.target} | ${l.yaegiInProcess.ms ?? `✗ ${esc(l.yaegiInProcess.error)}`} | ${y ? (y.ms ?? `✗ ${esc(y.error)}`) : 'n/a'} | ${y?.liftoffMs ?? ''} | ${mem(y?.rssKb, y?.hwmKb)} | ${c.ms ?? (c.error ? `✗ ${esc(c.error)}` : 'n/a')} | ${mem(c.rssKb, c.hwmKb)} | ${c.nativeBuildMs ?? ''} | ${tab} |`,
    );
  }
  const rewritten = r.labs.filter((l) => l.rewritten?.length);
  if (rewritten.length) {
    out.push('', `--yaegi-dialect: yaegi ran copies with these rewrites: ${[...new Set(rewritten.flatMap((l) => l.rewritten!))].join('; ')}.`);
  }
  const ran = (f: (l: LabRun) => boolean, t: 'starter' | 'solution') => r.labs.filter((l) => l.target === t && f(l)).length;
  out.push('', `yaegi runs ${ran((l) => l.yaegiInProcess.ms !== undefined, 'starter')}/${labs.length} starters and ${ran((l) => l.yaegiInProcess.ms !== undefined, 'solution')}/${labs.length} solutions with third-party packages interpreted from source, ${ran((l) => l.yaegiSockets?.ms !== undefined, 'starter')}/${labs.length} and ${ran((l) => l.yaegiSockets?.ms !== undefined, 'solution')}/${labs.length} with chi and client_golang precompiled in.`);
  if (Object.keys(r.throughput).length) {
    out.push('', '## Throughput, slowloris GET /products, 8 keep-alive connections, 3 s', '', '| server | req/s | p99 ms | errors |', '|---|---|---|---|');
    for (const [k, t] of Object.entries(r.throughput)) out.push('error' in t ? `| ${k} | ✗ ${t.error} | | |` : `| ${k} | ${t.rps} | ${t.p99Ms} | ${t.errors} |`);
  }
  out.push('', '## Semantics probes (runtime/bench/yaegi/probes): compiled js/wasm vs yaegi', '', '| probe | key | compiled | yaegi | |', '|---|---|---|---|---|');
  for (const p of r.probes) {
    const keys = [...new Set([...Object.keys(p.compiled), ...Object.keys(p.yaegi)])];
    for (const k of keys) out.push(`| ${p.probe} | ${k} | ${esc(p.compiled[k])} | ${esc(p.yaegi[k])} | ${cmp(p.compiled[k], p.yaegi[k])} |`);
  }
  if (r.checks.length) {
    out.push('', '## The checker, probe by probe (caps.runtime browser)', '', '| lab | target | probe | compiled | yaegi |', '|---|---|---|---|---|');
    for (const c of r.checks) {
      const ids = [...new Set([...Object.keys(c.compiled?.probes ?? {}), ...Object.keys(c.yaegi?.probes ?? {})])];
      out.push(`| ${c.lab} | ${c.target} | **verdict** | ${c.compiled?.status ?? ''}${c.compiled?.error ? ` (${esc(c.compiled.error)})` : ''} | ${c.yaegi ? c.yaegi.status + (c.yaegi.error ? ` (${esc(c.yaegi.error)})` : '') : 'does not run'} |`);
      for (const id of ids) out.push(`| | | ${id} | ${esc(c.compiled?.probes[id])} | ${esc(c.yaegi?.probes[id])} |`);
    }
  }
  return out.join('\n') + '\n';
}

function esc(s: string | undefined): string {
  return s === undefined ? '' : s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

main()
  .then(() => cleanup())
  .catch((err) => {
    process.stderr.write(`interpreter-vs-compiler: ${(err as Error).stack ?? err}\n`);
    cleanup();
    process.exit(1);
  });
