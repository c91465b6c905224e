// Running commands on the host and inside a namespace.
// Everything goes through `ip netns exec NAME ...` (iproute2): it enters the network namespace and
// gives the command a private mount namespace with a matching /sys, so tools like `ss`, `nft` and
// `cat /proc/net/tcp` see the namespace and nothing else. Synchronous variants exist because
// cleanup actions and the capability probe must run synchronously (process 'exit' handlers).
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { track, untrack } from '../cleanup.js';
import type { NetnsRef } from './types.js';

/** A failed kernel-tooling command: the sentence says what failed, `stderr` says why. */
export class NetnsError extends Error {
  constructor(
    message: string,
    readonly command: string[] = [],
    readonly stderr = '',
    readonly code: number | null = null,
  ) {
    super(message);
    this.name = 'NetnsError';
  }
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** written to stdin (nft -f - reads its script from there) */
  input?: string;
  /** hard bound; the command is SIGKILLed past it (default 10 s: a hung tool must not hang a check) */
  timeoutMs?: number;
  /** throw NetnsError on a non-zero exit (default true) */
  check?: boolean;
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// Debian puts ip/tc/nft in /usr/sbin, which a non-root PATH lacks: look there too, so the
// capability probe reports "needs root" rather than "ip is not installed".
const EXTRA_PATH = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/local/bin'];
const resolved = new Map<string, string | null>();

/** Absolute path of a system tool, or null when it is not installed. Cached. */
export function which(tool: string): string | null {
  if (resolved.has(tool)) return resolved.get(tool)!;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_PATH];
  const found = dirs.map((d) => join(d, tool)).find((p) => existsSync(p)) ?? null;
  resolved.set(tool, found);
  return found;
}

function toolPath(tool: string): string {
  const p = which(tool);
  if (!p) throw new NetnsError(`\`${tool}\` is not installed (it comes with the ${tool === 'nft' ? 'nftables' : 'iproute2'} package)`, [tool]);
  return p;
}

/** The environment with the system tool directories on PATH (for commands run inside `ip netns exec`). */
function withToolPath(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  return { ...env, PATH: [...dirs, ...EXTRA_PATH.filter((d) => !dirs.includes(d))].join(delimiter) };
}

/** The namespace name of a ref, checked: it ends up on command lines. */
export function nsName(ref: NetnsRef): string {
  const name = typeof ref === 'string' ? ref : ref.name;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/.test(name)) throw new NetnsError(`invalid namespace name ${JSON.stringify(name)}`);
  return name;
}

/** argv prefix that runs a command inside the namespace. */
export function netnsArgv(ref: NetnsRef, argv: string[]): string[] {
  if (argv.length === 0) throw new NetnsError('no command given');
  return [toolPath('ip'), 'netns', 'exec', nsName(ref), ...argv];
}

/** Run a host command synchronously (ip, tc, nft ...), bounded in time. */
export function runSync(argv: string[], opts: ExecOptions = {}): ExecResult {
  const [cmd, ...args] = argv;
  const exe = cmd.includes('/') ? cmd : (which(cmd) ?? cmd);
  const r = spawnSync(exe, args, {
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    env: withToolPath(opts.env ?? process.env),
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const res: ExecResult = { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') {
    throw new NetnsError(`could not run ${argv.join(' ')}: ${r.error.message}`, argv);
  }
  return finish(argv, res, opts);
}

/** Run a command inside the namespace, synchronously. */
export function execInNetnsSync(ref: NetnsRef, argv: string[], opts: ExecOptions = {}): ExecResult {
  return runSync(netnsArgv(ref, argv), opts);
}

/** Run a command inside the namespace; resolves when it exits (or is killed at the bound). */
export function execInNetns(ref: NetnsRef, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const full = netnsArgv(ref, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(full[0], full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: withToolPath(opts.env ?? process.env) });
    track(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      untrack(child);
      reject(new NetnsError(`could not run ${full.join(' ')}: ${e.message}`, full));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      untrack(child);
      if (timedOut) stderr += `\n(killed after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms)`;
      try {
        resolve(finish(full, { code, signal, stdout, stderr }, opts));
      } catch (e) {
        reject(e);
      }
    });
    child.stdin!.on('error', () => {}); // the command may exit before reading its input
    child.stdin!.end(opts.input ?? '');
  });
}

/**
 * Start a long-running command inside the namespace (a lab server, a probe process).
 * It gets its own process group and is tracked by cleanup.ts, so it dies with us.
 */
export function spawnInNetns(ref: NetnsRef, argv: string[], opts: SpawnOptions = {}): ChildProcess {
  const full = netnsArgv(ref, argv);
  const child = spawn(full[0], full.slice(1), { stdio: 'pipe', detached: true, ...opts });
  track(child);
  child.on('exit', () => untrack(child));
  return child;
}

export interface ReexecOptions {
  /** Node flags for the child (default: ours, so a loader such as tsx carries over) */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Re-run Node inside the namespace: `ip netns exec NAME <node> ...execArgv ...argv`, stdio piped.
 * The CLI uses it to run a check's probes in the namespace, so their sockets live there too.
 * The child sees GHL_NETNS=<name>, which tells it where it is (and not to create another one).
 */
export function reexecInNetns(name: NetnsRef, argv: string[], opts: ReexecOptions = {}): ChildProcess {
  const ns = nsName(name);
  return spawnInNetns(ns, [process.execPath, ...(opts.execArgv ?? process.execArgv), ...argv], {
    cwd: opts.cwd,
    env: { ...(opts.env ?? process.env), GHL_NETNS: ns },
    stdio: 'pipe',
  });
}

function finish(argv: string[], res: ExecResult, opts: ExecOptions): ExecResult {
  if ((opts.check ?? true) && res.code !== 0) {
    const why = res.stderr.trim() || (res.signal ? `killed by ${res.signal}` : `exit code ${res.code}`);
    throw new NetnsError(`\`${shortCommand(argv)}\` failed: ${why}`, argv, res.stderr, res.code);
  }
  return res;
}

/** The command as a person would type it (tools without their directory), for error messages. */
export function shortCommand(argv: string[]): string {
  const tools = new Set([...resolved.values()].filter(Boolean));
  return argv
    .map((a) => (tools.has(a) ? a.replace(/^.*\//, '') : a))
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}
