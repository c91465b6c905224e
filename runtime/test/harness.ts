// Shared by the runtime tests: build runtime/test/fixtures/netprobe natively and for js/wasm,
// run either one (the wasm one under the launcher), read its output line by line, and talk to it
// over real sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { track, untrack } from '../../checkers/core/cleanup.js';
import { freePort } from '../../checkers/core/net.js';
import { buildServer, goBinary } from '../../checkers/core/supervisor.js';
import { buildWasmServer } from '../../checkers/core/wasm.js';
import { wasmLaunchArgv } from '../../checkers/core/wasm-launch.js';

export const netprobeDir = fileURLToPath(new URL('./fixtures/netprobe', import.meta.url));

export type Kind = 'native' | 'wasm';

/** undefined when Go is there, else why the tests that need it are skipped */
export function goMissing(): string | undefined {
  try {
    goBinary();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export interface Builds {
  native: string;
  wasm: string;
  dir: string;
  remove(): void;
}

export async function buildNetprobe(): Promise<Builds> {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-runtime-test-'));
  const native = await buildServer(netprobeDir, '.', dir);
  const wasm = await buildWasmServer(netprobeDir, '.', dir, 'native');
  return { native, wasm, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Proc {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<Exit>;
  private waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  constructor(readonly child: ChildProcess) {
    track(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const parts = out.split('\n');
      out = parts.pop() ?? '';
      for (const line of parts) this.add(line);
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        untrack(child);
        this.stderr.push(...err.split('\n'));
        resolve({ code, signal });
      }),
    );
  }

  private add(line: string) {
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => {
      const m = line.match(w.re);
      if (m) w.resolve(m);
      return !m;
    });
  }

  /** the first output line (past or future) that matches */
  line(re: RegExp, timeoutMs = 5000): Promise<RegExpMatchArray> {
    for (const l of this.lines) {
      const m = l.match(re);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; output:\n${this.lines.join('\n')}\n${this.stderr.join('\n')}`)), timeoutMs);
      this.waiters.push({ re, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }

  /** the port from "listening on HOST:PORT" */
  async port(timeoutMs = 8000): Promise<number> {
    const m = await this.line(/^listening on .*:(\d+)$/, timeoutMs);
    return Number(m[1]);
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  async kill(): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-this.child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    return this.exited;
  }
}

/** Starts the native or the wasm build with `env` (plus PATH/HOME). */
export function start(builds: Builds, kind: Kind, env: Record<string, string>): Proc {
  const argv = kind === 'wasm' ? wasmLaunchArgv(builds.wasm) : [builds.native];
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return new Proc(child);
}

export { freePort };

export interface Client {
  socket: Socket;
  data(): string;
  /** resolves on the peer's FIN or RST, with how it ended */
  closed: Promise<{ how: 'fin' | 'rst' | 'error'; atMs: number }>;
  /** resolves when the received text contains `text` */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

export function client(port: number, host = '127.0.0.1'): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true });
    const t0 = Date.now();
    let received = '';
    const waiters: { text: string; resolve: () => void }[] = [];
    socket.on('data', (d) => {
      received += d;
      for (const w of waiters.splice(0)) {
        if (received.includes(w.text)) w.resolve();
        else waiters.push(w);
      }
    });
    const closed = new Promise<{ how: 'fin' | 'rst' | 'error'; atMs: number }>((res) => {
      socket.on('end', () => res({ how: 'fin', atMs: Date.now() - t0 }));
      socket.on('error', (err: NodeJS.ErrnoException) => res({ how: err.code === 'ECONNRESET' ? 'rst' : 'error', atMs: Date.now() - t0 }));
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve({
        socket,
        data: () => received,
        closed,
        waitFor: (text, timeoutMs = 5000) =>
          new Promise((res, rej) => {
            if (received.includes(text)) return res();
            const timer = setTimeout(() => rej(new Error(`"${text}" not received within ${timeoutMs} ms (got ${JSON.stringify(received.slice(0, 300))})`)), timeoutMs);
            waiters.push({ text, resolve: () => (clearTimeout(timer), res()) });
          }),
      });
    });
  });
}

/** connects and reports the error code (ECONNREFUSED) or "connected" */
export function tryConnect(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A GET on a fresh connection; resolves with the body. */
export async function get(port: number, path: string): Promise<string> {
  const c = await client(port);
  c.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  await c.closed;
  const text = c.data();
  return text.slice(text.indexOf('\r\n\r\n') + 4);
}
