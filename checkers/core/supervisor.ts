// The supervisor: builds a lab server from a directory, starts it on free loopback ports,
// waits until it accepts, captures its output, applies resource limits, and always kills
// the whole process group at the end (also on Ctrl-C, timeout or crash).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { freePort, waitForListen } from './net.js';
import { track, untrack } from './cleanup.js';
import { isWasmBinary, wasmLaunchArgv } from './wasm-launch.js';

export interface ServerOptions {
  /** RLIMIT_NOFILE for the server (slowloris runs with a small one) */
  openFiles?: number;
  /**
   * RLIMIT_NPROC for the server: a server that forks endlessly hits it (it counts every process of
   * the user, and root ignores it). Default: $GHL_SERVER_MAX_PROCS, set by the grading image.
   */
  maxProcs?: number;
  /** extra environment variables */
  env: Record<string, string>;
  /** give the server an admin listener on ADMIN_ADDR (pprof, expvar) */
  admin: boolean;
  /** how long the server may take to accept its first connection */
  startTimeoutMs: number;
  /** reuse these ports (for a restart on the same address) */
  port?: number;
  adminPort?: number;
  /** working directory (defaults to the check's temp dir) */
  cwd?: string;
  /** build the server with -race (cgo + a C compiler); read by the runner's build step, the whole check then runs that binary */
  race?: boolean;
}

export const defaultServerOptions: ServerOptions = { env: {}, admin: true, startTimeoutMs: 10_000 };

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ms since the process started */
  atMs: number;
}

export interface LabServer {
  pid: number;
  host: string;
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  adminPort?: number;
  adminUrl?: string;
  startedAt: number;
  /** the captured stdout + stderr, line by line (last 2000 lines) */
  logs(): string[];
  /** called with every complete output line from now on */
  onLine(listener: (line: string) => void): void;
  /** undefined while running */
  exitInfo(): ExitInfo | undefined;
  /** resolves when the process has exited */
  exited: Promise<ExitInfo>;
  /** send a signal to the server process only */
  signal(sig: NodeJS.Signals): void;
  /** SIGKILL the whole process group and wait for the exit */
  kill(): Promise<ExitInfo>;
}

export class GoMissingError extends Error {
  constructor() {
    super(
      'the Go toolchain was not found on PATH. Install Go 1.26 (https://go.dev/dl/) or use the Docker lab image: ' +
        'docker run --rm -p 4321:4321 go-ha-labs (see the README, "Instructors and graders").',
    );
  }
}

/** A -race build needs cgo and a C compiler; without one it is the environment that is missing, not the learner's code. */
export class RaceToolchainError extends GoMissingError {
  constructor(detail: string) {
    super();
    this.message =
      `this lab builds your server with the race detector (go build -race), which needs cgo and a C compiler: ${detail}. ` +
      'Install gcc (apt-get install gcc libc6-dev) or run the lab where one is installed.';
  }
}

export class BuildError extends Error {
  constructor(
    readonly firstError: string,
    readonly output: string,
  ) {
    super(`your server did not compile: ${firstError}`);
  }
}

export class StartError extends Error {
  constructor(
    message: string,
    readonly logs: string[],
  ) {
    super(message);
  }
}

export function goBinary(): string {
  const fromEnv = process.env.GO;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new GoMissingError();
  }
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    const r = spawnSync(candidate, ['version'], { encoding: 'utf8' });
    if (r.status === 0) return candidate;
  }
  throw new GoMissingError();
}

/** go build the lab package in `dir` into `outDir/server`. Throws BuildError with the first compiler error. */
export async function buildServer(dir: string, entry: string, outDir: string, opts: { race?: boolean } = {}): Promise<string> {
  const go = goBinary();
  const out = join(outDir, 'server');
  const args = ['build', '-o', out];
  if (opts.race) args.push('-race');
  args.push(goPackageArg(entry));
  const env = {
    ...process.env,
    GOTOOLCHAIN: 'local',
    GOFLAGS: process.env.GOFLAGS ?? '',
    CGO_ENABLED: opts.race ? '1' : '0',
  };
  const output = await runBuild(go, args, dir, env);
  if (output.code !== 0) {
    const noCompiler = opts.race ? /C compiler "[^"]*" not found[^\n]*|-race requires cgo[^\n]*/.exec(output.text) : null;
    if (noCompiler) throw new RaceToolchainError(noCompiler[0]);
    throw new BuildError(firstCompilerError(output.text, dir), output.text);
  }
  return out;
}

/** The package argument of `go build` for a lab's entry ("." or a relative directory). */
export function goPackageArg(entry: string): string {
  return entry.startsWith('.') ? entry : `./${entry}`;
}

/** Runs a build command (tracked: it dies with us) and collects its output. */
export function runBuild(command: string, args: string[], dir: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; text: string }> {
  return new Promise<{ code: number | null; text: string }>((resolvePromise) => {
    const child = spawn(command, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let text = '';
    child.stdout!.on('data', (d) => (text += d));
    child.stderr!.on('data', (d) => (text += d));
    child.on('close', (code) => {
      untrack(child);
      resolvePromise({ code, text });
    });
    child.on('error', (err) => {
      untrack(child);
      resolvePromise({ code: -1, text: String(err) });
    });
  });
}

/** The first line that looks like `file.go:12:3: message`, with the path relative to the lab. */
export function firstCompilerError(text: string, dir: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const located = lines.find((l) => /\.go:\d+(:\d+)?: /.test(l));
  const line = located ?? lines.find((l) => !l.startsWith('#')) ?? 'go build failed with no output';
  return line.replace(dir + '/', '').replace(/^\.\//, '') || relative(dir, line);
}

let setprivAvailable: boolean | undefined;
function hasSetpriv(): boolean {
  if (setprivAvailable === undefined) {
    try {
      // A WebContainer's Node has neither util-linux nor synchronous child processes.
      setprivAvailable = !('webcontainer' in process.versions) && (spawnSync('setpriv', ['--help'], { encoding: 'utf8' }).stdout?.includes('pdeathsig') ?? false);
    } catch {
      setprivAvailable = false;
    }
  }
  return setprivAvailable;
}

/** Start the built server on free loopback ports and wait until it accepts. */
export async function startServer(binary: string, options: Partial<ServerOptions> & { cwd: string }): Promise<LabServer> {
  const opts = { ...defaultServerOptions, ...options };
  const port = opts.port ?? (await freePort());
  const adminPort = opts.admin ? (opts.adminPort ?? (await freePort())) : undefined;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    ADDR: `127.0.0.1:${port}`,
    ...(adminPort ? { ADMIN_ADDR: `127.0.0.1:${adminPort}` } : {}),
    ...opts.env,
  };
  // setpriv --pdeathsig KILL: the server dies with us even if we are SIGKILLed.
  // prlimit: the open-files limit the lab needs.
  const argv: string[] = [];
  // --inh-caps/--ambient-caps -all: in the lab image the checker holds NET_ADMIN and SYS_ADMIN as
  // ambient capabilities (for network namespaces); the learner's server gets none of them.
  if (hasSetpriv()) argv.push('setpriv', '--pdeathsig', 'KILL', '--inh-caps=-all', '--ambient-caps=-all', '--');
  const maxProcs = opts.maxProcs ?? (Number(process.env.GHL_SERVER_MAX_PROCS) || undefined);
  // A js/wasm server runs under Node: the open-files limit is the one its Go code sees (the
  // launcher emulates it), not Node's own.
  const wasm = isWasmBinary(binary);
  // A js/wasm program cannot fork: no process limit for it (and no prlimit, which a WebContainer lacks).
  const limits = wasm
    ? []
    : [...(opts.openFiles ? [`--nofile=${opts.openFiles}:${opts.openFiles}`] : []), ...(maxProcs ? [`--nproc=${maxProcs}:${maxProcs}`] : [])];
  if (limits.length) argv.push('prlimit', ...limits, '--');
  if (wasm) argv.push(...wasmLaunchArgv(binary, { maxFiles: opts.openFiles }));
  else argv.push(binary);
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    env,
    detached: true, // own process group: we kill the group
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const startedAt = Date.now();
  const server = wrap(child, port, adminPort, startedAt);
  try {
    await waitForListen('127.0.0.1', port, opts.startTimeoutMs, server.exited);
  } catch (err) {
    await server.kill();
    const info = server.exitInfo();
    const tail = server.logs().slice(-8);
    if (info && !(err as Error).message.includes('did not accept')) {
      throw new StartError(
        `your server exited before it listened on ADDR=127.0.0.1:${port} (${describeExit(info)})` +
          (tail.length ? `: ${tail[tail.length - 1]}` : ''),
        tail,
      );
    }
    throw new StartError(
      `your server did not listen on ADDR=127.0.0.1:${port} within ${opts.startTimeoutMs / 1000} s ` +
        '(does main read the ADDR environment variable?)',
      tail,
    );
  }
  if (adminPort) {
    try {
      await waitForListen('127.0.0.1', adminPort, 3000, server.exited);
    } catch {
      await server.kill();
      throw new StartError(
        `your server did not open its admin listener on ADMIN_ADDR=127.0.0.1:${adminPort} (keep admin.go as the lesson says)`,
        server.logs().slice(-8),
      );
    }
  }
  return server;
}

export function describeExit(info: ExitInfo): string {
  if (info.signal) return `killed by ${info.signal}`;
  return `exit code ${info.code}`;
}

function wrap(child: ChildProcess, port: number, adminPort: number | undefined, startedAt: number): LabServer {
  const lines: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  const add = (line: string) => {
    lines.push(line);
    if (lines.length > 2000) lines.shift();
    for (const l of listeners) l(line);
  };
  const push = (chunk: Buffer | string) => {
    const parts = String(chunk).split('\n');
    if (partial) parts[0] = partial + parts[0];
    partial = parts.pop() ?? '';
    for (const p of parts) add(p);
  };
  let partial = '';
  child.stdout!.on('data', push);
  child.stderr!.on('data', push);
  let info: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolvePromise) => {
    child.on('exit', (code, signal) => {
      info = { code, signal, atMs: Date.now() - startedAt };
      if (partial) add(partial), (partial = '');
      untrack(child);
      resolvePromise(info);
    });
    child.on('error', (err) => {
      lines.push(`(could not start: ${err.message})`);
      info ??= { code: -1, signal: null, atMs: Date.now() - startedAt };
      untrack(child);
      resolvePromise(info);
    });
  });
  track(child);
  const pid = child.pid ?? -1;
  return {
    pid,
    host: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}`,
    adminPort,
    adminUrl: adminPort ? `http://127.0.0.1:${adminPort}` : undefined,
    startedAt,
    logs: () => (partial ? [...lines, partial] : [...lines]),
    onLine: (listener) => void listeners.push(listener),
    exitInfo: () => info,
    exited,
    signal(sig) {
      if (!info && pid > 0) {
        try {
          // The binary may run under setpriv/prlimit, which exec into it: same pid.
          process.kill(pid, sig);
        } catch {
          /* already gone */
        }
      }
    },
    async kill() {
      if (pid > 0) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // the group is gone, or there are no process groups (a WebContainer): the process itself
          try {
            child.kill('SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      return exited;
    },
  };
}
