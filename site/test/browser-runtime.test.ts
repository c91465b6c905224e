// The plain modules under the WebContainer glue, for real: the checker's event stream, the file
// layout and commands, the learner's file store, the downloads from /runtime/, the runtime choice.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckStream, LineSplitter, parseEventLine, plainNewlines } from '../runtime/browser/check-stream.js';
import { binWrapper, checkSpawn, parseGoVersion, runSpawn, terminalSpawn, treeFrom } from '../runtime/browser/layout.js';
import { FirstWorkingKeyValue, LabStore, MemoryKeyValue, StorageKeyValue, checkPath, maxBackups, type KeyValue, type LabFile } from '../runtime/browser/store.js';
import { AssetsMissingError, fetchAssets, fetchLab, fetchManifest, fileBytes, gunzip, solutionOf } from '../runtime/browser/assets.js';
import { planRuntimes } from '../runtime/select.js';
import type { CheckEvent } from '../../checkers/core/verdict.js';
import { makeRuntimeRepo, serveBuiltRuntime, serveRuntime } from './runtime-site.js';

describe('the checker event stream', () => {
  it('splits chunks into lines at "\\n" and "\\r\\n", holding an unfinished line', () => {
    const s = new LineSplitter();
    expect(s.push('a\r\nb')).toEqual(['a']);
    expect(s.push('c\nd\r')).toEqual(['bc']);
    expect(s.push('\n')).toEqual(['d']);
    expect(s.push('tail')).toEqual([]);
    expect(s.flush()).toEqual(['tail']);
    expect(s.flush()).toEqual([]);
  });

  it('takes JSON event lines only (colour codes and spaces around them are fine)', () => {
    expect(parseEventLine('{"type":"phase","phase":"build","message":"go build ."}')).toEqual({ type: 'phase', phase: 'build', message: 'go build .' });
    expect(parseEventLine('\x1b[0m  {"type":"server-log","line":"hi"}  ')).toEqual({ type: 'server-log', line: 'hi' });
    expect(parseEventLine('{"type":"not-an-event"}')).toBeUndefined();
    expect(parseEventLine('{"type":"check-end"}')).toBeUndefined();
    expect(parseEventLine('{"type":"phase",')).toBeUndefined();
    expect(parseEventLine('[1,2]')).toBeUndefined();
    expect(parseEventLine('labs: there is no lab "x"')).toBeUndefined();
  });

  it('passes events on in order, and ends with the verdict', () => {
    const seen: CheckEvent[] = [];
    const s = new CheckStream((e) => seen.push(e));
    const verdict = { lab: 'x', passed: true, status: 'passed', durationMs: 1, target: 't', runtime: 'browser', probes: [] };
    const text = `{"type":"check-start","lab":"x","target":"t","probes":[]}\r\nnoise\r\n{"type":"check-end","verdict":${JSON.stringify(verdict)}}`;
    for (let i = 0; i < text.length; i += 7) s.push(text.slice(i, i + 7));
    expect(seen.map((e) => e.type)).toEqual(['check-start']);
    expect(s.started).toBe(true);
    expect(s.end(0)).toEqual(verdict); // the last line had no line end
    expect(seen.map((e) => e.type)).toEqual(['check-start', 'check-end']);
  });

  it('without a verdict, ends with an error that quotes the last lines', () => {
    const s = new CheckStream(() => {});
    for (let i = 0; i < 50; i++) s.push(`line ${i}\n`);
    const err = s.end(2) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(`the checker exited with code 2 before its verdict:\n${Array.from({ length: 8 }, (_, i) => `line ${42 + i}`).join('\n')}`);
    expect((new CheckStream(() => {}).end(null) as Error).message).toBe('the checker was stopped before its verdict');
  });

  it('server output gets plain line ends', () => {
    expect(plainNewlines('a\r\nb\r\n\r\nc\n')).toBe('a\nb\n\nc\n');
  });
});

describe('the container layout', () => {
  const wd = '/home/goha';
  it('spawns the shell, go run and the checker from the repository layout', () => {
    expect(terminalSpawn(wd, '/bin', 'slowloris', { cols: 90, rows: 20 })).toEqual({
      command: 'jsh',
      args: [],
      options: { cwd: 'work/slowloris', env: { PATH: '/home/goha/bin:/bin', ADDR: '127.0.0.1:8080', ADMIN_ADDR: '127.0.0.1:6060' }, terminal: { cols: 90, rows: 20 } },
    });
    expect(runSpawn(wd, '/bin', 'slowloris').args).toEqual(['/home/goha/runtime/toolchain/go.mjs', 'run', '.']);
    const check = checkSpawn(wd, '', 'goroutine-leak');
    expect(check.args).toEqual(['/home/goha/runtime/dist/checker.mjs', 'check', 'goroutine-leak', '--dir', '/home/goha/work/goroutine-leak', '--runtime', 'wasm', '--events']);
    expect(check.options.env).toEqual({ PATH: '/home/goha/bin', GHL_WASM_COMPILER: 'wasm', NO_COLOR: '1' });
  });

  it('reads the Go version the way `go version` prints it', () => {
    expect(parseGoVersion('go version go1.26.0 js/wasm\n')).toBe('go1.26.0');
    expect(parseGoVersion('\x1b[1mgo version go1.26rc2 linux/amd64')).toBe('go1.26rc2');
    expect(parseGoVersion('command not found: go')).toBeNull();
  });

  it('builds a mount tree from paths, and refuses paths that escape or collide', () => {
    expect(treeFrom([
      { path: 'a/b/c.go', contents: 'x' },
      { path: 'a/d.go', contents: 'y' },
    ])).toEqual({ a: { directory: { b: { directory: { 'c.go': { file: { contents: 'x' } } } }, 'd.go': { file: { contents: 'y' } } } } });
    expect(() => treeFrom([{ path: '../x', contents: '' }])).toThrow(/bad path/);
    expect(() => treeFrom([{ path: 'a', contents: '' }, { path: 'a/b', contents: '' }])).toThrow(/is a file and a folder/);
  });

  it('the bin wrappers run the shim in their own process, with argv as if the shim had been run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ghl-bin-wrapper-'));
    try {
      mkdirSync(join(dir, 'bin'));
      mkdirSync(join(dir, 'runtime', 'toolchain'), { recursive: true });
      const probe =
        "import { pathToFileURL } from 'node:url';\n" +
        'console.log(JSON.stringify({ argv: process.argv.slice(1), main: import.meta.url === pathToFileURL(process.argv[1]).href }));\n' +
        'process.exitCode = 3;\n';
      writeFileSync(join(dir, 'runtime', 'toolchain', 'go.mjs'), probe);
      writeFileSync(join(dir, 'runtime', 'toolchain', 'gofmt.mjs'), probe);
      for (const name of ['go', 'gofmt'] as const) {
        writeFileSync(join(dir, 'bin', name), binWrapper(name));
        const r = spawnSync(process.execPath, [join(dir, 'bin', name), '-l', 'main.go'], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(3);
        expect(JSON.parse(r.stdout)).toEqual({ argv: [join(dir, 'runtime', 'toolchain', `${name}.mjs`), '-l', 'main.go'], main: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the learner file store', () => {
  const starter: LabFile[] = [
    { path: 'main.go', contents: 'package main\n' },
    { path: 'go.mod', contents: 'module x\n' },
    { path: 'testdata/blob.bin', contents: 'AAEC', binary: true },
  ];
  let clock = Date.UTC(2026, 10, 25, 10, 0, 0);
  const now = () => (clock += 1000);
  let starterFetches = 0;
  const fetchStarter = async () => (starterFetches++, starter);

  it('makes the workspace from the starter once, and lists text files only', async () => {
    const kv = new MemoryKeyValue();
    const store = new LabStore(kv, fetchStarter, now);
    const before = starterFetches;
    await Promise.all([store.list('lab'), store.list('lab'), store.read('lab', 'main.go')]);
    expect(starterFetches - before).toBe(1);
    expect((await store.list('lab')).map((f) => [f.path, f.size])).toEqual([
      ['go.mod', 9],
      ['main.go', 13],
    ]);
    expect((await store.all('lab')).map((f) => f.path)).toEqual(['go.mod', 'main.go', 'testdata/blob.bin']);
    await expect(store.read('lab', 'testdata/blob.bin')).rejects.toThrow(/no such file/);
  });

  it('keeps writes across a new store on the same storage (a reload); an unchanged write keeps its time', async () => {
    const kv = new StorageKeyValue(mapStorage());
    const a = new LabStore(kv, fetchStarter, now);
    const first = await a.write('lab', 'main.go', 'package main // 1\n');
    const same = await a.write('lab', 'main.go', 'package main // 1\n');
    expect(same.mtimeMs).toBe(first.mtimeMs);
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.write('lab', `f${i}.go`, `package main // ${i}\n`)));
    const b = new LabStore(kv, async () => {
      throw new Error('the starter is not fetched again');
    });
    expect(await b.read('lab', 'main.go')).toBe('package main // 1\n');
    expect((await b.list('lab')).length).toBe(22);
  });

  it('replaceText mirrors the container folder and keeps binary starter files', async () => {
    const store = new LabStore(new MemoryKeyValue(), fetchStarter, now);
    await store.list('lab');
    expect(await store.replaceText('lab', [{ path: 'main.go', contents: 'package main\n' }, { path: 'go.mod', contents: 'module x\n' }])).toBe(false);
    expect(await store.replaceText('lab', [{ path: 'main.go', contents: 'package main\n' }, { path: 'new.go', contents: 'package main\n' }])).toBe(true);
    expect((await store.all('lab')).map((f) => f.path)).toEqual(['main.go', 'new.go', 'testdata/blob.bin']);
  });

  it('reset backs up the old files under the agent-style name, and keeps the last ten backups', async () => {
    const kv = new MemoryKeyValue();
    const store = new LabStore(kv, fetchStarter, () => Date.UTC(2026, 10, 25, 10, 0, 0));
    await store.write('lab', 'main.go', 'mine\n');
    const { backup, files } = await store.reset('lab');
    expect(backup).toBe('lab.backup-20261125T100000000Z');
    expect(files.find((f) => f.path === 'main.go')!.contents).toBe('package main\n');
    expect((await store.backup('lab', backup))!.files['main.go']!.contents).toBe('mine\n');
    const second = await store.reset('lab');
    expect(second.backup).toBe('lab.backup-20261125T100000000Z-2');
    for (let i = 0; i < 12; i++) await store.reset('lab');
    expect((await store.backups('lab')).length).toBe(maxBackups);
    expect(await store.backups('lab')).not.toContain('lab.backup-20261125T100000000Z');
  });

  it('checks paths as the agent does', () => {
    for (const bad of ['', '/abs', '../x', 'a/../b', 'a//b', './a', 'a\\b', 'C:x', 'a\0b', 'x/'.repeat(40) + 'y']) expect(() => checkPath(bad)).toThrow(/bad path/);
    expect(checkPath('cmd/server/main.go')).toBe('cmd/server/main.go');
  });

  it('storage falls back to the next option when the first one cannot open', async () => {
    const broken: KeyValue = {
      get: () => Promise.reject(new Error('no')),
      set: () => Promise.reject(new Error('no')),
      delete: () => Promise.reject(new Error('no')),
      keys: () => Promise.reject(new Error('IndexedDB is blocked')),
    };
    const kv = new FirstWorkingKeyValue([() => broken, () => new StorageKeyValue(mapStorage())]);
    await kv.set('a', { b: 1 });
    expect(await kv.get('a')).toEqual({ b: 1 });
    const none = new FirstWorkingKeyValue([() => {
      throw new Error('no indexedDB');
    }]);
    await none.set('x', 1);
    expect(await none.get('x')).toBe(1);
  });
});

describe('downloads from /runtime/', () => {
  const repo = makeRuntimeRepo(['slowloris']);
  const out = mkdtempSync(join(tmpdir(), 'ghl-downloads-'));
  let site: Awaited<ReturnType<typeof serveRuntime>>;
  let built: Awaited<ReturnType<typeof serveRuntime>>;
  beforeAll(async () => {
    site = await serveRuntime(repo.root);
    built = await serveBuiltRuntime(repo.root, out, 30_000);
  });
  afterAll(async () => {
    await site.close();
    await built.close();
    repo.remove();
    rmSync(out, { recursive: true, force: true });
  });

  it('fetches the manifest and every file, byte for byte, from astro dev and from a built site (compressed, in parts)', async () => {
    for (const s of [site, built]) {
      const manifest = await fetchManifest(fetch, s.base);
      expect(manifest.built).toBe(true);
      const progress: number[] = [];
      const files = await fetchAssets(fetch, s.base, manifest, (p) => progress.push(p.loaded), 2);
      expect(files.map((f) => f.path)).toEqual(manifest.files.map((f) => f.path));
      for (const f of files) expect(Buffer.from(f.contents).equals(readFileSync(join(repo.root, 'runtime', ...f.path.split('/')))), f.path).toBe(true);
      expect(progress[0]).toBe(0);
      expect(progress[progress.length - 1]).toBe(manifest.bytes);
      expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    }
    const m = await fetchManifest(fetch, built.base);
    expect(m.files.find((f) => f.path === 'dist/toolchain/pack.json')).toMatchObject({ gzip: true });
    expect(m.files.find((f) => f.path === 'dist/toolchain/compile.wasm')).toMatchObject({ parts: 3, stored: 70_000 });
    expect(m.bytes).toBeLessThan(m.size);
  });

  it('gunzip passes bytes a host has decoded already', async () => {
    expect(await gunzip(new Uint8Array([1, 2, 3]))).toEqual(new Uint8Array([1, 2, 3]));
    expect(new TextDecoder().decode(await gunzip(new Uint8Array(gzipSync('hello'))))).toBe('hello');
  });

  it('says when the site has no runtime, or a file is missing', async () => {
    await expect(fetchManifest(fetch, site.base.replace('/runtime/', '/elsewhere/'))).rejects.toThrow(AssetsMissingError);
    const manifest = await fetchManifest(fetch, site.base);
    const broken = { ...manifest, files: [...manifest.files, { path: 'dist/gone.wasm', size: 1, stored: 1 }] };
    await expect(fetchAssets(fetch, site.base, broken)).rejects.toThrow(/incomplete: GET .*dist\/gone\.wasm: 404/);
    await expect(fetchManifest(() => Promise.reject(new TypeError('offline')), site.base)).rejects.toThrow(/could not be downloaded: offline/);
    const lying = { ...manifest, files: manifest.files.map((f) => (f.path === 'dist/wasm_exec.js' ? { ...f, size: f.size + 1 } : f)) };
    await expect(fetchAssets(fetch, site.base, lying)).rejects.toThrow(/damaged: dist\/wasm_exec\.js has \d+ bytes, the manifest says/);
  });

  it("fetches a lab's starter and solution; the solution is laid over the starter", async () => {
    const lab = await fetchLab(fetch, site.base, 'slowloris');
    expect(lab.starter.map((f) => f.path)).toEqual(expect.arrayContaining(['main.go', 'admin.go', 'go.mod']));
    const merged = solutionOf(lab);
    expect(merged.find((f) => f.path === 'main.go')!.contents).toContain('ReadHeaderTimeout');
    expect(merged.find((f) => f.path === 'admin.go')).toEqual(lab.starter.find((f) => f.path === 'admin.go'));
    await expect(fetchLab(fetch, site.base, 'port-exhaustion')).rejects.toThrow(/not available in the browser/);
    expect(fileBytes({ path: 'b', contents: 'AAEC', binary: true })).toEqual(new Uint8Array([0, 1, 2]));
    expect(fileBytes({ path: 't', contents: 'text' })).toBe('text');
  });
});

describe('which runtime a workspace uses', () => {
  const browserLab = { runtimes: ['browser', 'docker'] as ('browser' | 'docker')[], kernel: false };
  const dockerLab = { runtimes: ['docker'] as ('browser' | 'docker')[], kernel: false };
  const kernelLab = { runtimes: ['docker'] as ('browser' | 'docker')[], kernel: true };

  it('an agent token: the agent, then the browser when the agent is not there', () => {
    expect(planRuntimes({ token: 't0k3n-0123456789', lab: browserLab, isolated: true })).toEqual({ order: ['agent', 'browser'] });
    expect(planRuntimes({ token: 't0k3n-0123456789', lab: dockerLab, isolated: true })).toEqual({ order: ['agent'], browserBlocked: 'not-browser-lab' });
  });

  it('no token: the browser for a browser lab in an isolated page', () => {
    expect(planRuntimes({ token: null, lab: browserLab, isolated: true })).toEqual({ order: ['browser'] });
    expect(planRuntimes({ token: null, lab: browserLab, isolated: false })).toEqual({ order: ['agent'], browserBlocked: 'not-isolated' });
    expect(planRuntimes({ token: null, lab: kernelLab, isolated: true })).toEqual({ order: ['agent'], browserBlocked: 'not-browser-lab' });
    // a lab marked browser but needing the kernel never goes to the browser
    expect(planRuntimes({ token: null, lab: { runtimes: ['browser'], kernel: true }, isolated: true }).order).toEqual(['agent']);
  });
});

function mapStorage(): Storage {
  const map = new Map<string, string>();
  return {
    get length() {
      return map.size;
    },
    clear: () => map.clear(),
    getItem: (k) => map.get(k) ?? null,
    key: (i) => [...map.keys()][i] ?? null,
    removeItem: (k) => void map.delete(k),
    setItem: (k, v) => void map.set(k, String(v)),
  };
}
