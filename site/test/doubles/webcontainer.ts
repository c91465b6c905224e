// A recorded test double of @webcontainer/api (1.6), for the WebContainer glue's unit tests only:
// the SaaS boundary we cannot reach from here. Same method shapes as the package's .d.ts (the
// tests check that with `satisfies`): WebContainer.boot, mount, spawn (a process with an output
// ReadableStream, an input WritableStream, an exit promise, resize and kill), fs (readFile,
// writeFile, readdir, mkdir, rm, rename), on('port' | 'server-ready' | 'error'), workdir, path.
// Every call is recorded; processes are scripted by the test (what they print, when they exit).
import type { BootOptions, DirEnt, FileSystemAPI, FileSystemTree, SpawnOptions, WebContainerProcess } from '@webcontainer/api';

export interface Call {
  method: string;
  args: unknown[];
}

/** A spawned process the test drives: print(), exit(); what the glue does to it is recorded. */
export class FakeProcess implements WebContainerProcess {
  readonly output: ReadableStream<string>;
  readonly input: WritableStream<string>;
  readonly exit: Promise<number>;
  readonly inputs: string[] = [];
  readonly resizes: { cols: number; rows: number }[] = [];
  killed = false;
  exited: number | undefined;
  private controller!: ReadableStreamDefaultController<string>;
  private settle!: (code: number) => void;

  constructor(
    readonly command: string,
    readonly args: string[],
    readonly options: SpawnOptions,
    /** the code a killed process exits with */
    private readonly killExitCode = 143,
  ) {
    this.output = new ReadableStream<string>({ start: (c) => void (this.controller = c) });
    this.input = new WritableStream<string>({ write: (chunk) => void this.inputs.push(chunk) });
    this.exit = new Promise((resolve) => (this.settle = resolve));
  }

  /** The process writes to its terminal. */
  print(text: string): void {
    if (this.exited === undefined) this.controller.enqueue(text);
  }

  /** The process ends: its output closes, then exit resolves. */
  end(code: number): void {
    if (this.exited !== undefined) return;
    this.exited = code;
    this.controller.close();
    this.settle(code);
  }

  kill(): void {
    this.killed = true;
    this.end(this.killExitCode);
  }

  resize(dimensions: { cols: number; rows: number }): void {
    this.resizes.push(dimensions);
  }
}

type Listener = (...args: never[]) => void;

function bytes(contents: string | Uint8Array): Uint8Array {
  return typeof contents === 'string' ? new TextEncoder().encode(contents) : contents;
}

class NodeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** The container: an in-memory file system, scripted processes, events the test fires. */
export class FakeContainer {
  readonly workdir = '/home/goha';
  readonly path = '/usr/local/bin:/usr/bin:/bin';
  readonly calls: Call[] = [];
  readonly processes: FakeProcess[] = [];
  /** files by absolute path */
  readonly files = new Map<string, Uint8Array>();
  readonly dirs = new Set<string>(['/', '/home', '/home/goha']);
  private readonly listeners = new Map<string, Set<Listener>>();
  /** what a spawned process does; the default exits 0 at once */
  script: (proc: FakeProcess) => void = (proc) => queueMicrotask(() => proc.end(0));

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  callsOf(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  abs(path: string): string {
    const p = path.startsWith('/') ? path : `${this.workdir}/${path}`;
    const out: string[] = [];
    for (const seg of p.split('/')) {
      if (!seg || seg === '.') continue;
      if (seg === '..') out.pop();
      else out.push(seg);
    }
    return `/${out.join('/')}`;
  }

  text(path: string): string | undefined {
    const b = this.files.get(this.abs(path));
    return b && new TextDecoder().decode(b);
  }

  private mkdirp(dir: string): void {
    const parts = dir.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) this.dirs.add(`/${parts.slice(0, i).join('/')}`);
  }

  private put(path: string, contents: string | Uint8Array): void {
    const abs = this.abs(path);
    const parent = abs.slice(0, abs.lastIndexOf('/')) || '/';
    if (!this.dirs.has(parent)) throw new NodeError('ENOENT', `no such file or directory, open '${abs}'`);
    this.files.set(abs, bytes(contents));
  }

  async mount(tree: FileSystemTree | Uint8Array | ArrayBuffer, options?: { mountPoint?: string }): Promise<void> {
    this.record('mount', tree, options);
    if (!(tree instanceof Uint8Array) && !(tree instanceof ArrayBuffer)) {
      const at = this.abs(options?.mountPoint ?? '.');
      if (!this.dirs.has(at)) throw new NodeError('ENOENT', `mount point ${at} does not exist`);
      const walk = (t: FileSystemTree, dir: string) => {
        for (const [name, node] of Object.entries(t)) {
          const p = `${dir}/${name}`;
          if ('directory' in node) {
            this.mkdirp(p);
            walk(node.directory, p);
          } else if ('contents' in node.file) {
            this.files.set(p, bytes(node.file.contents));
          }
        }
      };
      walk(tree, at === '/' ? '' : at);
    }
  }

  // spawn(command, args, options) | spawn(command, options): the .d.ts's two overloads
  async spawn(command: string, argsOrOptions?: string[] | SpawnOptions, maybeOptions?: SpawnOptions): Promise<WebContainerProcess> {
    const args = Array.isArray(argsOrOptions) ? argsOrOptions : [];
    const options = (Array.isArray(argsOrOptions) ? maybeOptions : argsOrOptions) ?? {};
    this.record('spawn', command, args, options);
    const proc = new FakeProcess(command, args, options);
    this.processes.push(proc);
    this.script(proc);
    return proc;
  }

  on(event: 'port', listener: (port: number, type: 'open' | 'close', url: string) => void): () => void;
  on(event: 'server-ready', listener: (port: number, url: string) => void): () => void;
  on(event: 'error', listener: (error: { message: string }) => void): () => void;
  on(event: 'preview-message' | 'xdg-open' | 'code', listener: (...args: never[]) => void): () => void;
  on(event: string, listener: Listener): () => void {
    this.record('on', event);
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  /** The container fires an event (a port opens, a server is ready, an internal error). */
  emit(event: 'port', port: number, type: 'open' | 'close', url: string): void;
  emit(event: 'server-ready', port: number, url: string): void;
  emit(event: 'error', error: { message: string }): void;
  emit(event: string, ...args: unknown[]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (...a: unknown[]) => void)(...args);
  }

  listenerCount(event: string): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  readonly fs: FileSystemAPI = {
    readFile: (async (path: string, encoding?: string | null): Promise<Uint8Array | string> => {
      this.record('fs.readFile', path, encoding);
      const b = this.files.get(this.abs(path));
      if (!b) throw new NodeError('ENOENT', `no such file or directory, open '${this.abs(path)}'`);
      return encoding ? new TextDecoder().decode(b) : b.slice();
    }) as FileSystemAPI['readFile'],
    writeFile: async (path: string, data: string | Uint8Array, options?: string | { encoding?: string | null } | null): Promise<void> => {
      this.record('fs.writeFile', path, typeof data === 'string' ? data : `<${data.length} bytes>`, options);
      this.put(path, data);
    },
    readdir: (async (path: string, options?: { encoding?: string | null; withFileTypes?: boolean } | string | null) => {
      this.record('fs.readdir', path, options);
      const dir = this.abs(path);
      if (!this.dirs.has(dir)) throw new NodeError('ENOENT', `no such file or directory, scandir '${dir}'`);
      const prefix = dir === '/' ? '/' : `${dir}/`;
      const names = new Map<string, 'file' | 'dir'>();
      for (const d of this.dirs) if (d.startsWith(prefix) && d !== dir && !d.slice(prefix.length).includes('/')) names.set(d.slice(prefix.length), 'dir');
      for (const f of this.files.keys()) if (f.startsWith(prefix) && !f.slice(prefix.length).includes('/')) names.set(f.slice(prefix.length), 'file');
      const sorted = [...names].sort(([a], [b]) => a.localeCompare(b));
      const buffers = options === 'buffer' || (typeof options === 'object' && options?.encoding === 'buffer');
      const name = (n: string) => (buffers ? new TextEncoder().encode(n) : n);
      if (typeof options === 'object' && options?.withFileTypes) {
        return sorted.map(([n, kind]): DirEnt<string | Uint8Array> => ({ name: name(n), isFile: () => kind === 'file', isDirectory: () => kind === 'dir' }));
      }
      return sorted.map(([n]) => name(n));
    }) as FileSystemAPI['readdir'],
    mkdir: (async (path: string, options?: { recursive?: boolean }): Promise<string | void> => {
      this.record('fs.mkdir', path, options);
      const abs = this.abs(path);
      if (options?.recursive) this.mkdirp(abs);
      else {
        const parent = abs.slice(0, abs.lastIndexOf('/')) || '/';
        if (!this.dirs.has(parent)) throw new NodeError('ENOENT', `no such file or directory, mkdir '${abs}'`);
        if (this.dirs.has(abs)) throw new NodeError('EEXIST', `file already exists, mkdir '${abs}'`);
        this.dirs.add(abs);
      }
      return options?.recursive ? abs : undefined;
    }) as FileSystemAPI['mkdir'],
    rm: async (path: string, options?: { force?: boolean; recursive?: boolean }): Promise<void> => {
      this.record('fs.rm', path, options);
      const abs = this.abs(path);
      if (this.files.delete(abs)) return;
      if (this.dirs.has(abs)) {
        const inside = [...this.files.keys(), ...this.dirs].some((p) => p.startsWith(`${abs}/`));
        if (inside && !options?.recursive) throw new NodeError('ENOTEMPTY', `directory not empty, rm '${abs}'`);
        for (const f of [...this.files.keys()]) if (f.startsWith(`${abs}/`)) this.files.delete(f);
        for (const d of [...this.dirs]) if (d === abs || d.startsWith(`${abs}/`)) this.dirs.delete(d);
        return;
      }
      if (!options?.force) throw new NodeError('ENOENT', `no such file or directory, rm '${abs}'`);
    },
    rename: async (oldPath: string, newPath: string): Promise<void> => {
      this.record('fs.rename', oldPath, newPath);
      const b = this.files.get(this.abs(oldPath));
      if (!b) throw new NodeError('ENOENT', `no such file or directory, rename '${oldPath}'`);
      this.files.delete(this.abs(oldPath));
      this.put(newPath, b);
    },
    watch: (() => {
      throw new Error('fs.watch is not part of the double');
    }) as FileSystemAPI['watch'],
  };
}

/** WebContainer's static side: boot, recorded; a second boot while one is up fails as the real one does. */
export class FakeWebContainerApi {
  readonly boots: (BootOptions | undefined)[] = [];
  container: FakeContainer | undefined;
  /** make the next boot fail with this message */
  failNextBoot: string | undefined;
  /** make the next boot never end (StackBlitz unreachable) */
  hangNextBoot = false;

  async boot(options?: BootOptions): Promise<FakeContainer> {
    this.boots.push(options);
    if (this.hangNextBoot) {
      this.hangNextBoot = false;
      return new Promise<FakeContainer>(() => {});
    }
    if (this.failNextBoot) {
      const m = this.failNextBoot;
      this.failNextBoot = undefined;
      throw new Error(m);
    }
    if (this.container) throw new Error('Only a single WebContainer instance can be booted');
    this.container = new FakeContainer();
    return this.container;
  }
}
