// File-system events seen from outside the lab's process: inotify on a directory, through
// `inotifywait -m` (inotify-tools). Every open(2) of a file in the directory is one IN_OPEN
// event, whichever process opens it and however it reads, so counting them tells how often a
// server goes back to disk (a certificate per TLS handshake, a config file per request).
import { spawn, type ChildProcess } from 'node:child_process';
import { track, untrack } from './cleanup.js';
import { which } from './netns/exec.js';

export interface FsEvent {
  /** e.g. "OPEN", "OPEN,ISDIR", "ACCESS" */
  events: string;
  /** the file name inside the watched directory ('' for the directory itself) */
  file: string;
  atMs: number;
}

export class InotifyMissingError extends Error {
  constructor() {
    super('inotifywait is needed to watch file opens: install inotify-tools (apt-get install inotify-tools)');
  }
}

export class DirWatch {
  readonly events: FsEvent[] = [];
  private readonly t0 = Date.now();
  private partial = '';
  private readonly exited: Promise<unknown>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((r) => child.once('exit', r));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      const lines = (this.partial + d).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        const space = line.indexOf(' ');
        if (space < 0) continue;
        this.events.push({ events: line.slice(0, space), file: line.slice(space + 1), atMs: Date.now() - this.t0 });
      }
    });
  }

  /**
   * Start watching `dir` for `events` (inotifywait names: open, access, modify...) and resolve
   * once the watch is in place ("Watches established."), so nothing before that is missed.
   */
  static async start(dir: string, events: string[] = ['open'], timeoutMs = 3000): Promise<DirWatch> {
    const bin = which('inotifywait');
    if (!bin) throw new InotifyMissingError();
    const child = spawn(bin, ['-m', ...events.flatMap((e) => ['-e', e]), '--format', '%e %f', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    child.on('exit', () => untrack(child));
    const watch = new DirWatch(child);
    await new Promise<void>((resolvePromise, reject) => {
      let err = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`inotifywait did not start watching ${dir} within ${timeoutMs} ms: ${err.trim()}`));
      }, timeoutMs);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => {
        err += d;
        if (err.includes('Watches established')) {
          clearTimeout(timer);
          resolvePromise();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`inotifywait exited (${code}): ${err.trim()}`));
      });
    });
    return watch;
  }

  /** Events so far, optionally only those whose kind includes `kind` (e.g. "OPEN"). */
  count(kind?: string): number {
    return kind ? this.events.filter((e) => e.events.split(',').includes(kind)).length : this.events.length;
  }

  /** Event counts per file name. */
  byFile(kind?: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.events) if (!kind || e.events.split(',').includes(kind)) out[e.file || '.'] = (out[e.file || '.'] ?? 0) + 1;
    return out;
  }

  /** Wait `settleMs` for events still in the pipe, then stop the watcher. */
  async stop(settleMs = 150): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise((r) => setTimeout(r, settleMs));
    this.child.kill('SIGTERM');
    await this.exited;
  }
}
