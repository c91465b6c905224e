// Builds the in-tab Go toolchain into runtime/dist/toolchain:
//
//   compile.wasm, link.wasm   cmd/compile and cmd/link of the pinned GOROOT for GOOS=js GOARCH=wasm (-trimpath, -s -w)
//   pack/<import path>.a      precompiled js/wasm archives (export data + object code), built WITH the
//                             runtime overlay, for every package the browser labs' programs import
//                             (starters, solutions, test variants; std and third-party, transitively)
//   pack.json                 the pack's manifest: per package its archive, module and imports; the std list;
//                             the modules with their versions. go.mjs writes its importcfg from it.
//   stamp.json                the input hashes of the last build: unchanged inputs skip the work
//
// The pack holds only what those programs import: a learner who imports something else gets a
// clear error from go.mjs naming the package and the runtimes that have everything.
//
//   npx tsx runtime/toolchain/build.ts [--force]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAllLabs } from '../../checkers/core/manifest.js';
import { repoRoot } from '../../checkers/core/paths.js';
import { isStdPath, selectPackageFiles } from './lib/gosrc.mjs';
import { parseGoMod, parseGoSum } from './lib/gomod.mjs';

export const toolchainSrc = dirname(fileURLToPath(import.meta.url));
export const defaultDist = resolve(toolchainSrc, '..', 'dist');
/** bump when the layout of runtime/dist/toolchain or the way it is built changes */
const FORMAT = 'ghl-toolchain-1';

export interface ToolchainOptions {
  /** runtime/dist (the toolchain goes to <dist>/toolchain) */
  dist?: string;
  /** the -overlay JSON the pack is built with; null: none (default <dist>/overlay.json when it exists) */
  overlay?: string | null;
  /** rebuild even when the inputs have not changed */
  force?: boolean;
  log?: (line: string) => void;
}

export interface ToolchainResult {
  dir: string;
  goVersion: string;
  /** whether compile.wasm/link.wasm and the pack were rebuilt (false: inputs unchanged) */
  builtTools: boolean;
  builtPack: boolean;
  packages: number;
  /** total bytes of the pack's archives */
  packBytes: number;
}

/** One Go program a browser lab builds: the starter, the solution, or a test variant (each laid over the starter). */
export interface Program {
  label: string;
  /** file name to absolute path, the overlay's files winning */
  files: Map<string, string>;
}

export interface PackPackage {
  /** the archive, relative to the toolchain dir */
  file: string;
  std: boolean;
  /** module path@version for a third-party package */
  module?: string;
  /** the resolved import paths (vendor/... for std's vendored packages) */
  imports: string[];
  size: number;
}

export interface PackManifest {
  format: string;
  goVersion: string;
  /** changes whenever any archive changes: part of go.mjs's build-cache key */
  id: string;
  /** runtime/dist/overlay.sha256 when the pack was built: go.mjs refuses a pack older than the overlay */
  overlaySha256?: string;
  /** every std package of GOROOT for js/wasm (to tell "not in std" from "not in the pack") */
  std: string[];
  modules: Record<string, { version: string; sum?: string }>;
  packages: Record<string, PackPackage>;
}

export class ToolchainBuildError extends Error {}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function goCommand(): string {
  const go = process.env.GO ?? 'go';
  for (const candidate of [go, '/usr/local/go/bin/go']) {
    if (spawnSync(candidate, ['version'], { encoding: 'utf8' }).status === 0) return candidate;
  }
  throw new ToolchainBuildError('the Go toolchain was not found: runtime:build needs Go 1.26 (it cross-builds the in-tab compiler)');
}

function goEnv(go: string, name: string): string {
  const r = spawnSync(go, ['env', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new ToolchainBuildError(`go env ${name} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** The environment of every js/wasm go invocation here: no cgo, no toolchain switch, no workspace. */
function jsWasmEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOOS: 'js', GOARCH: 'wasm', CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOWORK: 'off', GOFLAGS: '-mod=readonly' };
}

/** Runs go with bounded time; resolves stdout, rejects with stderr. */
function runGo(go: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(go, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ToolchainBuildError(`go ${args[0]}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(Buffer.concat(out).toString('utf8'));
      else reject(new ToolchainBuildError(`go ${args.join(' ')} (in ${cwd}) failed (${signal ?? `exit ${code}`}):\n${err.trim()}`));
    });
  });
}

/** Every program of every lab whose lab.json runtimes include "browser". */
export function browserPrograms(variantsRoot = join(repoRoot, 'checkers', 'test', 'variants')): Program[] {
  const programs: Program[] = [];
  const filesOf = (dir: string, into: Map<string, string>) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isFile()) into.set(name, path);
    }
  };
  for (const lab of loadAllLabs()) {
    if (!lab.runtimes.includes('browser')) continue;
    const starter = new Map<string, string>();
    filesOf(lab.dir, starter);
    programs.push({ label: `${lab.id} starter`, files: starter });
    const overlays: [string, string][] = [[`${lab.id} solution`, lab.solutionDir]];
    const variants = join(variantsRoot, lab.id);
    if (existsSync(variants)) {
      for (const v of readdirSync(variants).sort()) {
        if (statSync(join(variants, v)).isDirectory()) overlays.push([`${lab.id} variant ${v}`, join(variants, v)]);
      }
    }
    for (const [label, dir] of overlays) {
      if (!existsSync(dir)) continue;
      const files = new Map(starter);
      filesOf(dir, files);
      programs.push({ label, files });
    }
  }
  return programs;
}

/** Programs that share a go.mod and go.sum resolve imports the same way: one `go list` serves them all. */
interface ModuleGroup {
  goMod: string;
  goSum: string;
  imports: Set<string>;
  labels: string[];
}

export function groupPrograms(programs: Program[], goVersion: string): ModuleGroup[] {
  const groups = new Map<string, ModuleGroup>();
  for (const p of programs) {
    const read = (name: string) => (p.files.has(name) ? readFileSync(p.files.get(name)!, 'utf8') : '');
    const goMod = read('go.mod');
    const mod = parseGoMod(goMod);
    if (!mod.module) throw new ToolchainBuildError(`${p.label}: no module line in go.mod`);
    const entries = [...p.files].filter(([n]) => n.endsWith('.go')).map(([name, path]) => ({ name, source: readFileSync(path, 'utf8') }));
    const pkg = selectPackageFiles(entries, goVersion);
    if (pkg.errors.length) throw new ToolchainBuildError(`${p.label}: ${pkg.errors.join('; ')}`);
    const goSum = read('go.sum');
    const key = sha256(`${goMod}\0${goSum}`);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { goMod, goSum, imports: new Set(), labels: [] }));
    g.labels.push(p.label);
    for (const f of pkg.files) {
      for (const i of f.header.imports) {
        const local = i.path === mod.module || i.path.startsWith(mod.module + '/');
        if (!local && i.path !== 'C' && i.path !== 'unsafe') g.imports.add(i.path);
      }
    }
  }
  return [...groups.values()];
}

interface ListedPackage {
  ImportPath: string;
  Export?: string;
  Standard?: boolean;
  Imports?: string[];
  Module?: { Path: string; Version?: string; Main?: boolean };
  Error?: { Err: string };
  DepsErrors?: { Err: string }[];
}

function parseJsonStream(text: string): ListedPackage[] {
  const out: ListedPackage[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)) as ListedPackage);
  }
  return out;
}

const SYNTHETIC = 'ghl.invalid/pack';

/** go list -deps -export for one module group: builds (through go's cache) and names every archive. */
async function listGroup(go: string, group: ModuleGroup, overlay: string | null, work: string): Promise<ListedPackage[]> {
  const dir = mkdtempSync(join(work, 'group-'));
  const mod = parseGoMod(group.goMod);
  // The group's own module path: a program's imports resolve against its go.mod, and a main module
  // must not import itself, so the synthetic main package lives in a sub-directory of it.
  writeFileSync(join(dir, 'go.mod'), group.goMod);
  if (group.goSum) writeFileSync(join(dir, 'go.sum'), group.goSum);
  mkdirSync(join(dir, 'ghlpack'));
  const imports = [...group.imports].sort();
  writeFileSync(join(dir, 'ghlpack', 'main.go'), `package main\n\nimport (\n${imports.map((i) => `\t_ ${JSON.stringify(i)}\n`).join('')})\n\nfunc main() {}\n`);
  const args = ['list', '-p', '1', '-trimpath', '-deps', '-export', '-e', '-json=ImportPath,Export,Standard,Imports,Module,Error,DepsErrors'];
  if (overlay) args.push('-overlay', overlay);
  args.push('./ghlpack');
  const listed = parseJsonStream(await runGo(go, args, dir, jsWasmEnv(), 30 * 60_000));
  const broken = listed.filter((p) => p.Error);
  if (broken.length) {
    throw new ToolchainBuildError(
      `cannot build the pack for ${group.labels.join(', ')} (module ${mod.module}):\n` + broken.map((p) => `  ${p.ImportPath}: ${p.Error!.Err}`).join('\n'),
    );
  }
  return listed.filter((p) => !p.Module?.Main);
}

interface Stamp {
  format: string;
  tools?: string;
  pack?: string;
}

function readStamp(file: string): Stamp {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Stamp;
  } catch {
    return { format: FORMAT };
  }
}

function overlayHash(overlay: string | null): string {
  if (!overlay) return 'none';
  const json = readFileSync(overlay, 'utf8');
  const replace = (JSON.parse(json) as { Replace: Record<string, string> }).Replace;
  const h = createHash('sha256').update(json);
  for (const target of Object.keys(replace).sort()) {
    const file = replace[target]!;
    h.update(`${target}\0${file ? readFileSync(file) : ''}\0`);
  }
  return h.digest('hex');
}

/** The architectures cmd/compile and cmd/link support besides wasm: the in-tab tools drop them. */
const OTHER_ARCH_PKGS = 'amd64|arm|arm64|loong64|mips|mips64|ppc64|riscv64|s390x|x86';
const OTHER_ARCH_SSA = 'AMD64|386|ARM|ARM64|PPC64|MIPS64|LOONG64|S390X|MIPS|RISCV64';

function replaceChecked(file: string, src: string, pattern: RegExp, min: number): string {
  let n = 0;
  const out = src.replace(pattern, () => (n++, ''));
  if (n < min) throw new ToolchainBuildError(`trimming ${file} for wasm: expected at least ${min} matches of ${pattern}, found ${n}: port the trim to this Go`);
  return out;
}

/**
 * The in-tab compiler and linker only ever target js/wasm, yet cmd/compile and cmd/link carry a
 * backend for every architecture (the SSA lowering rules alone are megabytes of wasm). An overlay
 * registers the wasm backend only and leaves the other rules unreferenced, so the linker drops
 * them. The code that runs for wasm is untouched (the byte-for-byte test against the native cross
 * build in runtime/test/toolchain.test.ts holds the result to that).
 */
export function trimmedToolSources(goroot: string): Record<string, string> {
  const read = (rel: string) => readFileSync(join(goroot, 'src', rel), 'utf8');
  const compileMain = 'cmd/compile/main.go';
  let cm = replaceChecked(compileMain, read(compileMain), new RegExp(`^\\t"cmd/compile/internal/(${OTHER_ARCH_PKGS})"\\n`, 'gm'), 10);
  cm = replaceChecked(compileMain, cm, new RegExp(`^\\t"[a-z0-9]+":\\s+(${OTHER_ARCH_PKGS})\\.Init,\\n`, 'gm'), 10);
  if (!/"wasm":\s+wasm\.Init,/.test(cm)) throw new ToolchainBuildError(`${compileMain}: no "wasm": wasm.Init entry left: port the trim to this Go`);

  const ssaConfig = 'cmd/compile/internal/ssa/config.go';
  let n = 0;
  const sc = read(ssaConfig).replace(new RegExp(`\\brewrite(Block|Value)(${OTHER_ARCH_SSA})(latelower|splitload)?\\b`, 'g'), () => (n++, 'nil'));
  if (n < 20 || !/c\.lowerValue = rewriteValueWasm\b/.test(sc)) throw new ToolchainBuildError(`${ssaConfig}: unexpected NewConfig (${n} rewrite references): port the trim to this Go`);

  const linkMain = 'cmd/link/main.go';
  let lm = replaceChecked(linkMain, read(linkMain), new RegExp(`^\\t"cmd/link/internal/(${OTHER_ARCH_PKGS})"\\n`, 'gm'), 10);
  lm = replaceChecked(linkMain, lm, new RegExp(`^\\tcase "[^"]+"(, "[^"]+")?:\\n\\t\\tarch, theArch = (${OTHER_ARCH_PKGS})\\.Init\\(\\)\\n`, 'gm'), 10);
  if (!/arch, theArch = wasm\.Init\(\)/.test(lm)) throw new ToolchainBuildError(`${linkMain}: no wasm case left: port the trim to this Go`);
  return { [compileMain]: cm, [ssaConfig]: sc, [linkMain]: lm };
}

async function buildTools(go: string, goroot: string, dir: string, log: (l: string) => void): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ghl-tools-'));
  try {
    const replace: Record<string, string> = {};
    for (const [rel, content] of Object.entries(trimmedToolSources(goroot))) {
      const file = join(work, rel.replace(/\//g, '_'));
      writeFileSync(file, content);
      replace[join(goroot, 'src', rel)] = file;
    }
    const overlay = join(work, 'overlay.json');
    writeFileSync(overlay, JSON.stringify({ Replace: replace }));
    for (const tool of ['compile', 'link']) {
      const started = Date.now();
      const out = join(dir, `${tool}.wasm.tmp`);
      await runGo(go, ['build', '-p', '1', '-trimpath', '-overlay', overlay, '-ldflags=-s -w', '-o', out, `cmd/${tool}`], work, { ...jsWasmEnv(), GOFLAGS: '' }, 30 * 60_000);
      renameSync(out, join(dir, `${tool}.wasm`));
      log(`  cmd/${tool} for js/wasm: ${(statSync(join(dir, `${tool}.wasm`)).size / 1e6).toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function buildPack(
  go: string,
  dir: string,
  groups: ModuleGroup[],
  overlay: string | null,
  overlaySha256: string | undefined,
  goVersion: string,
  log: (l: string) => void,
): Promise<PackManifest> {
  const work = mkdtempSync(join(tmpdir(), 'ghl-pack-'));
  try {
    const packages = new Map<string, { export: string; hash: string; listed: ListedPackage; from: string }>();
    const modules: PackManifest['modules'] = {};
    for (const group of groups) {
      const started = Date.now();
      const listed = await listGroup(go, group, overlay, work);
      const sums = parseGoSum(group.goSum);
      for (const p of listed) {
        if (p.ImportPath === 'unsafe' || !p.Export) continue;
        const hash = sha256(readFileSync(p.Export));
        const seen = packages.get(p.ImportPath);
        if (seen && seen.hash !== hash) {
          throw new ToolchainBuildError(
            `package ${p.ImportPath} builds differently for ${seen.from} and for ${group.labels[0]} (different module versions?): ` +
              'one pack can hold one build of a package; align the labs\' go.mod requirements',
          );
        }
        if (!seen) packages.set(p.ImportPath, { export: p.Export, hash, listed: p, from: group.labels[0]! });
        const m = p.Module;
        if (m && !m.Main && m.Version) {
          const have = modules[m.Path];
          if (have && have.version !== m.Version) {
            throw new ToolchainBuildError(`module ${m.Path} is required at ${have.version} and at ${m.Version} by the browser labs: align their go.mod files`);
          }
          modules[m.Path] = { version: m.Version, sum: sums.get(`${m.Path}@${m.Version}`) ?? have?.sum };
        }
      }
      log(`  ${group.labels.length} program(s) of ${parseGoMod(group.goMod).module}: ${listed.length} packages listed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const std = (await runGo(go, ['list', 'std'], work, jsWasmEnv(), 120_000)).split('\n').filter(Boolean);

    const next = join(dir, 'pack.tmp');
    rmSync(next, { recursive: true, force: true });
    const manifest: PackManifest = { format: FORMAT, goVersion, id: '', ...(overlaySha256 ? { overlaySha256 } : {}), std, modules, packages: {} };
    const id = createHash('sha256').update(goVersion);
    for (const path of [...packages.keys()].sort()) {
      const p = packages.get(path)!;
      const file = `pack/${path}.a`;
      const target = join(next, `${path}.a`);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(p.export, target);
      const m = p.listed.Module;
      manifest.packages[path] = {
        file,
        std: Boolean(p.listed.Standard),
        ...(m && m.Version ? { module: `${m.Path}@${m.Version}` } : {}),
        imports: (p.listed.Imports ?? []).filter((i) => i !== 'unsafe' && i !== 'C'),
        size: statSync(p.export).size,
      };
      id.update(`${path}\0${p.hash}\0`);
    }
    manifest.id = id.digest('hex').slice(0, 32);
    rmSync(join(dir, 'pack'), { recursive: true, force: true });
    renameSync(next, join(dir, 'pack'));
    writeFileSync(join(dir, 'pack.json'), JSON.stringify(manifest) + '\n');
    return manifest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Copies @wasm-fmt/gofmt's Node entry and wasm into <dist>/gofmt, so the toolchain needs no node_modules. */
function copyGofmt(dist: string): void {
  const pkg = join(repoRoot, 'node_modules', '@wasm-fmt', 'gofmt');
  if (!existsSync(pkg)) throw new ToolchainBuildError('@wasm-fmt/gofmt is not installed: run npm install');
  const out = join(dist, 'gofmt');
  mkdirSync(out, { recursive: true });
  for (const f of ['gofmt_node.js', 'gofmt_binding.js', 'gofmt.wasm', 'LICENSE']) {
    const from = join(pkg, f);
    if (existsSync(from)) cpSync(from, join(out, f));
  }
  writeFileSync(join(out, 'package.json'), '{ "type": "module", "main": "gofmt_node.js" }\n');
}

export async function buildToolchain(opts: ToolchainOptions = {}): Promise<ToolchainResult> {
  const log = opts.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const dist = resolve(opts.dist ?? defaultDist);
  const dir = join(dist, 'toolchain');
  mkdirSync(dir, { recursive: true });
  const overlay = opts.overlay === undefined ? (existsSync(join(dist, 'overlay.json')) ? join(dist, 'overlay.json') : null) : opts.overlay;
  if (!overlay) log('  (no runtime/dist/overlay.json: the pack is built against the stock js/wasm std)');

  const go = goCommand();
  const goVersion = goEnv(go, 'GOVERSION');
  const goroot = goEnv(go, 'GOROOT');
  const stampFile = join(dir, 'stamp.json');
  const stamp = opts.force ? { format: FORMAT } : readStamp(stampFile);
  const fresh: Stamp = { format: FORMAT };

  fresh.tools = sha256(`${FORMAT}\0${goVersion}\0${goroot}\0${JSON.stringify(trimmedToolSources(goroot))}`);
  const toolsThere = existsSync(join(dir, 'compile.wasm')) && existsSync(join(dir, 'link.wasm'));
  const builtTools = !(stamp.format === FORMAT && stamp.tools === fresh.tools && toolsThere);
  if (builtTools) await buildTools(go, goroot, dir, log);
  writeFileSync(stampFile, JSON.stringify({ ...stamp, format: FORMAT, tools: fresh.tools }) + '\n');

  const groups = groupPrograms(browserPrograms(), goVersion);
  fresh.pack = sha256(
    JSON.stringify({
      FORMAT,
      goVersion,
      goroot,
      overlay: overlayHash(overlay),
      groups: groups.map((g) => [sha256(g.goMod), sha256(g.goSum), [...g.imports].sort()]).sort(),
    }),
  );
  const packThere = existsSync(join(dir, 'pack.json')) && existsSync(join(dir, 'pack'));
  const builtPack = !(stamp.format === FORMAT && stamp.pack === fresh.pack && packThere);
  let manifest: PackManifest;
  if (builtPack) {
    const shaFile = overlay ? join(dirname(overlay), 'overlay.sha256') : undefined;
    const overlaySha256 = shaFile && existsSync(shaFile) ? readFileSync(shaFile, 'utf8').trim() : undefined;
    manifest = await buildPack(go, dir, groups, overlay, overlaySha256, goVersion, log);
  } else {
    manifest = JSON.parse(readFileSync(join(dir, 'pack.json'), 'utf8')) as PackManifest;
  }
  copyGofmt(dist);
  writeFileSync(stampFile, JSON.stringify(fresh) + '\n');
  const packBytes = Object.values(manifest.packages).reduce((s, p) => s + p.size, 0);
  return { dir, goVersion, builtTools, builtPack, packages: Object.keys(manifest.packages).length, packBytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  buildToolchain({ force: process.argv.includes('--force') })
    .then((r) => {
      process.stdout.write(
        `toolchain ${r.goVersion}: ${r.builtTools ? 'built' : 'kept'} compile.wasm + link.wasm, ${r.builtPack ? 'built' : 'kept'} the pack ` +
          `(${r.packages} packages, ${(r.packBytes / 1e6).toFixed(1)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${r.dir}\n`,
      );
    })
    .catch((err: Error) => {
      process.stderr.write(`runtime:build (toolchain): ${err.message}\n`);
      process.exit(2);
    });
}
