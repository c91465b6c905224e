// Terminals: a real shell on a pty (bash if present, else sh) in the lab's workspace, with the Go
// toolchain first on PATH so that `go run .`, `curl` and `ss` work as the lesson says.
// Closing a terminal hangs up the shell's whole session and every descendant, then SIGKILLs what
// is left a second later (see procs.ts).
import * as pty from '@lydell/node-pty';
import { existsSync } from 'node:fs';
import { hangUpTree, killTree, signalTree } from './procs.js';
import { pathWithGo } from './toolchain.js';

export interface TerminalOptions {
  cwd: string;
  cols: number;
  rows: number;
  /** extra environment (ADDR hints, the learner id) */
  env?: Record<string, string>;
  onData(data: string): void;
  onExit(code: number | null): void;
}

/** Environment variables of the agent that a learner's shell must not inherit. */
const privateEnv = /^(AGENT_TOKEN|AGENT_TOKENS|npm_|VITEST|NODE_OPTIONS$|TSX_)/;

export function shellPath(): string {
  for (const s of ['/bin/bash', '/usr/bin/bash', '/bin/sh']) if (existsSync(s)) return s;
  return 'sh';
}

export function shellEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !privateEnv.test(k)) env[k] = v;
  return {
    ...env,
    PATH: pathWithGo(process.env.PATH),
    TERM: 'xterm-256color',
    COLORTERM: 'truecolor',
    LANG: process.env.LANG && process.env.LANG !== 'C' ? process.env.LANG : 'C.UTF-8',
    GOTOOLCHAIN: 'local',
    HOME: process.env.HOME ?? '/tmp',
    ...extra,
  };
}

const clamp = (n: number, lo: number, hi: number) => (Number.isFinite(n) ? Math.min(hi, Math.max(lo, Math.floor(n))) : lo);

export class Terminal {
  readonly pid: number;
  private readonly pty: pty.IPty;
  private closed = false;
  private paused = false;
  private gone: Promise<void> = Promise.resolve();

  constructor(opts: TerminalOptions) {
    this.pty = pty.spawn(shellPath(), [], {
      name: 'xterm-256color',
      cols: clamp(opts.cols, 2, 1000),
      rows: clamp(opts.rows, 1, 500),
      cwd: opts.cwd,
      env: shellEnv(opts.env),
    });
    this.pid = this.pty.pid;
    this.pty.onData((d) => opts.onData(d));
    this.pty.onExit(({ exitCode, signal }) => {
      const wasClosed = this.closed;
      this.closed = true;
      // The shell is gone; anything it left in its session goes too.
      if (!wasClosed) {
        this.gone = hangUpTree(this.pid, { session: true, graceMs: 1000 });
        opts.onExit(signal ? null : exitCode);
      }
    });
  }

  write(data: string): void {
    if (!this.closed) this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    if (this.closed) return;
    try {
      this.pty.resize(clamp(cols, 2, 1000), clamp(rows, 1, 500));
    } catch {
      /* the pty closed meanwhile */
    }
  }

  /** Flow control: stop reading the pty while the socket's send buffer is full. */
  pause(): void {
    if (!this.paused && !this.closed) {
      this.paused = true;
      this.pty.pause();
    }
  }

  resume(): void {
    if (this.paused && !this.closed) {
      this.paused = false;
      this.pty.resume();
    }
  }

  /**
   * Hangs up the shell, its jobs and everything they started, and SIGKILLs what is left after
   * `graceMs`. Idempotent; the promise resolves when the SIGKILL went out.
   */
  close(graceMs = 1000): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.gone = hangUpTree(this.pid, { session: true, graceMs });
    }
    return this.gone;
  }

  /** Process exit, step 1: SIGHUP now (see killNow). */
  hangUpNow(): void {
    this.closed = true;
    signalTree(this.pid, 'SIGHUP', { session: true });
  }

  /** Process exit, step 2: SIGKILL what is left. */
  killNow(): void {
    this.closed = true;
    killTree(this.pid, { session: true });
  }
}
