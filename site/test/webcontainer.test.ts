// The WebContainer glue (site/runtime/webcontainer.ts) against the recorded double of
// @webcontainer/api. Everything else is real: the runtime's files and the lab's starter come
// over HTTP from the /runtime/ middleware, the learner's files are kept by the real store.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebContainer } from '@webcontainer/api';
import { WebContainerRuntime, type Container } from '../runtime/webcontainer.js';
import { MemoryKeyValue, StorageKeyValue } from '../runtime/browser/store.js';
import { RuntimeUnavailableError, type RunState } from '../runtime/types.js';
import type { CheckEvent } from '../../checkers/core/verdict.js';
import { FakeContainer, FakeWebContainerApi, type FakeProcess } from './doubles/webcontainer.js';
import { makeRuntimeRepo, serveBuiltRuntime } from './runtime-site.js';

vi.mock('@wasm-fmt/gofmt/vite', async () => {
  const node = await import('@wasm-fmt/gofmt/node');
  return { default: async () => undefined, format: node.format };
});

// The double has the shapes of the real API (checked by the compiler, not at run time).
void ((c: FakeContainer) => c satisfies Container satisfies Pick<WebContainer, 'fs' | 'spawn' | 'mount' | 'on' | 'workdir' | 'path'>);

const repo = makeRuntimeRepo(['slowloris']);
const built = mkdtempSync(join(tmpdir(), 'ghl-wc-site-'));
let site: Awaited<ReturnType<typeof serveBuiltRuntime>>;
beforeAll(async () => {
  // the site as `astro build` writes it, from a plain static host; parts of 30 000 bytes, so that
  // compile.wasm (70 000 incompressible bytes) comes in three parts as big files do
  site = await serveBuiltRuntime(repo.root, built, 30_000);
});
afterAll(async () => {
  await site.close();
  repo.remove();
  rmSync(built, { recursive: true, force: true });
});

/** `go version` answers; everything else is scripted per test. */
function scriptGoVersion(container: FakeContainer, rest: (proc: FakeProcess) => void = (p) => queueMicrotask(() => p.end(0))) {
  container.script = (proc) => {
    if (proc.command === 'node' && proc.args[1] === 'version') {
      queueMicrotask(() => {
        proc.print('go version go1.26.0 js/wasm\r\n');
        proc.end(0);
      });
    } else rest(proc);
  };
}

let api: FakeWebContainerApi;
let runtimes: WebContainerRuntime[];

async function connect(options: { storage?: MemoryKeyValue | StorageKeyValue; api?: FakeWebContainerApi } = {}) {
  const a = options.api ?? api;
  const booting = WebContainerRuntime.connect({ api: a, base: site.base, storage: options.storage ?? new MemoryKeyValue(), killGraceMs: 2000 });
  // the container exists once boot resolves: teach it `go version` before connect asks
  await vi.waitFor(() => expect(a.container).toBeDefined());
  if (!a.container!.processes.length) scriptGoVersion(a.container!);
  const rt = await booting;
  runtimes.push(rt);
  return rt;
}

beforeEach(() => {
  api = new FakeWebContainerApi();
  runtimes = [];
});
afterEach(() => {
  for (const r of runtimes) r.dispose();
});

const lastSpawn = (c: FakeContainer) => c.processes[c.processes.length - 1]!;

describe('connect', () => {
  it('boots one container per tab, cross-origin isolated, and mounts the runtime once', async () => {
    const a = await connect();
    const b = await connect();
    expect(api.boots).toEqual([{ coep: 'require-corp', workdirName: 'goha' }]);
    const c = api.container!;
    const runtimeMounts = c.callsOf('mount').filter((m) => !(m.args[1] as { mountPoint?: string } | undefined)?.mountPoint);
    expect(runtimeMounts).toHaveLength(1);
    expect(a.info).toEqual({ kind: 'browser', go: 'go1.26.0', kernel: false, docker: false });
    expect(b.info.go).toBe('go1.26.0');
  });

  it('mounts the runtime at <workdir>/runtime as the repository lays it out, with go and gofmt on bin/', async () => {
    await connect();
    const c = api.container!;
    expect(c.text('runtime/dist/checker.mjs')).toBe('// the checker bundle\n');
    expect(c.text('runtime/toolchain/go.mjs')).toContain('go version');
    expect(c.text('runtime/launcher/run-wasm.mjs')).toContain('node-net.mjs');
    const source = (rel: string) => new Uint8Array(readFileSync(join(repo.root, 'runtime', ...rel.split('/'))));
    // in three parts, put back together
    expect(c.files.get(c.abs('runtime/dist/toolchain/compile.wasm'))).toEqual(source('dist/toolchain/compile.wasm'));
    expect(new Set(site.requests.filter((r) => r.includes('compile.wasm')))).toEqual(new Set([0, 1, 2].map((i) => `/runtime/dist/toolchain/compile.wasm.part${i}`)));
    // gzip-compressed by the build, decompressed in the tab
    expect(c.files.get(c.abs('runtime/dist/toolchain/pack.json'))).toEqual(source('dist/toolchain/pack.json'));
    expect(site.requests).toContain('/runtime/dist/toolchain/pack.json.gz');
    // build-machine files stay there
    expect(c.text('runtime/dist/overlay.json')).toBeUndefined();
    expect(c.text('runtime/toolchain/build.ts')).toBeUndefined();
    expect(c.text('bin/go')).toMatch(/^#!\/usr\/bin\/env node\n[\s\S]*"runtime", "toolchain", "go\.mjs"/);
    expect(c.text('bin/gofmt')).toMatch(/"runtime", "toolchain", "gofmt\.mjs"/);
  });

  it('asks the toolchain shim for the Go version', async () => {
    await connect();
    const v = api.container!.processes[0]!;
    expect(v.command).toBe('node');
    expect(v.args).toEqual(['/home/goha/runtime/toolchain/go.mjs', 'version']);
  });

  it('reports boot, download and mount as it goes', async () => {
    const phases: string[] = [];
    let last = { loaded: 0, total: 0 };
    const booting = WebContainerRuntime.connect({
      api,
      base: site.base,
      storage: new MemoryKeyValue(),
      onProgress: (p) => {
        phases.push(p.phase);
        if (p.phase === 'download') last = p;
      },
    });
    await vi.waitFor(() => expect(api.container).toBeDefined());
    scriptGoVersion(api.container!);
    runtimes.push(await booting);
    expect(phases[0]).toBe('boot');
    expect(phases).toContain('download');
    expect(phases.slice(-2)).toEqual(['mount', 'version']);
    expect(phases.indexOf('download')).toBeLessThan(phases.lastIndexOf('mount'));
    expect(last.loaded).toBe(last.total);
    expect(last.total).toBeGreaterThan(70_000);
  });

  it('says why when the container cannot boot, and boots again on the next try', async () => {
    api.failNextBoot = 'Unable to create more instances';
    const before = site.requests.length;
    const err = await WebContainerRuntime.connect({ api, base: site.base, storage: new MemoryKeyValue() }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    // the download that ran alongside the boot stopped with it
    expect(site.requests.slice(before).filter((r) => r.includes('/dist/'))).toEqual([]);
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect((err as RuntimeUnavailableError).reason).toBe('browser');
    expect((err as Error).message).toBe('Unable to create more instances');
    await connect();
    expect(api.boots).toHaveLength(2);
  });

  it('gives up on a boot that never ends (no network to StackBlitz), with a sentence that says so', async () => {
    api.hangNextBoot = true;
    const t0 = Date.now();
    const err = await WebContainerRuntime.connect({ api, base: site.base, storage: new MemoryKeyValue(), bootTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect((err as Error).message).toMatch(/did not boot within 0\.2 s \(it loads from StackBlitz's servers: is this browser online\?\)/);
  });

  it('says the site has no runtime when /runtime/manifest.json is missing or not built', async () => {
    const err = await WebContainerRuntime.connect({ api, base: site.base.replace('/runtime/', '/nothing/'), storage: new MemoryKeyValue() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect((err as Error).message).toMatch(/this site has no in-browser Go runtime/);
  });
});

describe('files', () => {
  it("mounts the lab's starter into work/<lab> on first use, without the lesson or the manifest", async () => {
    const rt = await connect();
    const files = await rt.listFiles('slowloris');
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['admin.go', 'go.mod', 'main.go']));
    expect(paths.some((p) => p.endsWith('.md') || p === 'lab.json')).toBe(false);
    const c = api.container!;
    expect(c.callsOf('mount').some((m) => (m.args[1] as { mountPoint?: string } | undefined)?.mountPoint === 'work/slowloris')).toBe(true);
    expect(c.text('work/slowloris/main.go')).toContain('package main');
    expect(await rt.readFile('slowloris', 'main.go')).toBe(c.text('work/slowloris/main.go'));
  });

  it('writes to the container and to storage; a new tab (new container) gets the edits back', async () => {
    const storage = new MemoryKeyValue();
    const rt = await connect({ storage });
    await rt.listFiles('slowloris');
    await rt.writeFile('slowloris', 'main.go', 'package main\n\n// edited\n');
    await rt.writeFile('slowloris', 'extra/notes.txt', 'mine\n');
    expect(api.container!.text('work/slowloris/main.go')).toBe('package main\n\n// edited\n');
    expect(api.container!.text('work/slowloris/extra/notes.txt')).toBe('mine\n');

    // reload: a new page, a new container, the same storage
    const again = await connect({ storage, api: new FakeWebContainerApi() });
    const reloaded = runtimes[runtimes.length - 1]!;
    expect(reloaded).toBe(again);
    expect(await again.readFile('slowloris', 'main.go')).toBe('package main\n\n// edited\n');
    expect((await again.listFiles('slowloris')).map((f) => f.path)).toContain('extra/notes.txt');
  });

  it('keeps what the learner changed in the shell (new, edited and deleted files) across a reload', async () => {
    const storage = new StorageKeyValue(new MapStorage());
    const rt = await connect({ storage });
    await rt.listFiles('slowloris');
    const c = api.container!;
    await c.fs.writeFile('work/slowloris/handlers.go', 'package main\n');
    await c.fs.rm('work/slowloris/admin.go');
    await c.fs.writeFile('work/slowloris/server.wasm', new Uint8Array([0, 97, 115, 109])); // a build output: not a text file
    const listed = (await rt.listFiles('slowloris')).map((f) => f.path);
    expect(listed).toContain('handlers.go');
    expect(listed).not.toContain('admin.go');
    expect(listed).not.toContain('server.wasm');

    const again = await connect({ storage, api: new FakeWebContainerApi() });
    const paths = (await again.listFiles('slowloris')).map((f) => f.path);
    expect(paths).toContain('handlers.go');
    expect(paths).not.toContain('admin.go');
  });

  it('refuses paths that leave the lab folder, and files over the size limit', async () => {
    const rt = await connect();
    await expect(rt.writeFile('slowloris', '../other/main.go', 'x')).rejects.toThrow(/"\.\." is refused/);
    await expect(rt.writeFile('slowloris', '/etc/passwd', 'x')).rejects.toThrow(/absolute/);
    await expect(rt.readFile('slowloris', 'a//b')).rejects.toThrow(/empty/);
    await expect(rt.writeFile('slowloris', 'big.go', 'x'.repeat(256 * 1024 + 1))).rejects.toThrow(/too large/);
    await expect(rt.readFile('slowloris', 'nope.go')).rejects.toThrow(/no such file: nope\.go/);
    await expect(rt.listFiles('../etc')).rejects.toThrow(/there is no lab/);
  });

  it('reset puts the starter back in the same folder and keeps the old files as a named backup', async () => {
    const storage = new MemoryKeyValue();
    const rt = await connect({ storage });
    await rt.listFiles('slowloris');
    const starter = await rt.readFile('slowloris', 'main.go');
    await rt.writeFile('slowloris', 'main.go', 'package main // mine\n');
    await api.container!.fs.writeFile('work/slowloris/scratch.go', 'package main\n');
    const { backup } = await rt.reset('slowloris');
    expect(backup).toMatch(/^slowloris\.backup-\d{8}T\d{6}\d*Z$/);
    expect(await rt.readFile('slowloris', 'main.go')).toBe(starter);
    expect(api.container!.text('work/slowloris/scratch.go')).toBeUndefined();
    expect(api.container!.dirs.has('/home/goha/work/slowloris')).toBe(true);
    const kept = await storage.get<{ files: Record<string, { contents: string }> }>(`backup:slowloris:${backup}`);
    expect(kept!.files['main.go']!.contents).toBe('package main // mine\n');
    expect(kept!.files['scratch.go']!.contents).toBe('package main\n');
  });

  it('offers the solution as the starter with the solution laid over it', async () => {
    const rt = await connect();
    const files = (await rt.solutionFiles('slowloris')).map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['admin.go', 'go.mod', 'main.go']));
    const solution = await rt.readSolutionFile('slowloris', 'main.go');
    expect(solution).toContain('ReadHeaderTimeout');
    expect(await rt.listFiles('slowloris')).toBeDefined();
    expect(await rt.readFile('slowloris', 'main.go')).not.toContain('ReadHeaderTimeout');
  });

  it('formats with gofmt in the tab and reports syntax errors as FormatError', async () => {
    const rt = await connect();
    expect(await rt.format('package main\nfunc main(){}\n')).toBe('package main\n\nfunc main() {}\n');
    await expect(rt.format('package main\nfunc (')).rejects.toMatchObject({ name: 'FormatError' });
  });
});

describe('terminal', () => {
  it("spawns jsh in the lab's folder at the terminal's size, with go on PATH, and streams both ways", async () => {
    const rt = await connect();
    scriptGoVersion(api.container!, () => {});
    const term = await rt.openTerminal('slowloris', { cols: 100, rows: 30 });
    const proc = lastSpawn(api.container!);
    expect(proc.command).toBe('jsh');
    expect(proc.options.cwd).toBe('work/slowloris');
    expect(proc.options.terminal).toEqual({ cols: 100, rows: 30 });
    expect(String(proc.options.env!.PATH).split(':')[0]).toBe('/home/goha/bin');
    expect(String(proc.options.env!.PATH)).toContain('/usr/local/bin');
    expect(proc.options.env!.ADDR).toBe('127.0.0.1:8080');

    const seen: string[] = [];
    term.onData((d) => seen.push(d));
    proc.print('~/work/slowloris ❯ ');
    await vi.waitFor(() => expect(seen.join('')).toBe('~/work/slowloris ❯ '));
    term.write('go version\r');
    await vi.waitFor(() => expect(proc.inputs).toEqual(['go version\r']));
    term.resize(120, 40);
    expect(proc.resizes).toEqual([{ cols: 120, rows: 40 }]);

    const exits: (number | null)[] = [];
    term.onExit((code) => exits.push(code));
    proc.end(0);
    await vi.waitFor(() => expect(exits).toEqual([0]));
  });

  it('close kills the shell and says nothing more', async () => {
    const rt = await connect();
    scriptGoVersion(api.container!, () => {});
    const term = await rt.openTerminal('slowloris', { cols: 80, rows: 24 });
    const exits: (number | null)[] = [];
    term.onExit((c) => exits.push(c));
    term.close();
    expect(lastSpawn(api.container!).killed).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(exits).toEqual([]);
  });
});

describe('run', () => {
  function recorder() {
    const states: { state: RunState; url?: string; message?: string; adminUrl?: string }[] = [];
    let log = '';
    return {
      states,
      log: () => log,
      on: { log: (d: string) => void (log += d), state: (state: RunState, d: { url?: string; message?: string; adminUrl?: string }) => void states.push({ state, ...d }) },
    };
  }

  it('runs `go run .` through the shim on port 8080, and is running when the port opens', async () => {
    const rt = await connect();
    scriptGoVersion(api.container!, () => {});
    const r = recorder();
    await rt.run('slowloris', r.on);
    const proc = lastSpawn(api.container!);
    expect(proc.command).toBe('node');
    expect(proc.args).toEqual(['/home/goha/runtime/toolchain/go.mjs', 'run', '.']);
    expect(proc.options.cwd).toBe('work/slowloris');
    expect(proc.options.env).toMatchObject({ ADDR: '127.0.0.1:8080', ADMIN_ADDR: '127.0.0.1:6060' });
    expect(r.states).toEqual([{ state: 'building', message: 'go run .' }]);

    proc.print('2026/11/25 10:00:00 listening on 127.0.0.1:8080\r\n');
    await vi.waitFor(() => expect(r.log()).toBe('$ go run .\n2026/11/25 10:00:00 listening on 127.0.0.1:8080\n'));
    const c = api.container!;
    c.emit('port', 9999, 'open', 'https://x--9999.local'); // someone else's port
    c.emit('port', 8080, 'open', 'https://x--8080.local');
    c.emit('server-ready', 8080, 'https://x--8080.local'); // the same news twice
    c.emit('port', 6060, 'open', 'https://x--6060.local');
    expect(r.states.slice(1)).toEqual([
      { state: 'running', url: 'https://x--8080.local', message: 'listening on https://x--8080.local' },
      { state: 'running', url: 'https://x--8080.local', adminUrl: 'https://x--6060.local', message: 'listening on https://x--8080.local' },
    ]);

    await rt.stop('slowloris');
    expect(proc.killed).toBe(true);
    expect(r.states[r.states.length - 1]).toEqual({ state: 'stopped', message: 'stopped' });
    c.emit('port', 8080, 'open', 'https://x--8080.local');
    expect(r.states[r.states.length - 1]!.state).toBe('stopped');
  });

  it('a build that fails (or a server that exits) is reported with its exit code', async () => {
    const rt = await connect();
    scriptGoVersion(api.container!, (p) =>
      queueMicrotask(() => {
        p.print('./main.go:8:1: syntax error: non-declaration statement outside function body\r\n');
        p.end(1);
      }),
    );
    const r = recorder();
    await rt.run('slowloris', r.on);
    await vi.waitFor(() => expect(r.states.length).toBe(2));
    expect(r.states[1]).toEqual({ state: 'failed', message: 'go run . exited (exit code 1) before the server listened on port 8080' });
    expect(r.log()).toContain('./main.go:8:1: syntax error');
  });

  it('Run again restarts: the old server is killed first, quietly', async () => {
    const rt = await connect();
    scriptGoVersion(api.container!, () => {});
    const first = recorder();
    await rt.run('slowloris', first.on);
    const old = lastSpawn(api.container!);
    const second = recorder();
    await rt.run('slowloris', second.on);
    expect(old.killed).toBe(true);
    expect(first.states.map((s) => s.state)).toEqual(['building']);
    expect(lastSpawn(api.container!)).not.toBe(old);
  });
});

describe('check', () => {
  const verdict = { lab: 'slowloris', passed: false, status: 'failed', durationMs: 1234, target: 'workspace/slowloris', runtime: 'browser', probes: [] };
  const events: CheckEvent[] = [
    { type: 'check-start', lab: 'slowloris', target: 'workspace/slowloris', probes: [{ id: 'serves', title: 'GET /products answers 200' }] },
    { type: 'phase', phase: 'build', message: 'GOOS=js GOARCH=wasm go build .' },
    { type: 'probe-start', id: 'serves', title: 'GET /products answers 200' },
    {
      type: 'probe-end',
      result: { id: 'serves', title: 'GET /products answers 200', passed: true, status: 'passed', expected: '200', measured: '200 in 3 ms', explanation: 'x', durationMs: 3 },
    },
    { type: 'check-end', verdict: verdict as never },
  ];

  it('spawns the bundled checker on the learner folder under the wasm runtime and passes every event on', async () => {
    const rt = await connect();
    scriptGoVersion(api.container!, (p) => {
      // lines cut anywhere, terminal line ends, a warning between events
      const lines = events.map((e) => JSON.stringify(e) + '\r\n');
      const head = lines.slice(0, 2).join('');
      const tail = lines.slice(2).join('');
      const cut = [head.slice(0, 17), head.slice(17), '(node:12) Warning: something\r\n', tail.slice(0, 101), tail.slice(101, 102), tail.slice(102)];
      setTimeout(() => {
        for (const part of cut) p.print(part);
        p.end(1);
      }, 5);
    });
    const seen: CheckEvent[] = [];
    const v = await rt.check('slowloris', (e) => seen.push(e));
    const proc = lastSpawn(api.container!);
    expect(proc.command).toBe('node');
    expect(proc.args).toEqual([
      '/home/goha/runtime/dist/checker.mjs',
      'check',
      'slowloris',
      '--dir',
      '/home/goha/work/slowloris',
      '--runtime',
      'wasm',
      '--events',
    ]);
    expect(proc.options.env).toMatchObject({ GHL_WASM_COMPILER: 'wasm', NO_COLOR: '1' });
    expect(seen).toEqual(events);
    expect(v).toEqual(verdict);
  });

  it('a checker that ends without a verdict is an error that quotes its last lines', async () => {
    const rt = await connect();
    scriptGoVersion(api.container!, (p) =>
      queueMicrotask(() => {
        p.print('labs: there is no lab "slowloris"; known labs: (none)\r\n');
        p.end(2);
      }),
    );
    await expect(rt.check('slowloris', () => {})).rejects.toThrow(/the checker exited with code 2 before its verdict:\nlabs: there is no lab "slowloris"/);
  });

  it('abort kills the checker, drops later events and rejects with AbortError', async () => {
    const rt = await connect();
    let proc: FakeProcess | undefined;
    scriptGoVersion(api.container!, (p) => {
      proc = p;
      queueMicrotask(() => p.print(JSON.stringify(events[0]) + '\n'));
    });
    const ac = new AbortController();
    const seen: CheckEvent[] = [];
    const done = rt.check('slowloris', (e) => seen.push(e), { signal: ac.signal });
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    ac.abort();
    expect(proc!.killed).toBe(true);
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(1);
    // Check can be pressed again at once
    scriptGoVersion(api.container!, (p) => queueMicrotask(() => (p.print(events.map((e) => JSON.stringify(e)).join('\n') + '\n'), p.end(1))));
    await expect(rt.check('slowloris', () => {})).resolves.toEqual(verdict);
  });

  it('one check of a lab at a time; an aborted signal never starts one', async () => {
    const rt = await connect();
    scriptGoVersion(api.container!, () => {});
    const first = rt.check('slowloris', () => {});
    await expect(rt.check('slowloris', () => {})).rejects.toThrow(/already running/);
    const ac = new AbortController();
    ac.abort();
    const spawned = api.container!.processes.length;
    await expect(rt.check('slowloris', () => {}, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(api.container!.processes.length).toBe(spawned);
    rt.dispose();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('lifetime', () => {
  it('an error event of the container reaches onDisconnect; dispose kills what it started and stops listening', async () => {
    const rt = await connect();
    const c = api.container!;
    const reasons: string[] = [];
    rt.onDisconnect((r) => reasons.push(r));
    c.emit('error', { message: 'the preview crashed' });
    expect(reasons).toEqual(['the preview crashed']);
    scriptGoVersion(c, () => {});
    await rt.openTerminal('slowloris', { cols: 80, rows: 24 });
    await rt.run('slowloris', { log: () => {}, state: () => {} });
    const live = c.processes.filter((p) => p.exited === undefined);
    expect(live).toHaveLength(2);
    rt.dispose();
    expect(live.every((p) => p.killed)).toBe(true);
    expect(c.listenerCount('port') + c.listenerCount('server-ready') + c.listenerCount('error')).toBe(0);
    c.emit('error', { message: 'after' });
    expect(reasons).toEqual(['the preview crashed']);
  });
});

/** localStorage as the browser has it (for the storage fallback). */
class MapStorage implements Storage {
  private readonly map = new Map<string, string>();
  get length() {
    return this.map.size;
  }
  clear() {
    this.map.clear();
  }
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  key(i: number) {
    return [...this.map.keys()][i] ?? null;
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
  setItem(k: string, v: string) {
    this.map.set(k, String(v));
  }
}
