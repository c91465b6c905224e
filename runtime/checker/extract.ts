// Writes the bundle's embedded lab files to disk (see embedded-labs.ts).
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface EmbeddedFile {
  /** "labs/<id>/main.go" or "solutions/<id>/main.go" */
  path: string;
  /** UTF-8 text, or base64 when `binary` */
  contents: string;
  binary?: boolean;
}

/**
 * Writes the files under `root`, atomically (a temp folder renamed into place), unless a complete
 * extraction is there already. Returns `root`.
 */
export function extractLabs(root: string, entries: EmbeddedFile[]): string {
  if (existsSync(join(root, '.complete'))) return root;
  const tmp = `${root}.tmp-${process.pid}-${Date.now()}`;
  try {
    for (const f of entries) {
      const parts = f.path.split('/');
      if (parts.some((p) => p === '..' || p === '' || p === '.')) throw new Error(`bad embedded path ${f.path}`);
      const to = join(tmp, ...parts);
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, f.binary ? Buffer.from(f.contents, 'base64') : f.contents);
    }
    writeFileSync(join(tmp, '.complete'), '');
    try {
      renameSync(tmp, root);
    } catch (err) {
      // Another check extracted the same files first: theirs is as good as ours.
      if (!existsSync(join(root, '.complete'))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return root;
}
