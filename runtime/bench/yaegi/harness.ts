// Process and build helpers for runtime/bench/interpreter-vs-compiler.ts: spawn a js/wasm
// program under Node, timestamp its output lines, read its RSS, kill its process group;
// `go build` for js/wasm; compressed sizes. Every process started here is tracked and killed
// by killAll() (the bench calls it on exit and on SIGINT/SIGTERM).
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants as zc, gzipSync } from 'node:zlib';

const live = new Set<ChildProcess>();

export function killAll(): void {
  for (const c of live) killGroup(c, 'SIGKILL');
  live.clear();
}

function killGroup(c: ChildProcess, sig: NodeJS.Signals): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, sig);
  } catch {
    try {
      c.kill(sig);
    } catch {
      /* gone */
    }
  }
}

export interface Line {
  stream: 'stdout' | 'stderr';
  text: string;
  /** ms since spawn */
  at: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ms since spawn */
  at: number;
}

/** A spawned process (its own process group) with its output lines timestamped since spawn. */
export class Proc {
  readonly lines: Line[] = [];
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private readonly t0: number;
  private waiters: { re: RegExp; resolve: (l: Line | undefined) => void }[] = [];
  private exitInfo: Exit | undefined;

  constructor(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
    this.t0 = performance.now();
    // argv0 "node" as a shell gives it: Go's net/http on js/wasm checks process.argv0 to decide
    // that it runs under Node and must not use fetch() (roundtrip_js.go, jsFetchDisabled).
    const argv0 = argv[0] === process.execPath ? 'node' : undefined;
    this.child = spawn(argv[0]!, argv.slice(1), { argv0, env: opts.env ?? process.env, cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.child);
    for (const stream of ['stdout', 'stderr'] as const) {
      let buf = '';
      this.child[stream]!.setEncoding('utf8');
      this.child[stream]!.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.push({ stream, text: buf.slice(0, i), at: this.now() });
          buf = buf.slice(i + 1);
        }
      });
      this.child[stream]!.on('end', () => {
        if (buf) this.push({ stream, text: buf, at: this.now() });
        buf = '';
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        live.delete(this.child);
        this.exitInfo = { code, signal, at: this.now() };
        for (const w of this.waiters) w.resolve(undefined);
        this.waiters = [];
        resolve(this.exitInfo);
      });
      this.child.on('error', () => {
        live.delete(this.child);
        this.exitInfo = { code: -1, signal: null, at: this.now() };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  now(): number {
    return performance.now() - this.t0;
  }

  private push(l: Line): void {
    this.lines.push(l);
    this.waiters = this.waiters.filter((w) => {
      if (!w.re.test(l.text)) return true;
      w.resolve(l);
      return false;
    });
  }

  /** The first line matching `re` (already seen or to come), or undefined at exit or timeout. */
  waitFor(re: RegExp, timeoutMs: number): Promise<Line | undefined> {
    const seen = this.lines.find((l) => re.test(l.text));
    if (seen) return Promise.resolve(seen);
    if (this.exitInfo) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const w = { re, resolve: (l: Line | undefined) => (clearTimeout(timer), resolve(l)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** VmRSS and VmHWM of the process in kB (Linux /proc), or undefined once it is gone. */
  memory(): { rssKb: number; hwmKb: number } | undefined {
    try {
      const s = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
      const rss = /VmRSS:\s+(\d+)/.exec(s);
      const hwm = /VmHWM:\s+(\d+)/.exec(s);
      return rss && hwm ? { rssKb: Number(rss[1]), hwmKb: Number(hwm[1]) } : undefined;
    } catch {
      return undefined;
    }
  }

  signal(sig: NodeJS.Signals): void {
    try {
      this.child.kill(sig);
    } catch {
      /* gone */
    }
  }

  /** SIGKILL the process group and wait for the exit. */
  async kill(): Promise<Exit> {
    killGroup(this.child, 'SIGKILL');
    return this.exited;
  }

  /** Waits for exit up to `timeoutMs`, then kills; `timedOut` says which. */
  async finish(timeoutMs: number): Promise<Exit & { timedOut: boolean }> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const first = await Promise.race([this.exited, t]);
    clearTimeout(timer);
    if (first === 'timeout') return { ...(await this.kill()), timedOut: true };
    return { ...first, timedOut: false };
  }

  text(stream?: 'stdout' | 'stderr'): string {
    return this.lines
      .filter((l) => !stream || l.stream === stream)
      .map((l) => l.text)
      .join('\n');
  }
}

/** Runs a command to completion (bounded), returning its combined output and wall time. */
export async function run(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number }): Promise<{ ok: boolean; ms: number; output: string }> {
  const p = new Proc(argv, opts);
  const e = await p.finish(opts.timeoutMs);
  return { ok: e.code === 0 && !e.timedOut, ms: e.at, output: p.text() + (e.timedOut ? `\n(killed after ${opts.timeoutMs} ms)` : '') };
}

export interface WasmBuild {
  ok: boolean;
  /** wall time of the native `go build` (not the in-tab compile) */
  ms: number;
  output: string;
  out: string;
}

/** GOOS=js GOARCH=wasm go build -p 1 -trimpath [-overlay] -o out pkg, in dir. */
export async function goBuildWasm(dir: string, out: string, opts: { overlay?: string; pkg?: string; timeoutMs?: number } = {}): Promise<WasmBuild> {
  const args = ['go', 'build', '-p', '1', '-trimpath', ...(opts.overlay ? ['-overlay', opts.overlay] : []), '-o', out, opts.pkg ?? '.'];
  const env = { ...process.env, GOOS: 'js', GOARCH: 'wasm', CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '' };
  const r = await run(args, { cwd: dir, env, timeoutMs: opts.timeoutMs ?? 600_000 });
  return { ...r, out };
}

export interface Sizes {
  raw: number;
  gzip: number;
  brotli: number;
}

/** Raw, gzip -9 and brotli (given quality) sizes of a file or of every file under a directory. */
export function sizes(path: string, brotliQuality: number): Sizes {
  const files = statSync(path).isDirectory() ? listFiles(path) : [path];
  const total: Sizes = { raw: 0, gzip: 0, brotli: 0 };
  for (const f of files) {
    const b = readFileSync(f);
    total.raw += b.length;
    total.gzip += gzipSync(b, { level: 9 }).length;
    total.brotli += brotliCompressSync(b, {
      params: { [zc.BROTLI_PARAM_QUALITY]: brotliQuality, [zc.BROTLI_PARAM_SIZE_HINT]: b.length },
    }).length;
  }
  return total;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/** Copies a lab's starter (without its lessons) and lays the solution over it, as the checker does. */
export function materializeLab(labDir: string, solutionDir: string | undefined, into: string): string {
  cpSync(labDir, into, { recursive: true, filter: (p) => !p.endsWith('.md') || p.includes('/testdata/') });
  if (solutionDir && existsSync(solutionDir)) cpSync(solutionDir, into, { recursive: true, force: true });
  return into;
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const mb = (n: number): string => (n / 1e6).toFixed(1);
