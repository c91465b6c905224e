// @ts-check
// `go build` for the browser runtime: load the main module's packages (go.mod, build constraints,
// imports), check every import against the precompiled pack, then compile each local package and
// link the program with compile.wasm and link.wasm, all in this Node process. The result is cached
// by the content of everything that goes into it: a warm `go run .` skips compile and link.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isStdPath, jsWasmTags, selectPackageFiles } from './gosrc.mjs';
import { langVersion, parseGoMod, parseGoSum, providingModule } from './gomod.mjs';
import { archiveOf, loadPack, packClosure, packModules } from './pack.mjs';
import { runtimePaths } from './paths.mjs';
import { forgetTool, runTool } from './wasmtool.mjs';

const FORMAT = 'ghl-go-build-1';
/** how many linked programs the cache keeps (each is ~10 MB) */
const CACHE_KEEP = 12;

/** An error the go command reports to the learner as is (stderr), with its exit code. */
export class GoCommandError extends Error {
  /**
   * @param {string} message the complete text go would print
   * @param {number} [exitCode]
   */
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * @typedef {{
 *   importPath: string;
 *   name: string;
 *   dir: string;
 *   files: { name: string; path: string; source: string }[];
 *   localImports: string[];
 *   packImports: string[];
 * }} LocalPackage
 *
 * @typedef {{
 *   cwd: string;
 *   patterns: string[];
 *   env?: NodeJS.ProcessEnv;
 *   tags?: string[];
 *   ldflags?: string;
 *   trimpath?: boolean;
 *   rebuild?: boolean;
 *   keepWork?: (dir: string) => void;
 *   log?: (line: string) => void;
 *   trace?: (line: string) => void;
 * }} BuildRequest
 *
 * @typedef {{
 *   main: LocalPackage;
 *   packages: LocalPackage[];
 *   module: string;
 *   wasm: string | undefined;
 *   cached: boolean;
 *   compileMs: number;
 *   linkMs: number;
 * }} BuildResult
 */

/** @param {string | Buffer} data */
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/**
 * The directory of the go.mod that governs `dir`.
 * @param {string} dir
 */
export function findModuleRoot(dir) {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, 'go.mod'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * The cache of linked programs: $GHL_GO_CACHE, else $XDG_CACHE_HOME/ghl-go-wasm, else ~/.cache/ghl-go-wasm.
 * @param {NodeJS.ProcessEnv} env
 */
export function cacheDir(env) {
  if (env.GHL_GO_CACHE) return resolve(env.GHL_GO_CACHE);
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir() || tmpdir(), '.cache');
  return join(base, 'ghl-go-wasm');
}

/**
 * Loads the package(s) named by `patterns` and the local packages they import, checking every
 * import against the pack. Throws GoCommandError with go's message for whatever go would reject.
 * @param {BuildRequest} req
 */
export function loadProgram(req) {
  const env = req.env ?? process.env;
  const paths = runtimePaths(env);
  const pack = loadPack(paths.packManifest);
  const cwd = resolve(req.cwd);
  const patterns = req.patterns.length ? req.patterns : ['.'];
  const goFiles = patterns.filter((p) => p.endsWith('.go'));
  if (goFiles.length && goFiles.length !== patterns.length) {
    throw new GoCommandError(`go: named files must be .go files, not ${patterns.filter((p) => !p.endsWith('.go')).join(' ')}; name either .go files or one package`);
  }
  if (!goFiles.length && patterns.length > 1) {
    throw new GoCommandError(`go: the browser runtime builds one package at a time (got ${patterns.join(' ')})`);
  }
  if (patterns.some((p) => p.includes('...'))) {
    throw new GoCommandError(`go: patterns such as ${patterns.find((p) => p.includes('...'))} are not supported by the browser runtime: name one package, such as .`);
  }
  const startDir = goFiles.length ? dirname(resolve(cwd, goFiles[0] ?? '.')) : resolve(cwd, isLocalPattern(patterns[0] ?? '.') ? (patterns[0] ?? '.') : '.');
  const root = findModuleRoot(goFiles.length ? startDir : cwd);
  if (!root) throw new GoCommandError("go: go.mod file not found in current directory or any parent directory; see 'go help modules'");
  const gomod = parseGoMod(readFileSync(join(root, 'go.mod'), 'utf8'));
  if (!gomod.module) throw new GoCommandError(`go: error reading go.mod: missing module declaration. To specify the module path:\n\tgo mod edit -module=example/mod`);
  const modulePath = gomod.module;
  const running = pack.goVersion.replace(/^go/, '');
  if (gomod.go && compareGoVersions(gomod.go, running) > 0) {
    throw new GoCommandError(`go: go.mod requires go >= ${gomod.go} (running go ${running}; GOTOOLCHAIN=local)`);
  }
  // The pack holds one build of each module: a replacement (another version, a fork, a local copy) cannot be honoured.
  const replace = gomod.replaces[0];
  if (replace) {
    throw new GoCommandError(`go: go.mod replaces ${replace.from} with ${replace.to}: replace directives are not supported by the browser runtime (use the Docker or native runtime)`);
  }
  const sums = existsSync(join(root, 'go.sum')) ? parseGoSum(readFileSync(join(root, 'go.sum'), 'utf8')) : new Map();
  const goVersion = pack.goVersion;
  const tags = req.tags ?? [];
  const baseTags = jsWasmTags(goVersion);
  const has = (/** @type {string} */ t) => baseTags(t) || tags.includes(t);
  const show = (/** @type {string} */ file) => relative(cwd, file) || basename(file);

  /** @type {Map<string, LocalPackage>} */
  const loaded = new Map();
  /** @type {string[]} */
  const diagnostics = [];

  /**
   * @param {string} dir
   * @param {string} importPath
   * @param {string[] | undefined} onlyFiles
   * @param {string[]} stack
   * @returns {LocalPackage | undefined}
   */
  const load = (dir, importPath, onlyFiles, stack) => {
    const seen = loaded.get(importPath);
    if (seen) return seen;
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new GoCommandError(`stat ${dir}: directory not found`);
    }
    const names = onlyFiles ?? readdirSync(dir).filter((n) => n.endsWith('.go') && statSync(join(dir, n)).isFile());
    const entries = names.map((n) => {
      const path = resolve(dir, n);
      if (!existsSync(path)) throw new GoCommandError(`stat ${n}: no such file or directory`);
      return { name: basename(path), path, source: readFileSync(path, 'utf8') };
    });
    const selected = selectPackageFilesWith(entries, goVersion, has, Boolean(onlyFiles));
    if (selected.errors.length) throw new GoCommandError(selected.errors.map((e) => `${importPath}: ${e}`).join('\n'));
    if (!selected.files.length) {
      throw new GoCommandError(
        selected.ignored.length ? `package ${importPath}: build constraints exclude all Go files in ${dir}` : `no Go files in ${dir}`,
      );
    }
    const others = readdirSync(dir).filter((n) => /\.(s|S|c|cc|cpp|cxx|h|hh|m|f|F|f90|syso|swig|swigcxx)$/.test(n));
    if (!onlyFiles && others.length) {
      throw new GoCommandError(`package ${importPath}: ${others[0]} is not a Go file: assembly, C and .syso files need the Docker or native runtime`);
    }
    const files = selected.files.map((f) => entries.find((e) => e.name === f.name)).filter((e) => e !== undefined);
    /** @type {LocalPackage} */
    const pkg = { importPath, name: selected.packageName ?? 'main', dir, files, localImports: [], packImports: [] };
    loaded.set(importPath, pkg);
    for (const f of selected.files) {
      const file = join(dir, f.name);
      if (f.header.embeds) diagnostics.push(`${show(file)}: //go:embed is not supported by the browser runtime (use the Docker or native runtime)`);
      for (const spec of f.header.imports) {
        const at = `${show(file)}:${spec.line}:${spec.col}`;
        const path = spec.path;
        if (path === 'unsafe' || path === 'C') continue;
        if (path === modulePath || path.startsWith(modulePath + '/')) {
          if (stack.includes(path) || path === importPath) {
            diagnostics.push(`package ${stack[0] ?? importPath}\n\t${[...stack, importPath].map((p) => `imports ${p}`).join('\n\t')}\n\timports ${path}: import cycle not allowed`);
            continue;
          }
          if (!pkg.localImports.includes(path)) pkg.localImports.push(path);
          const sub = load(join(root, path.slice(modulePath.length)), path, undefined, [...stack, importPath]);
          if (sub?.name === 'main') diagnostics.push(`${at}: import "${path}" is a program, not an importable package`);
          continue;
        }
        const problem = importProblem(path, pack, gomod, at, importPath);
        if (problem) diagnostics.push(problem);
        else if (!pkg.packImports.includes(path)) pkg.packImports.push(path);
      }
    }
    return pkg;
  };

  /** @type {LocalPackage | undefined} */
  let main;
  if (goFiles.length) {
    main = load(startDir, 'command-line-arguments', goFiles.map((f) => resolve(cwd, f)), []);
  } else {
    const pattern = patterns[0] ?? '.';
    if (isLocalPattern(pattern)) {
      const dir = resolve(cwd, pattern);
      const rel = relative(root, dir);
      if (rel.startsWith('..') || isAbsolute(rel)) throw new GoCommandError(`go: directory ${pattern} is outside main module (${modulePath})`);
      main = load(dir, rel ? `${modulePath}/${rel.split(sep).join('/')}` : modulePath, undefined, []);
    } else if (pattern === modulePath || pattern.startsWith(modulePath + '/')) {
      main = load(join(root, pattern.slice(modulePath.length)), pattern, undefined, []);
    } else {
      throw new GoCommandError(`go: the browser runtime builds the packages of your module (${modulePath}), not ${pattern}`);
    }
  }
  if (diagnostics.length) throw new GoCommandError(diagnostics.join('\n'));
  if (!main) throw new GoCommandError('go: no package to build');

  const packages = order(main, loaded);
  // Every archive the linker will read must be there (a WebContainer may have mounted part of the pack).
  const closure = packClosure(pack, packages.flatMap((p) => p.packImports));
  const missing = closure.filter((p) => {
    const a = archiveOf(pack, p);
    return !a || !existsSync(a);
  });
  if (missing.length) {
    throw new GoCommandError(
      `go: the browser runtime's precompiled archives of ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} ` +
        `are missing from ${pack.dir}: run npm run runtime:build (or mount the whole pack)`,
      2,
    );
  }
  return { pack, paths, root, modulePath, lang: langVersion(gomod.go), gomod, sums, main, packages, closure };
}

/**
 * The files of a package for js/wasm with the request's -tags; files named on the command line
 * are all used (go/build's UseAllFiles), except tests, which go refuses to run.
 * @param {{ name: string; path: string; source: string }[]} entries
 * @param {string} goVersion
 * @param {(tag: string) => boolean} has
 * @param {boolean} named
 */
function selectPackageFilesWith(entries, goVersion, has, named) {
  if (named) {
    const test = entries.find((e) => e.name.endsWith('_test.go'));
    if (test) throw new GoCommandError(`go: cannot run *_test.go files (${test.name})`);
  }
  return selectPackageFiles(entries, goVersion, { has, useAll: named });
}

/**
 * Orders Go versions such as "1.26", "1.26.0", "1.27rc1" (a pre-release sorts before its release).
 * @param {string} a
 * @param {string} b
 */
export function compareGoVersions(a, b) {
  const parse = (/** @type {string} */ v) => {
    const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?/.exec(v) ?? [];
    return [Number(m[1] ?? 0), Number(m[2] ?? 0), Number(m[3] ?? 0), m[4] ? -1 : 0];
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < x.length; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0) ? -1 : 1;
  return 0;
}

/** @param {string} p */
function isLocalPattern(p) {
  return p === '.' || p === '..' || p.startsWith('./') || p.startsWith('../') || p.startsWith('/');
}

/**
 * What go would say about importing `path`, or what the browser runtime cannot give; undefined when fine.
 * @param {string} path
 * @param {import('./pack.mjs').Pack} pack
 * @param {import('./gomod.mjs').GoMod} gomod
 * @param {string} at file:line:col
 * @param {string} importer
 */
function importProblem(path, pack, gomod, at, importer) {
  const elsewhere = 'to use it, run this lab with the Docker or native runtime, which has the whole Go toolchain';
  if (isStdPath(path)) {
    if (!pack.stdSet.has(path)) return `${at}: package ${path} is not in std`;
    if (/(^|\/)internal(\/|$)/.test(path) || path.startsWith('vendor/')) return `${at}: use of internal package ${path} not allowed`;
    if (!pack.packages[path]) {
      return `${at}: package ${path} is not in the browser runtime, which carries only the standard packages the labs use; ${elsewhere}`;
    }
    return undefined;
  }
  const inPack = pack.packages[path];
  if (!inPack) {
    return `${at}: package ${path} is not in the browser runtime, which carries only std and the modules the labs use (${packModules(pack).join(', ')}); ${elsewhere}`;
  }
  const required = providingModule(path, gomod.requires);
  const [modPath, modVersion] = (inPack.module ?? '@').split('@');
  if (!required) {
    return `${at}: no required module provides package ${path}; to add it, put this line in go.mod (go get is not available in the browser runtime):\n\trequire ${modPath} ${modVersion}`;
  }
  if (required.path !== modPath || required.version !== modVersion) {
    return `${at}: package ${path}: the browser runtime has ${modPath} ${modVersion}, but go.mod requires ${required.path} ${required.version}; require ${modPath} ${modVersion} or use the Docker or native runtime`;
  }
  void importer;
  return undefined;
}

/**
 * Local packages in compile order (dependencies first).
 * @param {LocalPackage} main
 * @param {Map<string, LocalPackage>} loaded
 */
function order(main, loaded) {
  /** @type {LocalPackage[]} */
  const out = [];
  const done = new Set();
  /** @param {LocalPackage} p */
  const visit = (p) => {
    if (done.has(p.importPath)) return;
    done.add(p.importPath);
    for (const i of p.localImports) {
      const dep = loaded.get(i);
      if (dep) visit(dep);
    }
    out.push(p);
  };
  visit(main);
  return out;
}

/**
 * A Go string literal (strconv.Quote-compatible for the linker's strconv.Unquote) of raw bytes.
 * @param {Buffer} bytes
 */
function goQuote(bytes) {
  let s = '"';
  for (const b of bytes) {
    if (b === 0x22) s += '\\"';
    else if (b === 0x5c) s += '\\\\';
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x09) s += '\\t';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += '\\x' + b.toString(16).padStart(2, '0');
  }
  return s + '"';
}

const MODINFO_START = Buffer.from([0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02, 0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6]);
const MODINFO_END = Buffer.from([0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72, 0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2]);

/**
 * The build information the go command embeds (runtime/debug.ReadBuildInfo, `go version -m`).
 * @param {ReturnType<typeof loadProgram>} prog
 * @param {BuildRequest} req
 */
function modinfo(prog, req) {
  const lines = [`path\t${prog.main.importPath}`, `mod\t${prog.modulePath}\t(devel)\t`];
  const mods = new Set(prog.closure.map((p) => prog.pack.packages[p]?.module).filter((m) => m !== undefined));
  for (const m of [...mods].sort()) {
    const [path, version] = m.split('@');
    const sum = prog.sums.get(m) ?? prog.pack.modules[path ?? '']?.sum ?? '';
    lines.push(`dep\t${path}\t${version}\t${sum}`);
  }
  lines.push('build\t-buildmode=exe', 'build\t-compiler=gc');
  if (req.ldflags) lines.push(`build\t-ldflags=${req.ldflags.includes(' ') ? JSON.stringify(req.ldflags) : req.ldflags}`);
  if (req.tags?.length) lines.push(`build\t-tags=${req.tags.join(',')}`);
  if (req.trimpath) lines.push('build\t-trimpath=true');
  lines.push('build\tCGO_ENABLED=0', 'build\tGOARCH=wasm', 'build\tGOOS=js');
  return `modinfo ${goQuote(Buffer.concat([MODINFO_START, Buffer.from(lines.join('\n') + '\n'), MODINFO_END]))}`;
}

/** @param {string} s */
function splitFlags(s) {
  return (s.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((f) => (/^["'].*["']$/.test(f) ? f.slice(1, -1) : f));
}

/**
 * The cache key: everything that goes into the linked program.
 * @param {ReturnType<typeof loadProgram>} prog
 * @param {BuildRequest} req
 */
function buildKey(prog, req) {
  const tools = [prog.paths.compile, prog.paths.link].map((f) => {
    const st = statSync(f);
    return `${st.size}:${Math.floor(st.mtimeMs)}`;
  });
  return sha256(
    JSON.stringify({
      FORMAT,
      pack: prog.pack.id,
      go: prog.pack.goVersion,
      tools,
      module: prog.modulePath,
      lang: prog.lang,
      sums: [...prog.sums].sort(),
      flags: { ldflags: req.ldflags ?? '', tags: req.tags ?? [], trimpath: Boolean(req.trimpath) },
      packages: prog.packages.map((p) => ({ path: p.importPath, dir: p.dir, files: p.files.map((f) => [f.name, sha256(f.source)]) })),
    }),
  ).slice(0, 40);
}

/**
 * Builds a program: the cached result when its inputs are unchanged, else compile + link.
 * A package that is not main is compiled (errors reported) and nothing is written, as go build does.
 * @param {BuildRequest} req
 * @returns {Promise<BuildResult>}
 */
export async function buildProgram(req) {
  const env = req.env ?? process.env;
  const prog = loadProgram(req);
  const cache = cacheDir(env);
  const key = buildKey(prog, req);
  const cached = join(cache, `${key}.wasm`);
  const isMain = prog.main.name === 'main';
  if (isMain && !req.rebuild && existsSync(cached)) {
    const now = new Date();
    utimesSync(cached, now, now);
    return { main: prog.main, packages: prog.packages, module: prog.modulePath, wasm: cached, cached: true, compileMs: 0, linkMs: 0 };
  }

  const work = mkdtempSync(join(tmpdir(), 'ghl-go-build-'));
  req.keepWork?.(work);
  const cwd = resolve(req.cwd);
  try {
    const packLines = Object.keys(prog.pack.packages).map((p) => `packagefile ${p}=${archiveOf(prog.pack, p)}`);
    /** @type {Map<string, string>} */
    const built = new Map();
    let compileMs = 0;
    for (const [n, pkg] of prog.packages.entries()) {
      const out = join(work, `pkg${n}.a`);
      const cfg = join(work, `importcfg${n}`);
      writeFileSync(cfg, ['# import config', ...packLines, ...[...built].map(([p, f]) => `packagefile ${p}=${f}`)].join('\n') + '\n');
      const args = ['-o', out];
      if (req.trimpath) args.push('-trimpath', `${pkg.dir}=>${pkg.importPath}`);
      args.push('-p', pkg.name === 'main' ? 'main' : pkg.importPath, `-lang=${prog.lang}`, '-complete', '-goversion', prog.pack.goVersion);
      args.push('-c=1', '-nolocalimports', '-importcfg', cfg, '-pack', ...pkg.files.map((f) => f.path));
      req.log?.(pkg.importPath);
      req.trace?.(`compile ${args.join(' ')}`);
      const r = await runTool(prog.paths.compile, args, { wasmExec: prog.paths.wasmExec });
      compileMs += r.ms;
      if (r.code !== 0) throw new GoCommandError(`# ${pkg.importPath}\n${relativize(r.stdout + r.stderr, pkg.dir, cwd)}`.trimEnd());
      built.set(pkg.importPath, out);
    }
    forgetTool(prog.paths.compile);
    if (!isMain) return { main: prog.main, packages: prog.packages, module: prog.modulePath, wasm: undefined, cached: false, compileMs, linkMs: 0 };

    const linkCfg = join(work, 'importcfg.link');
    writeFileSync(linkCfg, ['# import config', ...packLines, ...[...built].map(([p, f]) => `packagefile ${p}=${f}`), modinfo(prog, req)].join('\n') + '\n');
    const linked = join(work, 'a.out.wasm');
    const largs = ['-o', linked, '-importcfg', linkCfg, '-buildmode=exe', ...splitFlags(req.ldflags ?? ''), /** @type {string} */ (built.get(prog.main.importPath))];
    req.trace?.(`link ${largs.join(' ')}`);
    const l = await runTool(prog.paths.link, largs, { wasmExec: prog.paths.wasmExec });
    forgetTool(prog.paths.link);
    if (l.code !== 0) throw new GoCommandError(`# ${prog.main.importPath}\n${relativize(l.stdout + l.stderr, prog.main.dir, cwd)}`.trimEnd());

    mkdirSync(cache, { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    moveFile(linked, tmp);
    renameSync(tmp, cached);
    pruneCache(cache);
    return { main: prog.main, packages: prog.packages, module: prog.modulePath, wasm: cached, cached: false, compileMs, linkMs: l.ms };
  } finally {
    if (!req.keepWork) rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Compiler messages name files by the absolute paths we passed; go shows them relative to the
 * current directory ("./main.go:8:1" in the package's own directory, "util/u.go:3:12" below it).
 * @param {string} text
 * @param {string} dir the package directory
 * @param {string} cwd
 */
export function relativize(text, dir, cwd) {
  const rel = relative(cwd, dir);
  const prefix = rel === '' ? './' : `${rel.split(sep).join('/')}/`;
  return text.split(`${dir}/`).join(prefix);
}

/** @param {string} from @param {string} to */
function moveFile(from, to) {
  try {
    renameSync(from, to);
  } catch {
    copyFileSync(from, to);
    rmSync(from, { force: true });
  }
}

/** @param {string} dir */
function pruneCache(dir) {
  const entries = readdirSync(dir)
    .filter((n) => n.endsWith('.wasm'))
    .map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { n } of entries.slice(CACHE_KEEP)) rmSync(join(dir, n), { force: true });
}

/**
 * Where `go build` writes a program: -o as given (inside it when it is a directory or ends in /),
 * else the last element of the import path (the first file's name for named files) in the
 * current directory. js/wasm executables have no suffix, as with go.
 * @param {string} cwd
 * @param {LocalPackage} main
 * @param {string | undefined} o
 */
export function outputPath(cwd, main, o) {
  const name = main.importPath === 'command-line-arguments' ? basename(main.files[0]?.name ?? 'main', '.go') : (main.importPath.split('/').pop() ?? 'main');
  if (o === undefined) return join(cwd, name);
  const target = resolve(cwd, o);
  if (o.endsWith('/') || (existsSync(target) && statSync(target).isDirectory())) return join(target, name);
  return target;
}
