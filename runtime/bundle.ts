// The checker bundle: checkers/cli.ts, every lab's checker, the engine and its npm dependencies,
// and every lab's manifest, starter and solution, in one ES module that plain Node runs with no
// node_modules and no checkout (a WebContainer gets it as runtime/dist/checker.mjs).
//
//   npx tsx runtime/bundle.ts [--out runtime/dist/checker.mjs]
//
// Two things differ from running the sources through tsx, both done here at bundle time:
//   - loadChecker (checkers/core/runner.ts) imports checkers/<id>.ts by path at run time; in the
//     bundle it looks the checker up in a static table of every lab's checker (`ghl:checkers`);
//   - the labs are embedded (`ghl:labs`) and written to disk on first use (checker/embedded-labs.ts).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..');

export interface BundleOptions {
  /** the repository (labs/, solutions/, checkers/); this checkout by default */
  root?: string;
  /** runtime/dist/checker.mjs by default */
  outFile?: string;
  minify?: boolean;
}

export interface BundleResult {
  outFile: string;
  bytes: number;
  labs: string[];
  /** embedded lab files and their total size */
  embeddedFiles: number;
  embeddedBytes: number;
}

/** Lesson files stay out of the bundle (the workspace's rule: docker/agent/workspace.ts); lab.json stays in. */
export function isLessonFile(rel: string): boolean {
  return rel.toLowerCase().endsWith('.md') && !rel.split('/').includes('testdata');
}

function isText(buf: Buffer): boolean {
  if (buf.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, e.name);
    if (e.isDirectory()) walk(full, out);
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/** The lab ids of `root`/labs that have a lab.json and a checker. */
export function bundledLabs(root: string): string[] {
  const labs = join(root, 'labs');
  return readdirSync(labs)
    .filter((id) => existsSync(join(labs, id, 'lab.json')) && existsSync(join(root, 'checkers', `${id}.ts`)))
    .sort();
}

/** Every file the bundle carries for `labs`: "labs/<id>/..." and "solutions/<id>/...". */
export function embeddedFiles(root: string, labs: string[]): { path: string; contents: string; binary?: boolean }[] {
  const out: { path: string; contents: string; binary?: boolean }[] = [];
  for (const id of labs) {
    for (const top of ['labs', 'solutions']) {
      const dir = join(root, top, id);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
      for (const file of walk(dir)) {
        const rel = relative(dir, file).split(sep).join('/');
        if (isLessonFile(rel)) continue;
        const buf = readFileSync(file);
        const path = `${top}/${id}/${rel}`;
        out.push(isText(buf) ? { path, contents: buf.toString('utf8') } : { path, contents: buf.toString('base64'), binary: true });
      }
    }
  }
  return out;
}

const loadCheckerPattern = /export async function loadChecker\(labId: string\)[^{]*\{[\s\S]*?\n\}/;

/** runner.ts with loadChecker answered from the static table. Throws when the function is not found. */
export function patchRunner(source: string): string {
  if (!loadCheckerPattern.test(source)) {
    throw new Error('runtime/bundle.ts: checkers/core/runner.ts no longer has `export async function loadChecker(labId: string)`; update patchRunner');
  }
  return (
    source.replace(loadCheckerPattern, 'export async function loadChecker(labId: string): Promise<CheckerSpec> {\n  return __ghlLoadChecker(labId);\n}') +
    "\nimport { loadChecker as __ghlLoadChecker } from 'ghl:checkers';\n"
  );
}

function virtualModules(root: string, labs: string[], files: ReturnType<typeof embeddedFiles>): Plugin {
  const hash = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
  return {
    name: 'ghl-virtual',
    setup(b) {
      b.onResolve({ filter: /^ghl:(labs|checkers)$/ }, (args) => ({ path: args.path, namespace: 'ghl' }));
      b.onLoad({ filter: /^ghl:labs$/, namespace: 'ghl' }, () => ({
        contents: `export const hash = ${JSON.stringify(hash)};\nexport const files = ${JSON.stringify(files)};\n`,
        loader: 'js',
      }));
      b.onLoad({ filter: /^ghl:checkers$/, namespace: 'ghl' }, () => {
        const names = labs.map((id, i) => ({ id, name: `checker${i}`, file: join(root, 'checkers', `${id}.ts`) }));
        const contents = [
          ...names.map((n) => `import ${n.name} from ${JSON.stringify(n.file)};`),
          `const table = { ${names.map((n) => `${JSON.stringify(n.id)}: ${n.name}`).join(', ')} };`,
          'export async function loadChecker(labId) {',
          '  const spec = Object.hasOwn(table, labId) ? table[labId] : undefined;',
          '  if (!spec) throw new Error(`lab "${labId}" has no checker in this bundle`);',
          '  return spec;',
          '}',
        ].join('\n');
        return { contents, loader: 'js', resolveDir: root };
      });
      b.onLoad({ filter: /[\\/]checkers[\\/]core[\\/]runner\.ts$/ }, async (args) => ({
        contents: patchRunner(await readFile(args.path, 'utf8')),
        loader: 'ts',
        resolveDir: dirname(args.path),
      }));
    },
  };
}

export async function bundleChecker(options: BundleOptions = {}): Promise<BundleResult> {
  const root = resolve(options.root ?? repoRoot);
  const outFile = resolve(options.outFile ?? join(root, 'runtime', 'dist', 'checker.mjs'));
  const labs = bundledLabs(root);
  const files = embeddedFiles(root, labs);
  await build({
    entryPoints: [join(here, 'checker', 'main.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: options.minify ?? true,
    legalComments: 'none',
    logLevel: 'warning',
    // CommonJS dependencies (commander) require Node built-ins: give the ES module a require.
    banner: { js: "import { createRequire as __ghlCreateRequire } from 'node:module'; const require = __ghlCreateRequire(import.meta.url);" },
    plugins: [virtualModules(root, labs, files)],
  });
  return {
    outFile,
    bytes: statSync(outFile).size,
    labs,
    embeddedFiles: files.length,
    embeddedBytes: files.reduce((n, f) => n + f.contents.length, 0),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const r = await bundleChecker({ outFile: i > 0 ? process.argv[i + 1] : undefined });
  process.stdout.write(
    `checker bundle: ${relative(process.cwd(), r.outFile)} ${(r.bytes / 1024).toFixed(0)} KB, ${r.labs.length} labs, ${r.embeddedFiles} lab files (${(r.embeddedBytes / 1024).toFixed(0)} KB)\n`,
  );
}
