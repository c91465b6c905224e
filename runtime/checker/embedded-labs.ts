/// <reference path="./virtual.d.ts" />
// The labs inside the checker bundle. runtime/bundle.ts embeds every lab's manifest, starter and
// solution files (virtual module `ghl:labs`); this module, imported before anything else, writes
// them to disk once (keyed by their hash) and points LABS_DIR / SOLUTIONS_DIR there, so the bundle
// needs no checkout: `node checker.mjs check slowloris --solution` works from any directory.
// An explicit LABS_DIR wins (a course fork grading its own labs).
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { files, hash } from 'ghl:labs';
import { extractLabs } from './extract.js';

/** Next to the bundle when that folder is writable, else in the temp folder. */
function extractionRoot(): string {
  const name = `checker-labs-${hash}`;
  try {
    return extractLabs(join(dirname(fileURLToPath(import.meta.url)), name), files);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw err;
    return extractLabs(join(tmpdir(), `ghl-${name}`), files);
  }
}

if (!process.env.LABS_DIR) {
  const root = extractionRoot();
  process.env.LABS_DIR = join(root, 'labs');
  process.env.SOLUTIONS_DIR = join(root, 'solutions');
}
