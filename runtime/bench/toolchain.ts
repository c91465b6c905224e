// Measures the in-tab Go toolchain (runtime/toolchain) under plain Node on this machine:
//
//   1. what the browser downloads for a first lab: compile.wasm, link.wasm, the pack (the
//      archives the lab's starter and solution need, and the whole pack), wasm_exec.js, the
//      launcher, go.mjs and its modules, gofmt; raw, gzip -9 and brotli, file by file;
//   2. cold (empty build cache) and warm `go run .` time until the server answers HTTP, for
//      slowloris and for the browser lab whose program needs the most archives;
//   3. peak memory of compile and link (each alone in a Node process; and Go's wasm heap);
//   4. V8's default tiering against Liftoff only (what go.mjs asks Node for) on a cold build.
//
//   npm run bench:toolchain [-- --runs 3] [--brotli-quality 11] [--skip-sizes]
// Needs npm run runtime:build first. Prints numbers; asserts nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants as zc, gzipSync } from 'node:zlib';
import { freePort } from '../../checkers/core/net.js';
import { browserPrograms, defaultDist, type PackManifest, type Program } from '../toolchain/build.js';
import { selectPackageFiles } from '../toolchain/lib/gosrc.mjs';
import { parseGoMod } from '../toolchain/lib/gomod.mjs';

const runtimeDir = resolve(import.meta.dirname, '..');
const goMjs = join(runtimeDir, 'toolchain', 'go.mjs');
const toolDir = join(defaultDist, 'toolchain');
const argv = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const RUNS = Math.max(1, Math.min(10, opt('--runs', 3)));
const BROTLI_Q = Math.max(1, Math.min(11, opt('--brotli-quality', 9)));
const work = mkdtempSync(join(tmpdir(), 'ghl-toolchain-bench-'));
const children = new Set<ChildProcess>();

const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

function cleanup() {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

// ---------------------------------------------------------------------------------------------
// the programs

function directImports(p: Program): string[] {
  const mod = parseGoMod(readFileSync(p.files.get('go.mod')!, 'utf8'));
  const entries = [...p.files].filter(([n]) => n.endsWith('.go')).map(([name, path]) => ({ name, source: readFileSync(path, 'utf8') }));
  const out = new Set<string>();
  for (const f of selectPackageFiles(entries, 'go1.26').files) {
    for (const i of f.header.imports) if (!i.path.startsWith(mod.module + '/') && i.path !== 'unsafe') out.add(i.path);
  }
  return [...out];
}

function closure(pack: PackManifest, roots: string[]): string[] {
  const seen = new Set<string>();
  const stack = [...roots, 'runtime'];
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p) || !pack.packages[p]) continue;
    seen.add(p);
    stack.push(...pack.packages[p]!.imports);
  }
  return [...seen];
}

function materialize(p: Program, name: string): string {
  const dir = join(work, name);
  for (const [n, f] of p.files) cpSync(f, join(dir, n));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// 1. download sizes

interface Sized {
  raw: number;
  gz: number;
  br: number;
}

const sizeCache = new Map<string, Sized>();
function sizes(file: string): Sized {
  let s = sizeCache.get(file);
  if (!s) {
    const b = readFileSync(file);
    s = {
      raw: b.length,
      gz: gzipSync(b, { level: 9 }).length,
      br: brotliCompressSync(b, { params: { [zc.BROTLI_PARAM_QUALITY]: BROTLI_Q, [zc.BROTLI_PARAM_LGWIN]: 24, [zc.BROTLI_PARAM_SIZE_HINT]: b.length } }).length,
    };
    sizeCache.set(file, s);
  }
  return s;
}

function sum(files: string[]): Sized {
  return files.map(sizes).reduce((a, b) => ({ raw: a.raw + b.raw, gz: a.gz + b.gz, br: a.br + b.br }), { raw: 0, gz: 0, br: 0 });
}

const row = (label: string, s: Sized, n?: number) =>
  `  ${label.padEnd(44)} ${mb(s.raw).padStart(10)} ${mb(s.gz).padStart(10)} ${mb(s.br).padStart(10)}${n !== undefined ? `  (${n} files)` : ''}`;

function jsFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.mjs') || n.endsWith('.js'))
    .map((n) => join(dir, n));
}

function downloadSizes(pack: PackManifest, firstLab: string, programs: Program[]) {
  const labPrograms = programs.filter((p) => p.label === `${firstLab} starter` || p.label === `${firstLab} solution`);
  const needed = closure(pack, labPrograms.flatMap(directImports));
  const archives = needed.map((p) => join(toolDir, pack.packages[p]!.file));
  const all = Object.values(pack.packages).map((p) => join(toolDir, p.file));
  const groups: [string, string[]][] = [
    ['compile.wasm', [join(toolDir, 'compile.wasm')]],
    ['link.wasm', [join(toolDir, 'link.wasm')]],
    ['pack.json (manifest)', [join(toolDir, 'pack.json')]],
    [`pack: ${firstLab} starter+solution closure`, archives],
    ['wasm_exec.js', [join(defaultDist, 'wasm_exec.js')]],
    ['launcher (runtime/launcher/*.mjs)', jsFiles(join(runtimeDir, 'launcher'))],
    ['go.mjs, gofmt.mjs + lib/*.mjs', [...jsFiles(join(runtimeDir, 'toolchain')), ...jsFiles(join(runtimeDir, 'toolchain', 'lib'))]],
    ['gofmt (dist/gofmt)', readdirSync(join(defaultDist, 'gofmt')).map((n) => join(defaultDist, 'gofmt', n))],
  ];
  console.log(`\n1. Download for a first lab (${firstLab}), file by file; brotli quality ${BROTLI_Q}, window 2^24`);
  console.log(`  ${''.padEnd(44)} ${'raw'.padStart(10)} ${'gzip -9'.padStart(10)} ${'brotli'.padStart(10)}`);
  const total: string[] = [];
  for (const [label, files] of groups) {
    console.log(row(label, sum(files), files.length > 1 ? files.length : undefined));
    total.push(...files);
  }
  console.log(row('TOTAL first lab', sum(total), total.length));
  console.log(row('(whole pack, every browser lab)', sum(all), all.length));
  const perLab = [...new Set(programs.map((p) => p.label.split(' ')[0]!))].map((lab) => {
    const ps = programs.filter((p) => p.label === `${lab} starter` || p.label === `${lab} solution`);
    const c = closure(pack, ps.flatMap(directImports));
    return { lab, n: c.length, raw: c.reduce((s, p) => s + pack.packages[p]!.size, 0) };
  });
  console.log('  pack closure per lab (starter+solution), raw: ' + perLab.map((l) => `${l.lab} ${l.n} pkgs ${mb(l.raw)}`).join('; '));
}

// ---------------------------------------------------------------------------------------------
// 2. cold and warm go run

async function answerTime(dir: string, cache: string, env: NodeJS.ProcessEnv = {}): Promise<number> {
  const port = await freePort();
  const adminPort = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [goMjs, 'run', '.'], {
    cwd: dir,
    env: { ...process.env, ...env, GHL_GO_CACHE: cache, ADDR: `127.0.0.1:${port}`, ADMIN_ADDR: `127.0.0.1:${adminPort}` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let exited = false;
  const gone = new Promise<void>((r) => child.on('exit', () => ((exited = true), r())));
  try {
    const deadline = started + 240_000;
    for (;;) {
      if (exited) throw new Error(`go run exited before answering: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      try {
        await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
        return performance.now() - started;
      } catch {
        if (performance.now() > deadline) throw new Error('no answer within 240 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
    children.delete(child);
  }
}

async function runTimes(label: string, dir: string) {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const cache = mkdtempSync(join(work, 'cache-'));
    cold.push(await answerTime(dir, cache));
    warm.push(await answerTime(dir, cache));
    rmSync(cache, { recursive: true, force: true });
  }
  const fmt = (xs: number[]) => `median ${secs(median(xs))} (${xs.map(secs).join(', ')})`;
  console.log(`  ${label.padEnd(34)} cold ${fmt(cold)}; warm ${fmt(warm)}`);
}

// ---------------------------------------------------------------------------------------------
// 3. and 4. compile and link: time, memory, tiering

interface ToolStat {
  tool: string;
  args: string[];
  code: number;
  ms: number;
  wasmMemoryBytes: number;
}

function runNode(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

async function coldBuild(dir: string, env: NodeJS.ProcessEnv = {}): Promise<{ stats: ToolStat[]; workDir: string; wallMs: number }> {
  const statsFile = join(work, `stats-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  const t = performance.now();
  const r = await runNode([goMjs, 'build', '-a', '-work', '-o', join(work, 'bench-out.wasm'), '.'], { ...env, GHL_GO_TOOL_STATS: statsFile, GHL_GO_CACHE: join(work, 'cache-tools') }, dir);
  const wallMs = performance.now() - t;
  if (r.code !== 0) throw new Error(`go build failed: ${r.stderr}`);
  const workDir = /^WORK=(.*)$/m.exec(r.stderr)?.[1];
  if (!workDir) throw new Error('go build -work printed no WORK=');
  const stats = readFileSync(statsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ToolStat);
  return { stats, workDir, wallMs };
}

async function toolMemory(label: string, dir: string) {
  const { stats, workDir, wallMs } = await coldBuild(dir);
  try {
    const parts: string[] = [];
    for (const s of stats) {
      const argsFile = join(work, `${s.tool}-args.json`);
      writeFileSync(argsFile, JSON.stringify(s.args));
      const r = await runNode([join(runtimeDir, 'bench', 'run-tool.mjs'), join(toolDir, `${s.tool}.wasm`), argsFile], {}, dir);
      const alone = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { code: number; ms: number; maxRssBytes: number };
      parts.push(`${s.tool} ${secs(s.ms)} in go build (alone: ${secs(alone.ms)}, peak RSS ${mb(alone.maxRssBytes)}, Go wasm heap ${mb(s.wasmMemoryBytes)})`);
    }
    console.log(`  ${label.padEnd(34)} go build -a ${secs(wallMs)}: ${parts.join('; ')}`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function tiering(label: string, dir: string) {
  for (const [name, env] of [
    ['Liftoff only (go.mjs default)', {}],
    ['V8 default tiering', { GHL_WASM_TIERING: 'default' }],
  ] as const) {
    const { stats, workDir, wallMs } = await coldBuild(dir, env);
    rmSync(workDir, { recursive: true, force: true });
    console.log(`  ${label} ${name.padEnd(30)} go build -a ${secs(wallMs)} (${stats.map((s) => `${s.tool} ${secs(s.ms)}`).join(', ')})`);
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(join(toolDir, 'pack.json'))) throw new Error('runtime/dist/toolchain is missing: run npm run runtime:build first');
  const pack = JSON.parse(readFileSync(join(toolDir, 'pack.json'), 'utf8')) as PackManifest;
  const programs = browserPrograms();
  const firstLab = programs[0]!.label.split(' ')[0]!;
  console.log(`Go toolchain in wasm, ${pack.goVersion}, Node ${process.version}, ${new Date().toISOString()}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (!argv.includes('--skip-sizes')) downloadSizes(pack, firstLab, programs);

  const byNeed = programs
    .map((p) => ({ p, bytes: closure(pack, directImports(p)).reduce((s, i) => s + pack.packages[i]!.size, 0) }))
    .sort((a, b) => b.bytes - a.bytes);
  const slowloris = programs.find((p) => p.label === 'slowloris starter')!;
  const biggest = byNeed.find((x) => / (starter|solution)$/.test(x.p.label))!.p;
  const targets = [
    { label: 'slowloris starter', dir: materialize(slowloris, 'slowloris') },
    { label: `${biggest.label} (biggest)`, dir: materialize(biggest, 'biggest') },
  ];

  console.log(`\n2. go run . until the server answers HTTP (${RUNS} runs each; cold = empty build cache)`);
  for (const t of targets) await runTimes(t.label, t.dir);

  console.log('\n3. compile and link, cold (go build -a); each tool re-run alone for its peak RSS');
  for (const t of targets) await toolMemory(t.label, t.dir);

  console.log("\n4. V8 tiering for the tools (slowloris, one cold build each)");
  await tiering('slowloris', targets[0]!.dir);
}

main()
  .catch((err: Error) => {
    console.error(`bench:toolchain: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
