// The size of each browser lab's server as js/wasm (the solution, built with the runtime's
// overlay by the host's Go): raw, gzip -9 and brotli, and how long the build took.
//
//   npx tsx runtime/bench/wasm-size.ts [lab ...]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { loadLab } from '../../checkers/core/manifest.js';
import { materialize } from '../../checkers/core/runner.js';
import { buildWasmServer } from '../../checkers/core/wasm.js';
import { browserLabs } from '../test/parity.js';

const ids = process.argv.slice(2);
const labs = ids.length ? ids.map((id) => loadLab(id)) : browserLabs();
const mb = (n: number) => (n / 1e6).toFixed(2);
for (const lab of labs) {
  const tmp = mkdtempSync(join(tmpdir(), 'ghl-wasm-size-'));
  try {
    const src = materialize(lab, lab.solutionDir, tmp);
    const t0 = Date.now();
    const wasm = readFileSync(await buildWasmServer(src, lab.entry, tmp, 'native'));
    const ms = Date.now() - t0;
    process.stdout.write(
      `${lab.id.padEnd(20)} ${mb(wasm.length)} MB raw, ${mb(gzipSync(wasm, { level: 9 }).length)} MB gzip, ${mb(brotliCompressSync(wasm).length)} MB brotli (build ${(ms / 1000).toFixed(1)} s)\n`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
