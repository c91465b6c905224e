// WebContainerRuntime: the Runtime in the learner's tab, over @webcontainer/api. Thin on purpose:
// the file layout and commands (browser/layout.ts), the checker's event stream
// (browser/check-stream.ts), the learner's files (browser/store.ts) and the downloads
// (browser/assets.ts) are plain modules tested for real; this file only drives the container.
//
// One container per tab (WebContainer.boot is a singleton): booted once, the runtime's files
// mounted once, each lab's folder mounted once from the browser's storage. The container's folder
// is the live copy while the tab lives; the storage follows it so that a reload loses nothing.
import type { BootOptions, FileSystemTree, WebContainer, WebContainerProcess } from '@webcontainer/api';
import type { FileEntry } from '../../docker/agent/protocol.js';
import type { CheckEvent, Verdict } from '../../checkers/core/verdict.js';
import { maxFileBytes } from '../workspace/limits.js';
import { fetchAssets, fetchLab, fetchManifest, fileBytes, solutionOf, type LabBundle, type Progress } from './browser/assets.js';
import { CheckStream, plainNewlines } from './browser/check-stream.js';
import {
  adminPort,
  binTree,
  checkSpawn,
  parseGoVersion,
  paths,
  runPort,
  runSpawn,
  terminalSpawn,
  treeFrom,
  versionSpawn,
  workdirName,
  type Spawn,
} from './browser/layout.js';
import { LabStore, NotFoundError, browserKeyValue, checkPath, type KeyValue, type LabFile } from './browser/store.js';
import { formatInTab } from './gofmt-wasm.js';
import {
  RuntimeUnavailableError,
  type CheckOptions,
  type RunCallbacks,
  type Runtime,
  type RuntimeInfo,
  type TerminalSession,
} from './types.js';

/** What the runtime uses of a booted WebContainer (the test double implements exactly this). */
export type Container = Pick<WebContainer, 'fs' | 'spawn' | 'mount' | 'on' | 'workdir' | 'path'>;

/** What the runtime uses of the WebContainer class. */
export interface WebContainerApi {
  boot(options?: BootOptions): Promise<Container>;
}

export type ConnectProgress = { phase: 'boot' } | ({ phase: 'download' } & Progress) | { phase: 'mount' } | { phase: 'version' };

export interface WebContainerRuntimeOptions {
  /** the WebContainer class (the real one, loaded on demand, by default) */
  api?: WebContainerApi;
  /** the site's /runtime/ folder, absolute */
  base?: string;
  fetch?: typeof fetch;
  /** where the learner's files are kept (IndexedDB by default) */
  storage?: KeyValue;
  onProgress?(progress: ConnectProgress): void;
  /** how long a killed process may take to exit before we stop waiting (ms) */
  killGraceMs?: number;
  /**
   * how long the boot may take (ms): it loads from StackBlitz's servers, and with no network it
   * never ends by itself
   */
  bootTimeoutMs?: number;
}

/** Default: a slow connection boots in well under this. */
const bootTimeoutDefaultMs = 60_000;

// ---- once per tab -------------------------------------------------------------------------

const booted = new WeakMap<WebContainerApi, Promise<Container>>();
/** the runtime's files downloaded and mounted into the tab's container */
const runtimeMounted = new WeakMap<WebContainerApi, Promise<void>>();
const labsMounted = new WeakMap<Container, Map<string, Promise<void>>>();

/** Boots the container once per tab; a failed boot may be retried. */
function bootOnce(api: WebContainerApi): Promise<Container> {
  let p = booted.get(api);
  if (!p) {
    p = api.boot({ coep: 'require-corp', workdirName });
    booted.set(api, p);
    p.catch(() => booted.delete(api));
  }
  return p;
}


// ---- small helpers ------------------------------------------------------------------------

const skippedDirs = new Set(['.git', 'node_modules', '.cache', 'vendor']);

function isMissing(err: unknown): boolean {
  return (err as { code?: string })?.code === 'ENOENT' || /ENOENT|no such file/i.test(String((err as Error)?.message ?? err));
}

function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function abortError(): Error {
  const err = new Error('the check was stopped');
  err.name = 'AbortError';
  return err;
}

/** Waits for `p`, at most `ms` (then resolves undefined); leaves no timer behind. */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: Parameters<typeof clearTimeout>[0];
  return Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}

/** Calls `sink` with every chunk of the process's output; resolves when the output ends. */
function pump(proc: WebContainerProcess, sink: (chunk: string) => void): Promise<void> {
  return proc.output
    .pipeTo(
      new WritableStream<string>({
        write(chunk) {
          sink(chunk);
        },
      }),
    )
    .catch(() => {});
}

interface RunHandle {
  lab: string;
  proc: WebContainerProcess;
  on: RunCallbacks;
  url?: string;
  adminUrl?: string;
  stopping: boolean;
}

// ---- the runtime --------------------------------------------------------------------------

export class WebContainerRuntime implements Runtime {
  readonly info: RuntimeInfo;
  private readonly store: LabStore;
  private readonly bundles = new Map<string, Promise<LabBundle>>();
  private readonly processes = new Set<WebContainerProcess>();
  private readonly checks = new Map<string, { abort(): void }>();
  private readonly disconnectListeners = new Set<(reason: string) => void>();
  private readonly unsubscribe: (() => void)[] = [];
  private current: RunHandle | undefined;
  private disposed = false;

  private constructor(
    private readonly container: Container,
    go: string | null,
    private readonly base: string,
    private readonly fetchImpl: typeof fetch,
    storage: KeyValue,
    private readonly killGraceMs: number,
  ) {
    this.info = { kind: 'browser', go, kernel: false, docker: false };
    this.store = new LabStore(storage, async (lab) => (await this.bundle(lab)).starter);
    this.unsubscribe.push(
      container.on('port', (port, type, url) => this.onPort(port, type, url)),
      container.on('server-ready', (port, url) => this.onPort(port, 'open', url)),
      container.on('error', (error) => {
        if (!this.disposed) for (const l of this.disconnectListeners) l(error.message);
      }),
    );
  }

  /**
   * Boots the tab's container (once), downloads and mounts the runtime's files (once), and asks
   * the toolchain for its version. Rejects with RuntimeUnavailableError('browser', ...) when the
   * container cannot start or the site has no runtime.
   */
  static async connect(options: WebContainerRuntimeOptions = {}): Promise<WebContainerRuntime> {
    const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    const base = options.base ?? new URL('/runtime/', globalThis.location.href).href;
    const progress = options.onProgress ?? (() => {});
    try {
      const api = options.api ?? ((await import('@webcontainer/api')).WebContainer as unknown as WebContainerApi);
      progress({ phase: 'boot' });
      const bootMs = options.bootTimeoutMs ?? bootTimeoutDefaultMs;
      const boot = within(bootOnce(api), bootMs).then((c) => {
        if (!c) throw new Error(`the WebContainer did not boot within ${bootMs >= 10_000 ? Math.round(bootMs / 1000) : (bootMs / 1000).toFixed(1)} s (it loads from StackBlitz's servers: is this browser online?)`);
        return c;
      });
      // The download runs while the container boots (first visit: the longer of the two, not
      // their sum), and stops if the boot fails.
      let mounting = runtimeMounted.get(api);
      if (!mounting) {
        const stop = new AbortController();
        let up = false;
        void boot.then(() => (up = true), () => {});
        const files = fetchManifest(fetchImpl, base)
          .then((m) => fetchAssets(fetchImpl, base, m, (p) => progress({ phase: 'download', ...p }), 4, stop.signal))
          .then((f) => {
            if (!up) progress({ phase: 'boot' }); // downloaded first: still waiting for the container
            return f;
          });
        mounting = (async () => {
          const container = await boot.catch((err: unknown) => {
            stop.abort();
            files.catch(() => {});
            throw err;
          });
          const tree: FileSystemTree = { [paths.runtime]: { directory: treeFrom(await files) }, [paths.bin]: { directory: binTree() } };
          progress({ phase: 'mount' });
          await container.mount(tree);
        })();
        runtimeMounted.set(api, mounting);
        const m = mounting;
        m.catch(() => runtimeMounted.get(api) === m && runtimeMounted.delete(api));
      }
      const [container] = await Promise.all([boot, mounting]);
      progress({ phase: 'version' });
      const go = await goVersion(container, 30_000);
      return new WebContainerRuntime(container, go, base, fetchImpl, options.storage ?? browserKeyValue(), options.killGraceMs ?? 15_000);
    } catch (err) {
      if (err instanceof RuntimeUnavailableError) throw err;
      // the sentence says why; the page says that the runtime could not start
      throw new RuntimeUnavailableError('browser', String((err as Error)?.message ?? err));
    }
  }

  // ---- files ----------------------------------------------------------------------------

  private bundle(lab: string): Promise<LabBundle> {
    let p = this.bundles.get(lab);
    if (!p) {
      p = fetchLab(this.fetchImpl, this.base, lab);
      this.bundles.set(lab, p);
      p.catch(() => this.bundles.delete(lab));
    }
    return p;
  }

  private labDir(lab: string): string {
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(lab)) throw new Error(`there is no lab "${lab}"`);
    return paths.labDir(lab);
  }

  /** The lab's folder in the container, mounted from storage the first time this tab needs it. */
  private ensureLab(lab: string): Promise<void> {
    const dir = this.labDir(lab);
    let mounted = labsMounted.get(this.container);
    if (!mounted) labsMounted.set(this.container, (mounted = new Map()));
    let p = mounted.get(lab);
    if (!p) {
      p = (async () => {
        const files = await this.store.all(lab);
        await this.container.fs.mkdir(dir, { recursive: true });
        await this.container.mount(treeOf(files), { mountPoint: dir });
      })();
      mounted.set(lab, p);
      const m = mounted;
      p.catch(() => m.delete(lab));
    }
    return p;
  }

  /** The text files of the lab's folder in the container (what the shell may have changed). */
  private async containerFiles(lab: string): Promise<LabFile[]> {
    const out: LabFile[] = [];
    const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
      if (depth > 8 || out.length >= 2000) return;
      const entries = await this.container.fs.readdir(dir, { withFileTypes: true });
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const rel = prefix ? `${prefix}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (!skippedDirs.has(e.name)) await walk(`${dir}/${e.name}`, rel, depth + 1);
        } else if (e.isFile()) {
          const bytes = await this.container.fs.readFile(`${dir}/${e.name}`);
          if (bytes.length > maxFileBytes) continue;
          const text = decodeText(bytes);
          if (text !== undefined) out.push({ path: rel, contents: text });
        }
      }
    };
    await walk(this.labDir(lab), '', 0);
    return out;
  }

  async listFiles(lab: string): Promise<FileEntry[]> {
    await this.ensureLab(lab);
    await this.store.replaceText(lab, await this.containerFiles(lab));
    return this.store.list(lab);
  }

  async readFile(lab: string, path: string): Promise<string> {
    await this.ensureLab(lab);
    checkPath(path);
    let bytes: Uint8Array;
    try {
      bytes = await this.container.fs.readFile(`${this.labDir(lab)}/${path}`);
    } catch (err) {
      if (isMissing(err)) throw new NotFoundError(`no such file: ${path}`);
      throw err;
    }
    const text = decodeText(bytes);
    if (text === undefined) throw new Error(`${path} is not a text file`);
    await this.store.write(lab, path, text);
    return text;
  }

  async writeFile(lab: string, path: string, content: string): Promise<void> {
    checkPath(path);
    const size = new TextEncoder().encode(content).length;
    if (size > maxFileBytes) throw new Error(`too large: ${size} bytes (at most ${maxFileBytes})`);
    await this.ensureLab(lab);
    const full = `${this.labDir(lab)}/${path}`;
    const parent = full.slice(0, full.lastIndexOf('/'));
    await this.container.fs.mkdir(parent, { recursive: true });
    await this.container.fs.writeFile(full, content);
    await this.store.write(lab, path, content);
  }

  async reset(lab: string): Promise<{ backup: string }> {
    await this.ensureLab(lab);
    // The shell's changes belong in the backup too.
    await this.store.replaceText(lab, await this.containerFiles(lab));
    const { backup, files } = await this.store.reset(lab);
    const dir = this.labDir(lab);
    // Empty the folder but keep it: an open shell's working directory stays valid.
    for (const name of await this.container.fs.readdir(dir)) await this.container.fs.rm(`${dir}/${name}`, { recursive: true, force: true });
    await this.container.mount(treeOf(files), { mountPoint: dir });
    return { backup };
  }

  async solutionFiles(lab: string): Promise<FileEntry[]> {
    return solutionOf(await this.bundle(lab))
      .filter((f) => !f.binary)
      .map((f) => ({ path: f.path, size: new TextEncoder().encode(f.contents).length, mtimeMs: 0 }));
  }

  async readSolutionFile(lab: string, path: string): Promise<string> {
    const f = solutionOf(await this.bundle(lab)).find((x) => x.path === path && !x.binary);
    if (!f) throw new NotFoundError(`the solution has no ${path}`);
    return f.contents;
  }

  format(source: string): Promise<string> {
    return formatInTab(source);
  }

  // ---- processes --------------------------------------------------------------------------

  private async spawn(s: Spawn): Promise<WebContainerProcess> {
    if (this.disposed) throw new Error('the runtime was closed');
    const proc = await this.container.spawn(s.command, s.args, s.options);
    this.processes.add(proc);
    void proc.exit.then(
      () => this.processes.delete(proc),
      () => this.processes.delete(proc),
    );
    return proc;
  }

  /** Kills a process and waits (a bounded time) for it to be gone. */
  private async kill(proc: WebContainerProcess): Promise<void> {
    proc.kill();
    await within(proc.exit.catch(() => {}), this.killGraceMs);
  }

  async openTerminal(lab: string, size: { cols: number; rows: number }): Promise<TerminalSession> {
    await this.ensureLab(lab);
    const proc = await this.spawn(terminalSpawn(this.container.workdir, this.container.path, lab, size));
    const data = new Set<(d: string) => void>();
    const exit = new Set<(c: number | null) => void>();
    let closed = false;
    const writer = proc.input.getWriter();
    void pump(proc, (chunk) => {
      for (const l of data) l(chunk);
    });
    void proc.exit.then(
      (code) => {
        if (!closed) for (const l of exit) l(code);
      },
      () => {
        if (!closed) for (const l of exit) l(null);
      },
    );
    return {
      write: (d) => void writer.write(d).catch(() => {}),
      resize: (cols, rows) => proc.resize({ cols, rows }),
      onData: (listener) => (data.add(listener), () => data.delete(listener)),
      onExit: (listener) => (exit.add(listener), () => exit.delete(listener)),
      close: () => {
        if (closed) return;
        closed = true;
        writer.releaseLock();
        proc.kill();
      },
    };
  }

  async run(lab: string, on: RunCallbacks): Promise<void> {
    // One server at a time: they all listen on the lesson's port.
    if (this.current) {
      const old = this.current;
      old.stopping = true;
      this.current = undefined;
      await this.kill(old.proc);
      if (old.lab !== lab) old.on.state('stopped', { message: 'stopped: another lab was started' });
    }
    await this.ensureLab(lab);
    on.state('building', { message: 'go run .' });
    on.log('$ go run .\n');
    let proc: WebContainerProcess;
    try {
      proc = await this.spawn(runSpawn(this.container.workdir, this.container.path, lab));
    } catch (err) {
      on.state('failed', { message: `could not start go run .: ${(err as Error).message}` });
      return;
    }
    const handle: RunHandle = { lab, proc, on, stopping: false };
    this.current = handle;
    void pump(proc, (chunk) => on.log(plainNewlines(chunk)));
    void proc.exit.then((code) => {
      if (this.current !== handle) return;
      this.current = undefined;
      if (handle.stopping) return;
      const message = handle.url
        ? `your server exited (exit code ${code})`
        : `go run . exited (exit code ${code}) before the server listened on port ${runPort}`;
      on.log(`[${message}]\n`);
      on.state(code === 0 ? 'stopped' : 'failed', { message });
    });
  }

  private onPort(port: number, type: 'open' | 'close', url: string): void {
    const h = this.current;
    if (!h || h.stopping || type !== 'open') return;
    if (port === runPort && !h.url) {
      h.url = url;
      h.on.state('running', { url, message: `listening on ${url}`, ...(h.adminUrl ? { adminUrl: h.adminUrl } : {}) });
    } else if (port === adminPort && !h.adminUrl) {
      h.adminUrl = url;
      if (h.url) h.on.state('running', { url: h.url, adminUrl: url, message: `listening on ${h.url}` });
    }
  }

  async stop(lab: string): Promise<void> {
    const h = this.current;
    if (!h || h.lab !== lab) return;
    h.stopping = true;
    this.current = undefined;
    await this.kill(h.proc);
    h.on.state('stopped', { message: 'stopped' });
  }

  check(lab: string, onEvent: (event: CheckEvent) => void, options: CheckOptions = {}): Promise<Verdict> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError());
    if (this.checks.has(lab)) return Promise.reject(new Error(`a check of ${lab} is already running`));
    let aborting = false;
    let proc: WebContainerProcess | undefined;
    const onAbort = () => {
      aborting = true;
      proc?.kill();
    };
    this.checks.set(lab, { abort: onAbort });
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (async (): Promise<Verdict> => {
      await this.ensureLab(lab);
      if (aborting) throw abortError();
      proc = await this.spawn(checkSpawn(this.container.workdir, this.container.path, lab));
      if (aborting) proc.kill();
      const stream = new CheckStream((event) => {
        if (!aborting) onEvent(event);
      });
      const output = pump(proc, (chunk) => stream.push(chunk));
      const exited = proc.exit.then(
        (code) => code,
        () => null,
      );
      const code = await exited;
      // the last chunks may trail the exit
      await within(output, 1000);
      if (aborting) throw abortError();
      const result = stream.end(code);
      if (result instanceof Error) throw result;
      return result;
    })();
    return done.finally(() => {
      signal?.removeEventListener('abort', onAbort);
      this.checks.delete(lab);
    });
  }

  onDisconnect(listener: (reason: string) => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  /** Kills what this runtime started; the container stays booted for the tab. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const u of this.unsubscribe) u();
    for (const c of this.checks.values()) c.abort();
    if (this.current) this.current.stopping = true;
    this.current = undefined;
    for (const p of this.processes) p.kill();
    this.processes.clear();
  }
}

function treeOf(files: LabFile[]): FileSystemTree {
  return treeFrom(files.map((f) => ({ path: f.path, contents: fileBytes(f) })));
}

/** `go version` from the toolchain shim; null when it does not answer. */
async function goVersion(container: Container, timeoutMs: number): Promise<string | null> {
  try {
    const s = versionSpawn(container.workdir, container.path);
    const proc = await container.spawn(s.command, s.args, s.options);
    let out = '';
    const output = pump(proc, (chunk) => (out += chunk));
    const code = await within(proc.exit, timeoutMs);
    if (code === undefined) {
      proc.kill();
      return null;
    }
    await within(output, 1000);
    return parseGoVersion(out);
  } catch {
    return null;
  }
}
