// Run / Stop: build the learner's workspace with the engine's buildServer, start it with
// startServer on ADDR (the lab's default port 8080 when it is free, else a free port), and stream
// the build output and the server's logs as run.output. One server per lab and socket.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from '../../checkers/core/cleanup.js';
import type { Lab } from '../../checkers/core/manifest.js';
import { freePort } from '../../checkers/core/net.js';
import { loadChecker } from '../../checkers/core/runner.js';
import {
  BuildError,
  GoMissingError,
  StartError,
  buildServer,
  describeExit,
  startServer,
  type LabServer,
  type ServerOptions,
} from '../../checkers/core/supervisor.js';
import { killTree, ownChildrenMatching } from './procs.js';
import type { ServerMessage } from './protocol.js';

export interface RunOptions {
  /** the port to try first (the lab's documented default); 0: always a free port */
  preferredPort: number;
}

type Send = (msg: ServerMessage) => void;

/** Server options the lab's checker uses (open-files limit, admin listener), so Run behaves like Check. */
async function serverOptionsFor(lab: Lab): Promise<Partial<ServerOptions>> {
  try {
    return (await loadChecker(lab.id)).server ?? {};
  } catch {
    return {};
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolvePromise(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolvePromise(true)));
  });
}

/** One lab's server for one socket. */
export class LabRun {
  private server: LabServer | undefined;
  private outDir: string | undefined;
  private unregister: (() => void) | undefined;
  private generation = 0;
  private tail: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    readonly lab: Lab,
    readonly workspace: string,
    private readonly send: Send,
    private readonly opts: RunOptions,
  ) {}

  get pid(): number | undefined {
    return this.server?.exitInfo() ? undefined : this.server?.pid;
  }

  get port(): number | undefined {
    return this.server?.port;
  }

  private out(data: string): void {
    this.send({ type: 'run.output', lab: this.lab.id, data });
  }

  private state(state: 'building' | 'running' | 'stopped' | 'failed', extra: { url?: string; message?: string; pid?: number; adminUrl?: string } = {}): void {
    this.send({ type: 'run.state', lab: this.lab.id, state, ...extra });
  }

  /** Builds and starts; a server already running is stopped first (Run = restart). */
  async start(): Promise<void> {
    await this.halt();
    const gen = ++this.generation;
    const lab = this.lab;
    this.outDir = mkdtempSync(join(tmpdir(), `ghl-run-${lab.id}-`));
    const outDir = this.outDir;
    const unregister = onCleanup(() => rmSync(outDir, { recursive: true, force: true }));
    this.unregister = unregister;
    // Superseded (stopped, restarted, socket closed): remove this attempt's build unless it is current.
    const superseded = () => {
      if (gen === this.generation) return false;
      if (this.outDir !== outDir) {
        rmSync(outDir, { recursive: true, force: true });
        unregister();
      }
      return true;
    };
    this.state('building', { message: `go build ${lab.entry}` });
    this.out(`$ go build ${lab.entry}\n`);
    let binary: string;
    try {
      binary = await buildServer(this.workspace, lab.entry, outDir);
    } catch (err) {
      if (superseded()) return;
      if (err instanceof BuildError) {
        this.out(err.output.endsWith('\n') ? err.output : err.output + '\n');
        this.state('failed', { message: err.message });
      } else if (err instanceof GoMissingError) {
        this.out(err.message + '\n');
        this.state('failed', { message: err.message });
      } else {
        this.state('failed', { message: `build failed: ${(err as Error).message}` });
      }
      this.cleanupDir();
      return;
    }
    if (superseded()) return; // stopped (or restarted) while building

    const options = await serverOptionsFor(lab);
    const port = this.opts.preferredPort > 0 && (await portIsFree(this.opts.preferredPort)) ? this.opts.preferredPort : await freePort();
    if (superseded()) return;
    let server: LabServer;
    try {
      server = await startServer(binary, { ...options, env: { ...options.env }, cwd: this.workspace, port });
    } catch (err) {
      if (superseded()) return;
      const logs = err instanceof StartError ? err.logs : [];
      if (logs.length) this.out(logs.join('\n') + '\n');
      this.state('failed', { message: (err as Error).message });
      this.cleanupDir();
      return;
    }
    if (superseded()) {
      await server.kill();
      return;
    }
    this.server = server;
    this.stopping = false;
    this.follow(server);
    const env = `ADDR=127.0.0.1:${server.port}${server.adminPort ? ` ADMIN_ADDR=127.0.0.1:${server.adminPort}` : ''}`;
    this.out(`$ ${env} ./server   (pid ${server.pid})\n`);
    this.state('running', { url: server.url, pid: server.pid, adminUrl: server.adminUrl, message: `listening on ${server.url}` });
    server.exited.then((info) => {
      if (this.server !== server) return;
      this.flush(server);
      this.stopTail();
      this.server = undefined;
      this.cleanupDir();
      if (this.stopping) return;
      const tail = server.logs().filter(Boolean).slice(-1)[0];
      const message = `your server exited (${describeExit(info)})${tail ? `: ${tail}` : ''}`;
      this.out(`[${message}]\n`);
      this.state(info.code === 0 ? 'stopped' : 'failed', { message });
    });
  }

  /** Stops the server (or an unfinished build) and says so. */
  async stop(): Promise<void> {
    const had = !!this.server || !!this.outDir;
    await this.halt();
    this.state('stopped', { message: had ? 'stopped' : 'not running' });
  }

  /** Kills whatever this run started; no message. Idempotent. */
  async halt(): Promise<void> {
    this.generation++;
    const server = this.server;
    if (server) {
      this.stopping = true;
      await server.kill();
      killTree(server.pid, { session: true });
      this.flush(server);
      this.stopTail();
      this.server = undefined;
    }
    // A build still running: its `go build -o <outDir>/server` and the compilers under it.
    if (this.outDir) for (const pid of ownChildrenMatching(this.outDir)) killTree(pid);
    this.cleanupDir();
  }

  /** Synchronous kill for process exit. */
  killNow(): void {
    this.generation++;
    if (this.server) killTree(this.server.pid, { session: true });
    if (this.outDir) for (const pid of ownChildrenMatching(this.outDir)) killTree(pid);
    this.cleanupDir();
  }

  private cleanupDir(): void {
    if (this.outDir) rmSync(this.outDir, { recursive: true, force: true });
    this.outDir = undefined;
    this.unregister?.();
    this.unregister = undefined;
  }

  // The supervisor keeps the last 2000 lines, the unfinished last one included; poll them and
  // send what is new. A last line is held back for one poll (it may still grow) unless the server exited.
  private seen: string[] = [];
  private lastRaw: string | undefined;

  private follow(server: LabServer): void {
    this.seen = [];
    this.lastRaw = undefined;
    this.tail = setInterval(() => this.flush(server), 100);
    this.tail.unref();
  }

  private stopTail(): void {
    if (this.tail) clearInterval(this.tail);
    this.tail = undefined;
  }

  private flush(server: LabServer): void {
    const lines = server.logs();
    const last = lines[lines.length - 1];
    const stable = !!server.exitInfo() || last === undefined || last === this.lastRaw;
    this.lastRaw = last;
    const visible = stable ? lines : lines.slice(0, -1);
    const fresh = newLines(this.seen, visible);
    this.seen = visible;
    if (fresh.length) this.out(fresh.join('\n') + '\n');
  }
}

/**
 * The lines of `next` that were not in `prev`. The buffer is a window over the output: while it
 * grows, the new lines are the extra tail; once it is full and slides, find where the previous
 * window's last lines reappear and take what follows them.
 */
export function newLines(prev: string[], next: string[]): string[] {
  if (!prev.length) return next;
  const n = prev.length;
  if (next.length >= n && prev.every((l, i) => l === next[i])) return next.slice(n);
  // The last line we sent was unfinished and has grown since.
  if (next.length >= n && prev.every((l, i) => i === n - 1 || l === next[i]) && next[n - 1]!.startsWith(prev[n - 1]!)) {
    const rest = next[n - 1]!.slice(prev[n - 1]!.length);
    return [...(rest ? [rest] : []), ...next.slice(n)];
  }
  // Longest anchor first (fewer false matches on repeated lines); a shorter one when the window moved far.
  for (let size = Math.min(3, n); size >= 1; size--) {
    const anchor = prev.slice(-size);
    for (let end = next.length; end >= size; end--) {
      let match = true;
      for (let k = 0; k < size && match; k++) match = next[end - size + k] === anchor[k];
      if (match) return next.slice(end);
    }
  }
  return ['[… output skipped: the server wrote faster than it could be followed]', ...next];
}
