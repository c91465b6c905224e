// @ts-check
// gofmt and `go fmt` for the browser runtime, on @wasm-fmt/gofmt (gofmt's printer compiled to
// wasm). The build copies it into runtime/dist/gofmt so that a WebContainer needs no node_modules.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runtimePaths } from './paths.mjs';

/** @type {Promise<(source: string) => string> | undefined} */
let formatter;

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<(source: string) => string>}
 */
export function loadFormatter(env = process.env) {
  formatter ??= (async () => {
    const copied = runtimePaths(env).gofmt;
    const mod = existsSync(copied) ? await import(pathToFileURL(copied).href) : await import('@wasm-fmt/gofmt');
    return /** @type {(source: string) => string} */ (mod.format);
  })();
  return formatter;
}

/**
 * @typedef {{ out: (s: string) => void; err: (s: string) => void }} Streams
 */

/**
 * Formats one source: the formatted text, or gofmt's message ("4:1: expected operand, found '}'")
 * prefixed with the name go shows.
 * @param {(source: string) => string} format
 * @param {string} source
 * @param {string} shown
 * @returns {{ ok: true; text: string } | { ok: false; message: string }}
 */
export function formatSource(format, source, shown) {
  try {
    return { ok: true, text: format(source) };
  } catch (err) {
    const msg = String(/** @type {Error} */ (err)?.message ?? err).trim();
    return { ok: false, message: msg.split('\n').map((l) => `${shown}:${l}`).join('\n') };
  }
}

/**
 * .go files under a directory, as gofmt walks it (skipping files and directories that start with a dot).
 * @param {string} dir
 * @returns {string[]}
 */
function walkGo(dir) {
  /** @type {string[]} */
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...walkGo(p));
    else if (name.endsWith('.go')) out.push(p);
  }
  return out;
}

/**
 * The gofmt command: gofmt [-l] [-w] [path ...]; stdin to stdout without paths.
 * Exit status 2 when a file does not parse, as gofmt.
 * @param {string[]} argv
 * @param {{ cwd: string; env?: NodeJS.ProcessEnv; stdin?: () => Promise<string> } & Streams} io
 * @returns {Promise<number>}
 */
export async function gofmtCommand(argv, io) {
  let list = false;
  let write = false;
  /** @type {string[]} */
  const paths = [];
  for (const a of argv) {
    if (a === '-l') list = true;
    else if (a === '-w') write = true;
    else if (a === '-s' || a === '-e') continue; // the printer's output is what the project commits; -s rewrites nothing here
    else if (a === '-d') {
      io.err('gofmt: -d (diff) is not available in the browser runtime; use -l to list files and -w to rewrite them\n');
      return 2;
    } else if (a.startsWith('-') && a !== '-') {
      io.err(`flag provided but not defined: ${a}\nusage: gofmt [flags] [path ...]\n`);
      return 2;
    } else paths.push(a);
  }
  const format = await loadFormatter(io.env);
  let status = 0;
  if (!paths.length) {
    if (write) {
      io.err('error: cannot use -w with standard input\n');
      return 2;
    }
    const src = io.stdin ? await io.stdin() : '';
    const r = formatSource(format, src, '<standard input>');
    if (!r.ok) {
      io.err(r.message + '\n');
      return 2;
    }
    if (list) {
      if (r.text !== src) io.out('<standard input>\n');
    } else io.out(r.text);
    return 0;
  }
  for (const p of paths) {
    const abs = resolve(io.cwd, p);
    if (!existsSync(abs)) {
      io.err(`stat ${p}: no such file or directory\n`);
      status = 2;
      continue;
    }
    const files = statSync(abs).isDirectory() ? walkGo(abs) : [abs];
    for (const file of files) {
      const shown = file === abs ? p : join(p, relative(abs, file));
      const src = readFileSync(file, 'utf8');
      const r = formatSource(format, src, shown);
      if (!r.ok) {
        io.err(r.message + '\n');
        status = 2;
        continue;
      }
      const changed = r.text !== src;
      if (list && changed) io.out(shown + '\n');
      if (write && changed) writeFileSync(file, r.text);
      if (!list && !write) io.out(r.text);
    }
  }
  return status;
}

/**
 * go fmt [package]: gofmt -l -w over the package's .go files (all of them, whatever their build
 * constraints), names relative to the current directory; "exit status 2" and exit 1 on a parse error.
 * @param {string[]} argv
 * @param {{ cwd: string; env?: NodeJS.ProcessEnv } & Streams} io
 * @returns {Promise<number>}
 */
export async function goFmtCommand(argv, io) {
  const flags = argv.filter((a) => a.startsWith('-'));
  if (flags.length) {
    io.err(`go fmt: flag ${flags[0]} is not supported by the browser runtime (use gofmt directly)\n`);
    return 2;
  }
  const pkgs = argv.length ? argv : ['.'];
  const files = [];
  for (const p of pkgs) {
    if (p.includes('...')) {
      io.err(`go: patterns such as ${p} are not supported by the browser runtime: name a package directory, such as .\n`);
      return 1;
    }
    const dir = resolve(io.cwd, p);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      io.err(`go: ${p}: not a package directory of your module\n`);
      return 1;
    }
    for (const n of readdirSync(dir).sort()) {
      if (n.endsWith('.go') && !n.startsWith('.') && !n.startsWith('_') && statSync(join(dir, n)).isFile()) files.push(relative(io.cwd, join(dir, n)));
    }
  }
  if (!files.length) {
    io.err(`no Go files in ${resolve(io.cwd, pkgs[0] ?? '.')}\n`);
    return 1;
  }
  let errText = '';
  const code = await gofmtCommand(['-l', '-w', ...files], { ...io, err: (s) => (errText += s) });
  if (errText) io.err(errText);
  if (code !== 0) {
    io.err(`exit status ${code}\n`);
    return 1;
  }
  return 0;
}
