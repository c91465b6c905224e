// @ts-check
// The in-browser runtime's files on the site, under /runtime/ (read by site/runtime/browser/assets.ts):
//
//   /runtime/manifest.json       { version: 1, built, missing, files: [{ path, size, stored, gzip?, parts? }], bytes, size }
//   /runtime/<path>[.gz][.partN] a file of the repository's runtime/ folder that the browser needs,
//                                gzip-compressed by the build where that pays (the tab decompresses:
//                                compressed on any host) and cut into 20 MiB parts where bigger
//                                (static hosts cap file sizes, Cloudflare Pages at 25 MiB):
//                                dist/** (npm run runtime:build: compiler, linker, archives, wasm_exec.js,
//                                checker.mjs), launcher/*.mjs, toolchain/**/*.mjs, and the npm packages
//                                those .mjs files import (as node_modules/<package>/...)
//   /runtime/labs/<id>.json      a browser lab's starter and solution files
//
// The WebContainer mounts <path> at <workdir>/runtime/<path>: the repository's layout, so the
// relative paths inside those files hold. `astro build` copies them into the output (when
// runtime/dist exists) and `astro dev` serves them from the checkout.
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');

/** Files the runtime cannot work without: without them the manifest says built: false. */
export const requiredFiles = ['dist/checker.mjs', 'dist/wasm_exec.js', 'launcher/run-wasm.mjs', 'toolchain/go.mjs'];

/**
 * What stays on the build machine: the overlay's Go sources and its JSON (absolute paths; the
 * archives are built with it already), the checker's extracted labs, temp files and caches.
 * @param {string} rel path under runtime/, "/" separators
 */
export function excludedAsset(rel) {
  const parts = rel.split('/');
  if (parts.some((p) => p === 'cache' || p === '.cache' || p === 'node_modules' || p === 'test' || p.startsWith('.'))) return true;
  if (parts[0] === 'dist' && (parts[1] === 'overlay' || parts[1] === 'overlay.json' || parts[1] === 'overlay.sha256')) return true;
  if (parts[0] === 'dist' && parts[1]?.startsWith('checker-labs-')) return true;
  return /\.tmp(-|$)|\.log$|\.ts$/.test(parts[parts.length - 1] ?? '');
}

/**
 * @param {string} dir
 * @param {string[]} [out]
 * @returns {string[]}
 */
function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, e.name);
    if (e.isDirectory()) walk(full, out);
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/**
 * The npm packages that ES modules import statically ("@wasm-fmt/gofmt" for "@wasm-fmt/gofmt/node";
 * not "./x.mjs" or "node:fs"): esbuild reads the modules and lists what it would leave external (a
 * real parser: comments and strings that look like imports do not count). A package reached only
 * through import("...") is an optional fallback (the toolchain's gofmt falls back to the npm
 * package when runtime/dist/gofmt is missing) and is not shipped.
 * @param {string[]} entries absolute paths of .mjs/.js files
 * @returns {string[]}
 */
export function npmImports(entries) {
  if (!entries.length) return [];
  const result = buildSync({
    entryPoints: entries,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir: join(tmpdir(), 'ghl-runtime-imports-unused'),
    logLevel: 'silent',
  });
  const names = new Set();
  for (const input of Object.values(result.metafile?.inputs ?? {})) {
    for (const imp of input.imports) {
      if (!imp.external || imp.kind === 'dynamic-import' || imp.path.startsWith('node:') || builtinModules.includes(imp.path) || /^[./]/.test(imp.path)) continue;
      const parts = imp.path.split('/');
      names.add(imp.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
    }
  }
  return [...names].sort();
}

/**
 * A package's files that run (no docs, types or tests), and its dependencies' names.
 * @param {string} root
 * @param {string} name
 */
function packageFiles(root, name) {
  const dir = join(root, 'node_modules', ...name.split('/'));
  if (!existsSync(join(dir, 'package.json'))) throw new Error(`the runtime imports ${name}, which is not installed (npm install)`);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const files = walk(dir).filter((f) => {
    const rel = relative(dir, f).split(sep).join('/');
    if (rel.split('/').some((p) => p === 'node_modules' || p === 'test' || p === 'tests' || p.startsWith('.'))) return false;
    if (rel === 'package.json') return true;
    return !/\.(md|markdown|d\.ts|d\.mts|map|ts)$/i.test(rel) && !/^(LICENSE|CHANGELOG|README)/i.test(rel.split('/').pop() ?? '');
  });
  return { dir, files, dependencies: Object.keys(pkg.dependencies ?? {}) };
}

/**
 * Every file the browser gets, as { from (absolute), path (under /runtime/) }, sorted by path.
 * @param {string} [root]
 * @returns {{ from: string; path: string }[]}
 */
export function runtimeAssetFiles(root = repoRoot) {
  const base = join(root, 'runtime');
  /** @type {{ from: string; path: string }[]} */
  const out = [];
  const add = (/** @type {string} */ from, /** @type {string} */ path) => {
    if (!excludedAsset(path)) out.push({ from, path });
  };
  for (const f of walk(join(base, 'dist'))) add(f, relative(base, f).split(sep).join('/'));
  for (const folder of ['launcher', 'toolchain']) {
    for (const f of walk(join(base, folder))) if (/\.(mjs|js|json)$/.test(f)) add(f, relative(base, f).split(sep).join('/'));
  }
  // npm packages the runtime's own modules import, and theirs
  const seen = new Set();
  const queue = npmImports(out.filter((f) => /\.m?js$/.test(f.path) && !f.path.startsWith('dist/')).map((f) => f.from));
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const pkg = packageFiles(root, name);
    for (const f of pkg.files) out.push({ from: f, path: `node_modules/${name}/${relative(pkg.dir, f).split(sep).join('/')}` });
    queue.push(...pkg.dependencies);
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Files (after compression) over this size are cut into parts of this size: static hosts cap file sizes. */
export const maxPartBytes = 20 * 1024 * 1024;

/**
 * How a file travels, as the manifest says: stored as is, or gzip-compressed by the build
 * (gzip: true, stored as <path>.gz, which the tab decompresses: the download is compressed on any
 * host, whatever the host does with types it does not know), and either one cut into <name>.part0,
 * .part1, ... when it is bigger than partBytes.
 * @typedef {{ path: string; size: number; stored: number; gzip?: true; parts?: number }} ManifestEntry
 * @typedef {{ version: 1; built: boolean; missing: string[]; files: ManifestEntry[]; bytes: number; size: number }} Manifest
 */

/**
 * The URLs (under /runtime/) that hold an entry's bytes, in order.
 * @param {ManifestEntry} entry
 */
export function partNames(entry) {
  const name = entry.gzip ? `${entry.path}.gz` : entry.path;
  return entry.parts ? Array.from({ length: entry.parts }, (_, i) => `${name}.part${i}`) : [name];
}

/**
 * The manifest of `files` served as they are (astro dev: no compression, no parts).
 * @param {{ from: string; path: string }[]} files
 * @returns {Manifest}
 */
export function manifestOf(files) {
  const have = new Set(files.map((f) => f.path));
  const missing = requiredFiles.filter((p) => !have.has(p));
  const built = missing.length === 0;
  const list = built ? files.map((f) => ({ path: f.path, size: statSync(f.from).size, stored: statSync(f.from).size })) : [];
  return { version: 1, built, missing, files: list, bytes: list.reduce((n, f) => n + f.stored, 0), size: list.reduce((n, f) => n + f.size, 0) };
}

/**
 * One file as the build stores it: gzip when that saves a tenth or more, cut into parts.
 * @param {string} path
 * @param {Buffer} buf
 * @param {number} partBytes
 * @returns {{ entry: ManifestEntry; pieces: Buffer[] }}
 */
export function packAsset(path, buf, partBytes) {
  const gz = gzipSync(buf, { level: 6 });
  const gzip = gz.length <= buf.length * 0.9;
  const body = gzip ? gz : buf;
  const count = Math.max(1, Math.ceil(body.length / partBytes));
  const pieces = Array.from({ length: count }, (_, i) => body.subarray(i * partBytes, (i + 1) * partBytes));
  /** @type {ManifestEntry} */
  const entry = { path, size: buf.length, stored: body.length, ...(gzip ? { gzip: /** @type {const} */ (true) } : {}), ...(count > 1 ? { parts: count } : {}) };
  return { entry, pieces };
}

// ---- labs -------------------------------------------------------------------------------

/** @param {string} rel */
function isLessonFile(rel) {
  if (rel === 'lab.json') return true;
  return rel.toLowerCase().endsWith('.md') && !rel.split('/').includes('testdata');
}

/** @param {Buffer} buf */
function isText(buf) {
  if (buf.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

/**
 * A folder's files as wire files (text, or base64 for binaries).
 * @param {string} dir
 * @param {(rel: string) => boolean} skip
 * @returns {{ path: string; contents: string; binary?: boolean }[]}
 */
function wireFiles(dir, skip) {
  if (!existsSync(dir)) return [];
  return walk(dir)
    .map((f) => ({ f, rel: relative(dir, f).split(sep).join('/') }))
    .filter(({ rel }) => !skip(rel) && !rel.split('/').some((p) => p === '.git' || p === 'node_modules'))
    .map(({ f, rel }) => {
      const buf = readFileSync(f);
      return isText(buf) ? { path: rel, contents: buf.toString('utf8') } : { path: rel, contents: buf.toString('base64'), binary: true };
    });
}

export function labsDirs(root = repoRoot) {
  return {
    labs: process.env.LABS_DIR ? resolve(process.env.LABS_DIR) : join(root, 'labs'),
    solutions: process.env.SOLUTIONS_DIR ? resolve(process.env.SOLUTIONS_DIR) : join(root, 'solutions'),
  };
}

/**
 * The labs the browser runtime runs: "browser" in runtimes, no kernel tooling.
 * @param {string} labsDir
 * @returns {string[]}
 */
export function browserLabIds(labsDir) {
  if (!existsSync(labsDir)) return [];
  return readdirSync(labsDir)
    .filter((id) => existsSync(join(labsDir, id, 'lab.json')))
    .filter((id) => {
      const m = JSON.parse(readFileSync(join(labsDir, id, 'lab.json'), 'utf8'));
      return Array.isArray(m.runtimes) && m.runtimes.includes('browser') && !m.kernel;
    })
    .sort();
}

/**
 * A lab's starter (the lab folder without its lessons and manifest) and solution overlay.
 * @param {{ labs: string; solutions: string }} dirs
 * @param {string} id
 */
export function labBundle(dirs, id) {
  return {
    id,
    starter: wireFiles(join(dirs.labs, id), isLessonFile),
    solution: wireFiles(join(dirs.solutions, id), (rel) => rel.toLowerCase().endsWith('.md')),
  };
}

// ---- build and dev server -----------------------------------------------------------------

/**
 * Writes /runtime/ into a built site: the runtime's files (when built; compressed, in parts where
 * big), the manifest, the browser labs.
 * @param {{ outDir: string; root?: string; dirs?: { labs: string; solutions: string }; partBytes?: number }} options
 */
export function writeRuntimeAssets({ outDir, root = repoRoot, dirs = labsDirs(root), partBytes = maxPartBytes }) {
  const target = join(outDir, 'runtime');
  const files = runtimeAssetFiles(root);
  const plain = manifestOf(files);
  /** @type {Manifest} */
  let manifest = plain;
  mkdirSync(target, { recursive: true });
  if (plain.built) {
    /** @type {ManifestEntry[]} */
    const entries = [];
    for (const f of files) {
      const { entry, pieces } = packAsset(f.path, readFileSync(f.from), partBytes);
      const names = partNames(entry);
      for (const [i, name] of names.entries()) {
        const to = join(target, ...name.split('/'));
        mkdirSync(dirname(to), { recursive: true });
        writeFileSync(to, /** @type {Buffer} */ (pieces[i]));
      }
      entries.push(entry);
    }
    manifest = { ...plain, files: entries, bytes: entries.reduce((n, f) => n + f.stored, 0) };
  }
  writeFileSync(join(target, 'manifest.json'), JSON.stringify(manifest) + '\n');
  const labs = browserLabIds(dirs.labs);
  mkdirSync(join(target, 'labs'), { recursive: true });
  for (const id of labs) writeFileSync(join(target, 'labs', `${id}.json`), JSON.stringify(labBundle(dirs, id)));
  return { manifest, labs };
}

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Serves /runtime/ from the checkout (astro dev): the same files as the built site, uncompressed
 * and whole (the manifest says so).
 * @param {string} [root]
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next: () => void) => void}
 */
export function runtimeMiddleware(root = repoRoot) {
  // the file list costs an esbuild pass: one per second at most (a workspace asks for ~270 files at once)
  /** @type {{ at: number; files: { from: string; path: string }[] } | undefined} */
  let cache;
  const assetFiles = () => {
    if (!cache || Date.now() - cache.at > 1000) cache = { at: Date.now(), files: runtimeAssetFiles(root) };
    return cache.files;
  };
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/runtime/') || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    const rel = decodeURIComponent(url.pathname.slice('/runtime/'.length));
    const json = (/** @type {unknown} */ body) => {
      res.writeHead(200, { ...isolation, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
    };
    try {
      if (rel === 'manifest.json') return json(manifestOf(assetFiles()));
      const lab = /^labs\/([a-z0-9][a-z0-9-]*)\.json$/.exec(rel)?.[1];
      const dirs = labsDirs(root);
      if (lab && browserLabIds(dirs.labs).includes(lab)) return json(labBundle(dirs, lab));
      const file = assetFiles().find((f) => f.path === rel);
      if (!file) return next();
      const type = rel.endsWith('.wasm') ? 'application/wasm' : /\.m?js$/.test(rel) ? 'text/javascript; charset=utf-8' : rel.endsWith('.json') ? 'application/json; charset=utf-8' : 'application/octet-stream';
      res.writeHead(200, { ...isolation, 'Content-Type': type, 'Content-Length': statSync(file.from).size, 'Cache-Control': 'no-cache' });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file.from).pipe(res);
    } catch (err) {
      res.writeHead(500, { ...isolation, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(String(/** @type {Error} */ (err)?.message ?? err));
    }
  };
}

/** The Astro integration: /runtime/ in `astro dev`, copied into the output by `astro build`. */
export default function runtimeAssets() {
  return {
    name: 'goha-runtime-assets',
    hooks: {
      'astro:server:setup': (/** @type {{ server: { middlewares: { use(fn: ReturnType<typeof runtimeMiddleware>): void } } }} */ { server }) => {
        server.middlewares.use(runtimeMiddleware());
      },
      'astro:build:done': (/** @type {{ dir: URL; logger: { info(m: string): void; warn(m: string): void } }} */ { dir, logger }) => {
        const { manifest, labs } = writeRuntimeAssets({ outDir: fileURLToPath(dir) });
        if (manifest.built) logger.info(`runtime: ${manifest.files.length} files (${(manifest.bytes / 1024 / 1024).toFixed(1)} MB) and ${labs.length} browser labs in /runtime/`);
        else logger.warn(`runtime: not built (missing ${manifest.missing.join(', ')}): the in-browser runtime is off on this site; run npm run runtime:build first`);
      },
    },
  };
}
