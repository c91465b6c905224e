// /runtime/ on the site (site/lib/runtime-assets.mjs): which files the browser gets, the manifest,
// the browser labs' starters, the copy into a built site, and the dev-server middleware.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { browserLabIds, excludedAsset, labBundle, manifestOf, npmImports, packAsset, partNames, runtimeAssetFiles, writeRuntimeAssets } from '../lib/runtime-assets.mjs';
import { makeRuntimeRepo, realRoot, serveRuntime } from './runtime-site.js';

const repo = makeRuntimeRepo(['slowloris', 'port-exhaustion']);
const work = mkdtempSync(join(tmpdir(), 'ghl-runtime-assets-'));
afterAll(() => {
  repo.remove();
  rmSync(work, { recursive: true, force: true });
});

describe('the runtime files the browser gets', () => {
  it('takes dist/, the launcher and the toolchain modules, and leaves build-machine files behind', () => {
    const paths = runtimeAssetFiles(repo.root).map((f) => f.path);
    expect(paths).toEqual([
      'dist/checker.mjs',
      'dist/toolchain/compile.wasm',
      'dist/toolchain/pack.json',
      'dist/wasm_exec.js',
      'launcher/node-net.mjs',
      'launcher/run-wasm.mjs',
      'toolchain/go.mjs',
      'toolchain/lib/gomod.mjs',
    ]);
    for (const p of ['dist/overlay.json', 'dist/overlay/net/net_fake.go', 'dist/overlay.sha256', 'dist/checker-labs-0123/labs/x/lab.json', 'toolchain/build.ts', 'dist/x.tmp-12', 'dist/.cache/a', 'toolchain/test/a.mjs']) {
      expect(excludedAsset(p), p).toBe(true);
    }
  });

  it('follows the bare imports of the runtime modules into node_modules', () => {
    const probe = join(work, 'probe.mjs');
    writeFileSync(join(work, 'x.mjs'), 'export default 1;\n');
    writeFileSync(
      probe,
      [
        "import { format } from '@wasm-fmt/gofmt/node';",
        "import fs from 'node:fs';",
        "import path from 'path';",
        "import x from './x.mjs';",
        "// import 'not-this' (a comment)",
        'const msg = `imports ${fs} from "C"`;',
        "export const later = () => import('undici/lib/x.js');",
        'export { format, path, x, msg };',
      ].join('\n'),
    );
    expect(npmImports([probe])).toEqual(['@wasm-fmt/gofmt']); // undici: only through import(), an optional fallback
    writeFileSync(join(repo.root, 'runtime', 'toolchain', 'fmt.mjs'), "import { format } from '@wasm-fmt/gofmt/node';\nexport { format };\n");
    mkdirSync(join(repo.root, 'node_modules', '@wasm-fmt'), { recursive: true });
    // the real package, read from this checkout
    const pkg = join(realRoot, 'node_modules', '@wasm-fmt', 'gofmt');
    for (const f of ['package.json', 'gofmt_node.js', 'gofmt.wasm', 'README.md', 'gofmt.d.ts']) {
      mkdirSync(join(repo.root, 'node_modules', '@wasm-fmt', 'gofmt'), { recursive: true });
      writeFileSync(join(repo.root, 'node_modules', '@wasm-fmt', 'gofmt', f), readFileSync(join(pkg, f)));
    }
    try {
      const paths = runtimeAssetFiles(repo.root).map((f) => f.path).filter((p) => p.startsWith('node_modules/'));
      expect(paths.sort()).toEqual(['node_modules/@wasm-fmt/gofmt/gofmt.wasm', 'node_modules/@wasm-fmt/gofmt/gofmt_node.js', 'node_modules/@wasm-fmt/gofmt/package.json']);
    } finally {
      rmSync(join(repo.root, 'runtime', 'toolchain', 'fmt.mjs'));
      rmSync(join(repo.root, 'node_modules'), { recursive: true, force: true });
    }
  });

  it('the manifest lists sizes when the runtime is built, and says what is missing when not', () => {
    const files = runtimeAssetFiles(repo.root);
    const m = manifestOf(files);
    expect(m).toMatchObject({ version: 1, built: true, missing: [] });
    expect(m.files.find((f) => f.path === 'dist/toolchain/compile.wasm')).toEqual({ path: 'dist/toolchain/compile.wasm', size: 70_000, stored: 70_000 });
    expect(m.bytes).toBe(m.files.reduce((n, f) => n + f.size, 0));
    const partial = manifestOf(files.filter((f) => f.path !== 'toolchain/go.mjs'));
    expect(partial).toMatchObject({ version: 1, built: false, missing: ['toolchain/go.mjs'], files: [], bytes: 0 });
  });
});

describe('the browser labs', () => {
  it('are the labs with "browser" in runtimes and no kernel tooling', () => {
    expect(browserLabIds(join(repo.root, 'labs'))).toEqual(['slowloris']);
    const all = browserLabIds(join(realRoot, 'labs'));
    expect(all).toContain('goroutine-leak');
    expect(all).not.toContain('port-exhaustion');
  });

  it('carry the starter without lessons or manifest, and the solution overlay', () => {
    const b = labBundle({ labs: join(repo.root, 'labs'), solutions: join(repo.root, 'solutions') }, 'slowloris');
    expect(b.starter.map((f) => f.path).sort()).toEqual(['admin.go', 'go.mod', 'main.go']);
    expect(b.solution.map((f) => f.path)).toContain('main.go');
    expect(b.starter.every((f) => !f.binary)).toBe(true);
  });
});

describe('astro build and astro dev', () => {
  it('the build gets /runtime/ with the files (compressed where that pays, big ones in parts), the manifest and the labs', () => {
    const out = join(work, 'site');
    const { manifest, labs } = writeRuntimeAssets({ outDir: out, root: repo.root, partBytes: 30_000 });
    expect(labs).toEqual(['slowloris']);
    expect(JSON.parse(readFileSync(join(out, 'runtime', 'manifest.json'), 'utf8'))).toEqual(manifest);
    for (const f of manifest.files) {
      const stored = Buffer.concat(partNames(f).map((n) => readFileSync(join(out, 'runtime', ...n.split('/')))));
      expect(stored.length, f.path).toBe(f.stored);
      const bytes = f.gzip ? gunzipSync(stored) : stored;
      expect(bytes.equals(readFileSync(join(repo.root, 'runtime', ...f.path.split('/')))), f.path).toBe(true);
    }
    expect(manifest.files.find((f) => f.path === 'dist/toolchain/pack.json')).toMatchObject({ gzip: true });
    expect(manifest.files.find((f) => f.path === 'dist/toolchain/compile.wasm')).toEqual({ path: 'dist/toolchain/compile.wasm', size: 70_000, stored: 70_000, parts: 3 });
    expect(existsSync(join(out, 'runtime', 'dist', 'toolchain', 'compile.wasm'))).toBe(false);
    expect(manifest.bytes).toBe(manifest.files.reduce((n, f) => n + f.stored, 0));
    expect(packAsset('x', Buffer.alloc(100_000), 20_000)).toMatchObject({ entry: { path: 'x', size: 100_000, gzip: true } });
    expect(JSON.parse(readFileSync(join(out, 'runtime', 'labs', 'slowloris.json'), 'utf8')).id).toBe('slowloris');
    expect(existsSync(join(out, 'runtime', 'dist', 'overlay.json'))).toBe(false);
  });

  it('without a built runtime, the build says so in the manifest and copies nothing', () => {
    const bare = makeRuntimeRepo(['slowloris']);
    try {
      rmSync(join(bare.root, 'runtime', 'dist'), { recursive: true });
      const out = join(work, 'bare');
      const { manifest } = writeRuntimeAssets({ outDir: out, root: bare.root });
      expect(manifest).toMatchObject({ built: false, missing: ['dist/checker.mjs', 'dist/wasm_exec.js'] });
      expect(existsSync(join(out, 'runtime', 'launcher'))).toBe(false);
      expect(existsSync(join(out, 'runtime', 'labs', 'slowloris.json'))).toBe(true);
    } finally {
      bare.remove();
    }
  });

  it('the dev server answers /runtime/ with the isolation headers and passes other paths on', async () => {
    const site = await serveRuntime(repo.root);
    try {
      const m = await fetch(`${site.base}manifest.json`);
      expect(m.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(m.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(((await m.json()) as { built: boolean }).built).toBe(true);
      const wasm = await fetch(`${site.base}dist/toolchain/compile.wasm`);
      expect(wasm.headers.get('content-type')).toBe('application/wasm');
      expect(wasm.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect((await wasm.arrayBuffer()).byteLength).toBe(70_000);
      expect((await fetch(`${site.base}dist/toolchain/compile.wasm.part0`)).status).toBe(404); // astro dev: whole files
      expect((await fetch(`${site.base}dist/overlay.json`)).status).toBe(404);
      expect((await fetch(`${site.base}labs/port-exhaustion.json`)).status).toBe(404);
      expect((await fetch(`${site.base}../package.json`)).status).toBe(404);
    } finally {
      await site.close();
    }
  });
});
