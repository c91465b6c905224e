#!/usr/bin/env node
// `npm test` runs this first (pretest): builds runtime/dist (the in-browser Go runtime) so the
// parity, toolchain and site tests have it. Cached by input hash: a few seconds when nothing
// changed. Without a Go toolchain there is nothing to build, and the tests that need it skip
// with that reason.
import { spawnSync } from 'node:child_process';

const go = ['go', '/usr/local/go/bin/go'].find((g) => spawnSync(g, ['version'], { stdio: 'ignore' }).status === 0);
if (!go) {
  console.log('runtime:build skipped: no Go toolchain (install Go 1.26, or use the Docker image)');
  process.exit(0);
}
const r = spawnSync('npx', ['tsx', 'runtime/build.ts'], { stdio: 'inherit', cwd: new URL('..', import.meta.url).pathname });
process.exit(r.status ?? 1);
