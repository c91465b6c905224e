// @ts-check
// The `go` command of the browser runtime: the subset a lab's terminal needs, with go's own
// messages and exit codes. See runtime/toolchain/go.mjs.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { GoCommandError, buildProgram, cacheDir, findModuleRoot, outputPath } from './build.mjs';
import { goFmtCommand } from './fmt.mjs';
import { loadPack } from './pack.mjs';
import { runtimePaths } from './paths.mjs';

const ELSEWHERE = 'run it with the Docker or native runtime, which has the whole Go toolchain';

/** Commands go has that the browser runtime does not offer, with what to do instead. */
const UNAVAILABLE = {
  vet: `go vet is not available in the browser runtime: ${ELSEWHERE}`,
  test: `go test is not available in the browser runtime (the labs are graded by Check): ${ELSEWHERE}`,
  get: 'go get is not available in the browser runtime: it has no module proxy; the labs come with every module they use',
  install: `go install is not available in the browser runtime: use go build or go run`,
  mod: `go mod is not available in the browser runtime (no module proxy): ${ELSEWHERE}`,
  list: `go list is not available in the browser runtime: ${ELSEWHERE}`,
  tool: `go tool is not available in the browser runtime (pprof, trace and friends need the full toolchain): ${ELSEWHERE}`,
  generate: `go generate is not available in the browser runtime: ${ELSEWHERE}`,
  work: `go work is not available in the browser runtime: ${ELSEWHERE}`,
  clean: `go clean is not available in the browser runtime`,
  doc: `go doc is not available in the browser runtime: see https://pkg.go.dev`,
  fix: `go fix is not available in the browser runtime: ${ELSEWHERE}`,
  bug: `go bug is not available in the browser runtime`,
  telemetry: `go telemetry is not available in the browser runtime`,
};

const USAGE = `Go is a tool for managing Go source code (browser runtime: compiler and linker in WebAssembly).

Usage:

\tgo <command> [arguments]

The commands are:

\tbuild       compile packages and dependencies
\tenv         print Go environment information
\tfmt         gofmt (reformat) package sources
\trun         compile and run Go program
\tversion     print Go version

vet, test, mod, get and the other commands need the Docker or native runtime.
`;

/**
 * @typedef {{ out: (s: string) => void; err: (s: string) => void }} Streams
 * @typedef {{ cwd: string; env: NodeJS.ProcessEnv } & Streams} Io
 */

/**
 * @param {string[]} argv the arguments after "go"
 * @param {Io} io
 * @returns {Promise<number>} the exit code
 */
export async function goCommand(argv, io) {
  const [cmd, ...args] = argv;
  try {
    switch (cmd) {
      case undefined:
        io.err(USAGE);
        return 2;
      case 'help':
      case '-h':
      case '--help':
        io.out(USAGE);
        return 0;
      case 'version':
        return version(args, io);
      case 'env':
        return env(args, io);
      case 'build':
        return await build(args, io);
      case 'run':
        return await run(args, io);
      case 'fmt':
        return await goFmtCommand(args, io);
      default:
        if (cmd in UNAVAILABLE) {
          io.err(UNAVAILABLE[/** @type {keyof typeof UNAVAILABLE} */ (cmd)] + '\n');
          return 2;
        }
        io.err(`go ${cmd}: unknown command\nRun 'go help' for usage.\n`);
        return 2;
    }
  } catch (err) {
    if (err instanceof GoCommandError) {
      io.err(err.message + '\n');
      return err.exitCode;
    }
    io.err(`go: ${/** @type {Error} */ (err).message}\n`);
    return 2;
  }
}

/** @param {Io} io */
function goVersion(io) {
  return loadPack(runtimePaths(io.env).packManifest).goVersion;
}

/** @param {string[]} args @param {Io} io */
function version(args, io) {
  if (args.length) {
    io.err('go version: reading the build information of files is not available in the browser runtime\n');
    return 2;
  }
  io.out(`go version ${goVersion(io)} js/wasm\n`);
  return 0;
}

/** @param {Io} io @returns {Record<string, string>} */
function envVars(io) {
  const paths = runtimePaths(io.env);
  const root = findModuleRoot(io.cwd);
  const home = io.env.HOME ?? '';
  return {
    CGO_ENABLED: '0',
    GO111MODULE: '',
    GOARCH: 'wasm',
    GOCACHE: cacheDir(io.env),
    GOEXE: '',
    GOFLAGS: '',
    GOHOSTARCH: 'wasm',
    GOHOSTOS: 'js',
    GOMOD: root ? `${root}/go.mod` : '/dev/null',
    GOOS: 'js',
    GOPATH: io.env.GOPATH ?? (home ? `${home}/go` : ''),
    GOPROXY: 'off',
    GOROOT: paths.toolchain,
    GOTOOLCHAIN: 'local',
    GOVERSION: goVersion(io),
    GOWORK: '',
  };
}

/** @param {string[]} args @param {Io} io */
function env(args, io) {
  const json = args.includes('-json');
  const names = args.filter((a) => !a.startsWith('-'));
  const bad = args.find((a) => a.startsWith('-') && a !== '-json');
  if (bad) {
    io.err(bad === '-w' || bad === '-u' ? `go env ${bad}: changing the Go environment is not available in the browser runtime\n` : `flag provided but not defined: ${bad}\n`);
    return 2;
  }
  const vars = envVars(io);
  if (json) {
    const pick = names.length ? Object.fromEntries(names.map((n) => [n, vars[n] ?? ''])) : vars;
    io.out(JSON.stringify(pick, null, '\t') + '\n');
  } else if (names.length) {
    for (const n of names) io.out((vars[n] ?? '') + '\n');
  } else {
    for (const [k, v] of Object.entries(vars)) io.out(`${k}='${v}'\n`);
  }
  return 0;
}

/**
 * @typedef {{ o?: string; ldflags?: string; tags?: string[]; trimpath?: boolean; rebuild?: boolean; verbose?: boolean; trace?: boolean; work?: boolean; rest: string[] }} BuildFlags
 */

/**
 * go's build flags, as far as the browser runtime has them. Flags end at the first non-flag
 * argument (go run passes everything after the package to the program).
 * @param {string[]} args
 * @param {'build' | 'run'} cmd
 * @returns {BuildFlags}
 */
export function parseBuildFlags(args, cmd) {
  /** @type {BuildFlags} */
  const f = { rest: [] };
  const usage = cmd === 'build' ? 'usage: go build [-o output] [build flags] [packages]' : 'usage: go run [build flags] [-exec xprog] package [arguments...]';
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const eq = a.indexOf('=');
    const name = a.replace(/^--?/, '').replace(/=.*$/, '');
    const value = () => {
      if (eq >= 0) return a.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new GoCommandError(`flag needs an argument: -${name}\n${usage}\nRun 'go help ${cmd}' for details.`, 2);
      return v;
    };
    switch (name) {
      case 'o':
        if (cmd !== 'build') throw new GoCommandError(`flag provided but not defined: -o\n${usage}\nRun 'go help ${cmd}' for details.`, 2);
        f.o = value();
        break;
      case 'ldflags':
        f.ldflags = value();
        break;
      case 'tags':
        f.tags = value().split(/[\s,]+/).filter(Boolean);
        break;
      case 'trimpath':
        f.trimpath = eq < 0 || a.slice(eq + 1) !== 'false';
        break;
      case 'a':
        f.rebuild = true;
        break;
      case 'v':
        f.verbose = true;
        break;
      case 'x':
        f.trace = true;
        break;
      case 'work':
        f.work = true;
        break;
      case 'p':
      case 'mod':
      case 'buildvcs':
        if (eq < 0 && name !== 'buildvcs') value();
        break;
      case 'race':
      case 'msan':
      case 'asan':
      case 'cover':
      case 'coverpkg':
      case 'covermode':
      case 'buildmode':
      case 'gcflags':
      case 'asmflags':
      case 'gccgoflags':
      case 'compiler':
      case 'linkshared':
      case 'modfile':
      case 'overlay':
      case 'pgo':
      case 'pkgdir':
      case 'toolexec':
      case 'exec':
      case 'n':
      case 'json':
        throw new GoCommandError(`go ${cmd}: -${name} is not available in the browser runtime: ${ELSEWHERE}`, 2);
      default:
        throw new GoCommandError(`flag provided but not defined: -${name}\n${usage}\nRun 'go help ${cmd}' for details.`, 2);
    }
  }
  f.rest = args.slice(i);
  return f;
}

/**
 * @param {BuildFlags} f
 * @param {string[]} patterns
 * @param {Io} io
 */
function buildRequest(f, patterns, io) {
  return {
    cwd: io.cwd,
    patterns,
    env: io.env,
    tags: f.tags,
    ldflags: f.ldflags,
    trimpath: f.trimpath,
    rebuild: f.rebuild,
    keepWork: f.work ? (/** @type {string} */ dir) => io.err(`WORK=${dir}\n`) : undefined,
    log: f.verbose ? (/** @type {string} */ p) => io.err(p + '\n') : undefined,
    trace: f.trace ? (/** @type {string} */ l) => io.err(l + '\n') : undefined,
  };
}

/** @param {string[]} args @param {Io} io */
async function build(args, io) {
  const f = parseBuildFlags(args, 'build');
  const r = await buildProgram(buildRequest(f, f.rest, io));
  if (r.wasm) {
    // go build of a main package writes the program; named -o or not, like go.
    const out = outputPath(io.cwd, r.main, f.o);
    mkdirSync(dirname(out), { recursive: true });
    copyFileSync(r.wasm, out);
  } else if (f.o !== undefined && r.main.name !== 'main') {
    // go build -o of a library writes an archive; nothing in the labs needs it.
    io.err(`go build: -o of a package that is not main (${r.main.importPath}) is not supported by the browser runtime\n`);
    return 1;
  }
  return 0;
}

/**
 * The package and the program's arguments of go run: leading .go files, or one package.
 * @param {string[]} rest
 */
export function splitRunArgs(rest) {
  let n = 0;
  while (n < rest.length && (rest[n] ?? '').endsWith('.go')) n++;
  if (n === 0 && rest.length) n = 1;
  return { patterns: rest.slice(0, n), programArgs: rest.slice(n) };
}

/** @type {Partial<Record<NodeJS.Signals, string>>} how os.ProcessState names a signal */
const SIGNAL_NAMES = { SIGINT: 'interrupt', SIGTERM: 'terminated', SIGKILL: 'killed', SIGHUP: 'hangup', SIGQUIT: 'quit', SIGABRT: 'aborted', SIGSEGV: 'segmentation fault', SIGPIPE: 'broken pipe' };

/** @param {string[]} args @param {Io} io */
async function run(args, io) {
  const f = parseBuildFlags(args, 'run');
  const { patterns, programArgs } = splitRunArgs(f.rest);
  if (!patterns.length) {
    io.err('go: no go files listed\n');
    return 1;
  }
  const r = await buildProgram(buildRequest(f, patterns, io));
  if (!r.wasm) {
    io.err(`package ${r.main.importPath} is not a main package\n`);
    return 1;
  }
  const launcher = runtimePaths(io.env).launcher;
  if (!existsSync(launcher)) throw new GoCommandError(`go: the browser runtime's launcher is missing (${launcher}): run npm run runtime:build`, 2);
  return await exec(process.execPath || 'node', [launcher, r.wasm, ...programArgs], io);
}

/**
 * Runs the program under the launcher with our stdio; forwards SIGTERM, SIGHUP and SIGINT. On a
 * real terminal Ctrl-C already reaches the whole foreground process group, the program included,
 * so there SIGINT is not forwarded (the program gets it once, as under cmd/go, which ignores SIGINT
 * while its child runs); a WebContainer (process.versions.webcontainer) has no process groups.
 * Exit like go run: 0, or "exit status N" / "signal: terminated" and 1.
 * @param {string} cmd
 * @param {string[]} argv
 * @param {Io} io
 * @returns {Promise<number>}
 */
function exec(cmd, argv, io) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, argv, { cwd: io.cwd, env: io.env, stdio: 'inherit' });
    /** @type {NodeJS.Signals[]} */
    const forwarded = ['SIGTERM', 'SIGHUP', 'SIGINT'];
    const groupGetsCtrlC = Boolean(process.stdin.isTTY) && !(/** @type {Record<string, string | undefined>} */ (process.versions).webcontainer);
    /** @type {Map<NodeJS.Signals, () => void>} */
    const handlers = new Map();
    for (const sig of forwarded) {
      const h = () => {
        if (sig === 'SIGINT' && groupGetsCtrlC) return;
        child.kill(sig);
      };
      handlers.set(sig, h);
      process.on(sig, h);
    }
    const done = (/** @type {number} */ code) => {
      for (const [sig, h] of handlers) process.removeListener(sig, h);
      resolvePromise(code);
    };
    child.on('error', (err) => {
      io.err(`go: ${err.message}\n`);
      done(1);
    });
    child.on('exit', (code, signal) => {
      if (signal) {
        io.err(`signal: ${SIGNAL_NAMES[signal] ?? signal}\n`);
        done(1);
      } else if (code) {
        io.err(`exit status ${code}\n`);
        done(1);
      } else done(0);
    });
  });
}
