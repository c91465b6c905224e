// Where things live in the repository, independent of the current directory.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const labsDir = process.env.LABS_DIR ? resolve(process.env.LABS_DIR) : join(repoRoot, 'labs');
export const solutionsDir = process.env.SOLUTIONS_DIR ? resolve(process.env.SOLUTIONS_DIR) : join(repoRoot, 'solutions');
export const checkersDir = join(repoRoot, 'checkers');
