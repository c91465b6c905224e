// npm run runtime:build: everything the in-browser Go runtime needs, into runtime/dist/ (gitignored).
//
//   1. the js/wasm std overlay and wasm_exec.js        (runtime/overlay/generate.ts)
//   2. the in-tab toolchain: compile.wasm, link.wasm,  (runtime/toolchain/build.ts)
//      the precompiled package pack, gofmt
//   3. the checker bundle runtime/dist/checker.mjs     (runtime/bundle.ts)
//
// Idempotent: each step skips work whose inputs have not changed (the overlay rewrites only changed
// files; the toolchain keeps a stamp of its input hashes; the bundle is a seconds-long esbuild run).
//
//   npx tsx runtime/build.ts [--force]
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateOverlay } from './overlay/generate.js';
import { buildToolchain } from './toolchain/build.js';
import { bundleChecker } from './bundle.js';

export async function buildRuntime(opts: { force?: boolean; log?: (line: string) => void } = {}): Promise<void> {
  const log = opts.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const t0 = Date.now();
  const overlay = generateOverlay();
  log(`overlay for ${overlay.goVersion}: ${overlay.overlayJson} (sha256 ${overlay.hash.slice(0, 12)})`);
  const t1 = Date.now();
  const tc = await buildToolchain({ overlay: overlay.overlayJson, force: opts.force, log });
  log(
    `toolchain: ${tc.builtTools ? 'built' : 'kept'} compile.wasm + link.wasm, ${tc.builtPack ? 'built' : 'kept'} the pack ` +
      `(${tc.packages} packages, ${(tc.packBytes / 1e6).toFixed(1)} MB) in ${((Date.now() - t1) / 1000).toFixed(1)} s`,
  );
  const bundle = await bundleChecker();
  log(`checker bundle: ${bundle.outFile} (${(bundle.bytes / 1024).toFixed(0)} KB, ${bundle.labs.length} labs)`);
  log(`runtime:build done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildRuntime({ force: process.argv.includes('--force') }).catch((err: Error) => {
    process.stderr.write(`runtime:build: ${err.message}\n`);
    process.exit(2);
  });
}
