// Path safety for the file API. A path from the browser is relative to a workspace, and what it
// names must stay inside that workspace after every symlink is followed:
//   - refused outright: "..", absolute paths, NUL bytes, backslashes, empty or "." segments;
//   - refused after resolution: a parent directory or a target whose realpath leaves the root;
//   - only regular text files (UTF-8, no NUL) of at most maxFileBytes are read or written.
// The learner also has a shell in the workspace, so this is not a sandbox against the learner:
// it keeps a page (or a bug in one) that holds the token to the workspace it asked for.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import type { FileEntry } from './protocol.js';
import { HttpError, decodeText, isText } from './respond.js';

/** Directories never listed (tooling, not the learner's code). */
const skippedDirs = new Set(['.git', 'node_modules', '.cache', 'vendor']);

/**
 * Checks a relative path taken from a URL (still percent-encoded) and returns it decoded,
 * with "/" separators. Throws HttpError 400 for anything that could leave the root.
 */
export function safeRelPath(raw: string): string {
  let rel: string;
  try {
    rel = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'bad path: invalid percent-encoding');
  }
  if (!rel) throw new HttpError(400, 'bad path: empty');
  if (rel.includes('\0')) throw new HttpError(400, 'bad path: contains a NUL byte');
  if (rel.includes('\\')) throw new HttpError(400, 'bad path: contains a backslash');
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) throw new HttpError(400, 'bad path: absolute paths are refused');
  if (rel.length > 1024) throw new HttpError(400, 'bad path: too long');
  const parts = rel.split('/');
  if (parts.length > 32) throw new HttpError(400, 'bad path: too deep');
  for (const p of parts) {
    if (p === '..') throw new HttpError(400, 'bad path: ".." is refused');
    if (p === '' || p === '.') throw new HttpError(400, 'bad path: empty or "." segment');
  }
  return rel;
}

function inside(realRoot: string, p: string): boolean {
  return p === realRoot || p.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

const outside = (rel: string) => new HttpError(400, `bad path: ${rel} leads outside the workspace`);

/** The real path of an existing regular file `rel` under `root`; 404 when missing, 400 when it escapes. */
export async function resolveExisting(root: string, rel: string): Promise<string> {
  const realRoot = await realpath(root).catch((err) => {
    if (code(err) === 'ENOENT') throw new HttpError(404, `no such file: ${rel}`);
    throw err;
  });
  let parent: string;
  try {
    parent = await realpath(dirname(join(realRoot, rel)));
  } catch (err) {
    if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') throw new HttpError(404, `no such file: ${rel}`);
    throw err;
  }
  if (!inside(realRoot, parent)) throw outside(rel);
  const candidate = join(parent, basename(rel));
  let target: string;
  try {
    const l = await lstat(candidate);
    target = l.isSymbolicLink() ? await realpath(candidate) : candidate;
  } catch (err) {
    if (code(err) === 'ENOENT') throw new HttpError(404, `no such file: ${rel}`);
    throw err;
  }
  if (!inside(realRoot, target)) throw outside(rel);
  const s = await stat(target);
  if (!s.isFile()) throw new HttpError(400, `not a file: ${rel}`);
  return target;
}

/**
 * Where to write `rel` under `root`: the real path of the target (an existing file, or a new
 * one in a directory that is created inside the root). Never follows a symlink out of the root.
 */
export async function resolveForWrite(root: string, rel: string): Promise<string> {
  const realRoot = await realpath(root);
  const parts = rel.split('/');
  const base = parts.pop()!;
  let dir = realRoot;
  for (const seg of parts) {
    const next = join(dir, seg);
    let l;
    try {
      l = await lstat(next);
    } catch (err) {
      if (code(err) !== 'ENOENT') throw err;
      await mkdir(next);
      dir = next;
      continue;
    }
    if (l.isSymbolicLink()) {
      let real: string;
      try {
        real = await realpath(next);
      } catch {
        throw new HttpError(400, `bad path: ${rel} goes through a dangling symlink`);
      }
      if (!inside(realRoot, real)) throw outside(rel);
      if (!(await stat(real)).isDirectory()) throw new HttpError(400, `not a directory: ${seg} in ${rel}`);
      dir = real;
    } else if (l.isDirectory()) {
      dir = next;
    } else {
      throw new HttpError(400, `not a directory: ${seg} in ${rel}`);
    }
  }
  const candidate = join(dir, base);
  try {
    const l = await lstat(candidate);
    if (l.isSymbolicLink()) {
      let real: string;
      try {
        real = await realpath(candidate);
      } catch {
        throw new HttpError(400, `bad path: ${rel} is a dangling symlink`);
      }
      if (!inside(realRoot, real)) throw outside(rel);
      if (!(await stat(real)).isFile()) throw new HttpError(400, `not a file: ${rel}`);
      return real;
    }
    if (!l.isFile()) throw new HttpError(400, `not a file: ${rel}`);
  } catch (err) {
    if (code(err) !== 'ENOENT') throw err;
  }
  return candidate;
}

/** Reads a text file of the workspace (HttpError 404 / 400 / 413 / 415). */
export async function readTextFile(root: string, rel: string, maxBytes: number): Promise<string> {
  const path = await resolveExisting(root, rel);
  // O_NOFOLLOW: the resolved path is not a symlink now; refuse one swapped in since.
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err) => {
    if (code(err) === 'ELOOP') throw outside(rel);
    throw err;
  });
  try {
    const s = await fh.stat();
    if (s.size > maxBytes) throw new HttpError(413, `${rel} is too large: ${s.size} bytes (at most ${maxBytes})`);
    const buf = Buffer.alloc(s.size);
    const { bytesRead } = await fh.read(buf, 0, s.size, 0);
    return decodeText(buf.subarray(0, bytesRead), rel);
  } finally {
    await fh.close();
  }
}

/** Replaces (or creates) a text file atomically: a temp file in the same directory, then rename. */
export async function writeTextFile(root: string, rel: string, body: Buffer, maxBytes: number): Promise<FileEntry> {
  if (body.length > maxBytes) throw new HttpError(413, `too large: ${body.length} bytes (at most ${maxBytes})`);
  decodeText(body, rel);
  const target = await resolveForWrite(root, rel);
  let mode = 0o644;
  try {
    mode = (await stat(target)).mode & 0o777;
  } catch {
    /* new file */
  }
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, body, { mode, flag: 'wx' });
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  const s = await stat(target);
  return { path: rel, size: s.size, mtimeMs: s.mtimeMs };
}

export interface ListOptions {
  /** skip a file (relative path) */
  exclude?: (rel: string) => boolean;
  /** stop after this many entries */
  limit?: number;
}

/**
 * The text files under `root`, recursively (no symlinks followed, tooling directories and
 * binaries such as a `go build` output skipped), sorted by path.
 */
export async function listTextFiles(root: string, opts: ListOptions = {}): Promise<FileEntry[]> {
  const limit = opts.limit ?? 2000;
  const out: FileEntry[] = [];
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    if (depth > 8 || out.length >= limit) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (code(err) === 'ENOENT') return;
      throw err;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (out.length >= limit) return;
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (!skippedDirs.has(e.name)) await walk(full, rel, depth + 1);
        continue;
      }
      if (!e.isFile() || opts.exclude?.(rel)) continue;
      if (e.name.endsWith('.tmp') && e.name.startsWith('.')) continue; // our own half-written files
      const s = await stat(full).catch(() => undefined);
      if (!s) continue;
      if (!(await looksLikeText(full))) continue;
      out.push({ path: rel, size: s.size, mtimeMs: s.mtimeMs });
    }
  };
  await walk(root, '', 0);
  return out;
}

async function looksLikeText(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return false;
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    if (head.includes(0)) return false;
    // A multi-byte character may be cut at the end of the sample: only judge the complete part.
    return isText(head.subarray(0, Math.max(0, bytesRead - 4))) || bytesRead < 4;
  } finally {
    await fh.close();
  }
}
