// How much JavaScript a lesson page makes the browser load before the learner opens the workspace.
//
//   npx tsx site/bench/page-weight.ts [--build] [--dist DIR] [--page labs/slowloris/] [--budget 100]
//
// Follows what the browser follows at load: <script src>, inline <script> (not JSON), <link
// rel=modulepreload>, and the static imports of those modules, recursively. Dynamic import()s are
// the workspace: listed separately, not counted. Sizes are gzip -9 of each file, as served.
// Exits 1 when the page is over the budget (KB of gzip), so CI can hold the line.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface Asset {
  /** site path ("/_astro/x.js") or "inline #n" */
  name: string;
  bytes: number;
  gzip: number;
}

export interface PageWeight {
  page: string;
  /** JavaScript loaded before the workspace opens */
  initial: Asset[];
  /** JavaScript behind dynamic import() (the workspace, loaded on demand) */
  deferred: Asset[];
  initialGzip: number;
  deferredGzip: number;
}

const gz = (buf: Buffer | string) => gzipSync(buf, { level: 9 }).length;

/** The static and dynamic imports of a built ES module (minified output: no comments to worry about). */
export function importsOf(code: string): { static: string[]; dynamic: string[] } {
  const stat = new Set<string>();
  const dyn = new Set<string>();
  // import x from "./a.js"; import {a} from"./b.js"; import "./c.js"; export {x} from "./d.js"
  for (const m of code.matchAll(/(?:^|[;\s}])(?:import|export)\s*(?:[\w*${}\s,]+?\s*from\s*)?["']([^"']+\.m?js)["']/g)) stat.add(m[1]!);
  // import("./e.js"), and Vite's preload map: __vite__mapDeps ... "_astro/f.js"
  for (const m of code.matchAll(/import\(\s*["']([^"']+\.m?js)["']\s*\)/g)) dyn.add(m[1]!);
  const deps = /__vite__mapDeps[\s\S]*?m\.f\|\|\(m\.f=\[([^\]]*)\]/.exec(code);
  if (deps) for (const m of deps[1]!.matchAll(/["']([^"']+\.m?js)["']/g)) dyn.add(`/${m[1]!.replace(/^\//, '')}`);
  for (const s of stat) dyn.delete(s);
  return { static: [...stat], dynamic: [...dyn] };
}

function resolveSitePath(from: string, spec: string): string {
  if (spec.startsWith('/')) return spec;
  return posix.normalize(posix.join(posix.dirname(from), spec));
}

export function measurePage(dist: string, page: string): PageWeight {
  const htmlFile = join(dist, page.replace(/^\//, ''), page.endsWith('.html') ? '' : 'index.html');
  if (!existsSync(htmlFile)) throw new Error(`${htmlFile} does not exist: build the site first (npx astro build), or pass --build`);
  const html = readFileSync(htmlFile, 'utf8');
  const pagePath = `/${page.replace(/^\//, '').replace(/index\.html$/, '')}`;
  const initial: Asset[] = [];
  const seen = new Set<string>();
  const queue: string[] = [];
  const dynamicRoots = new Set<string>();

  let inline = 0;
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    const attrs = m[1]!;
    const type = /\btype\s*=\s*["']?([^"'\s>]+)/i.exec(attrs)?.[1]?.toLowerCase();
    if (type && type !== 'module' && type !== 'text/javascript' && type !== 'application/javascript') continue; // JSON data, templates
    const src = /\bsrc\s*=\s*["']([^"']+)["']/i.exec(attrs)?.[1];
    if (src) queue.push(resolveSitePath(pagePath, src));
    else if (m[2]!.trim()) {
      const code = m[2]!;
      initial.push({ name: `inline #${++inline}`, bytes: Buffer.byteLength(code), gzip: gz(code) });
      const imp = importsOf(code);
      queue.push(...imp.static.map((s) => resolveSitePath(pagePath, s)));
      for (const d of imp.dynamic) dynamicRoots.add(resolveSitePath(pagePath, d));
    }
  }
  for (const m of html.matchAll(/<link\b[^>]*>/gi)) {
    if (!/\brel\s*=\s*["']?modulepreload/i.test(m[0])) continue;
    const href = /\bhref\s*=\s*["']([^"']+)["']/i.exec(m[0])?.[1];
    if (href) queue.push(resolveSitePath(pagePath, href));
  }

  const read = (sitePath: string) => readFileSync(join(dist, sitePath.split('?')[0]!.replace(/^\//, '')));
  while (queue.length) {
    const p = queue.shift()!;
    if (seen.has(p) || /^https?:/.test(p)) continue;
    seen.add(p);
    const buf = read(p);
    initial.push({ name: p, bytes: buf.length, gzip: gz(buf) });
    const imp = importsOf(buf.toString('utf8'));
    queue.push(...imp.static.map((s) => resolveSitePath(p, s)));
    for (const d of imp.dynamic) dynamicRoots.add(d.startsWith('/') ? d : resolveSitePath(p, d));
  }

  // Everything reachable only through import(): the workspace.
  const deferred: Asset[] = [];
  const dq = [...dynamicRoots];
  const dseen = new Set<string>();
  while (dq.length) {
    const p = dq.shift()!;
    if (seen.has(p) || dseen.has(p) || !existsSync(join(dist, p.replace(/^\//, '')))) continue;
    dseen.add(p);
    const buf = read(p);
    deferred.push({ name: p, bytes: buf.length, gzip: gz(buf) });
    const imp = importsOf(buf.toString('utf8'));
    for (const s of [...imp.static, ...imp.dynamic]) dq.push(s.startsWith('/') ? s : resolveSitePath(p, s));
  }
  // Workers are loaded by URL (new Worker(new URL(...))): count them with the workspace.
  for (const w of deferred.slice()) {
    const code = read(w.name).toString('utf8');
    for (const m of code.matchAll(/["'`]((?:\/_astro\/|\.\/)[\w.-]+\.worker[\w.-]*\.js)["'`]/g)) {
      const p = resolveSitePath(w.name, m[1]!);
      if (dseen.has(p) || !existsSync(join(dist, p.replace(/^\//, '')))) continue;
      dseen.add(p);
      const buf = read(p);
      deferred.push({ name: p, bytes: buf.length, gzip: gz(buf) });
    }
  }

  const sum = (a: Asset[]) => a.reduce((n, x) => n + x.gzip, 0);
  return { page: pagePath, initial, deferred, initialGzip: sum(initial), deferredGzip: sum(deferred) };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

function report(w: PageWeight, budgetKb: number): string {
  const lines = [`JavaScript on ${w.page} before the workspace opens (gzip -9):`];
  for (const a of w.initial) lines.push(`  ${kb(a.gzip).padStart(10)}  ${kb(a.bytes).padStart(10)} raw  ${a.name}`);
  lines.push(`  ${kb(w.initialGzip).padStart(10)}  total (budget ${budgetKb} KB)`);
  lines.push('', 'Loaded on "Open workspace" (not counted above):');
  for (const a of w.deferred.sort((x, y) => y.gzip - x.gzip)) lines.push(`  ${kb(a.gzip).padStart(10)}  ${kb(a.bytes).padStart(10)} raw  ${a.name}`);
  lines.push(`  ${kb(w.deferredGzip).padStart(10)}  total`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dist = resolve(arg('--dist') ?? join(root, 'dist'));
  const page = arg('--page') ?? 'labs/slowloris/';
  const budget = Number(arg('--budget') ?? 100);
  if (argv.includes('--build') || !existsSync(join(dist, 'index.html'))) {
    process.stdout.write('building the site (npx astro build)...\n');
    const r = spawnSync('npx', ['astro', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) {
      process.stderr.write(`page-weight: astro build failed (exit ${r.status})\n`);
      return 2;
    }
  }
  let w: PageWeight;
  try {
    w = measurePage(dist, page);
  } catch (err) {
    process.stderr.write(`page-weight: ${(err as Error).message}\n`);
    return 2;
  }
  process.stdout.write(`${report(w, budget)}\n`);
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(w)}\n`);
  if (w.initialGzip > budget * 1024) {
    process.stderr.write(`page-weight: ${kb(w.initialGzip)} is over the ${budget} KB budget\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
