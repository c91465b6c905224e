// What the in-browser runtime downloads on a learner's first workspace: site/runtime/webcontainer.ts
// fetches every file of /runtime/manifest.json (as `astro build` stores them: gzip -6 where that
// pays, decompressed in the tab, so this is the download on any host), then the lab's starter.
// Builds /runtime/ into a temp folder the way the site build does and prints the numbers.
// The runtime must be built first (npm run runtime:build).
//
//   npx tsx site/bench/runtime-download.ts [--lab slowloris]
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRuntimeAssets } from '../lib/runtime-assets.mjs';

const argv = process.argv.slice(2);
const at = argv.indexOf('--lab');
const lab = at >= 0 && argv[at + 1] ? argv[at + 1]! : 'slowloris';

const out = mkdtempSync(join(tmpdir(), 'ghl-bench-download-'));
try {
  const t0 = Date.now();
  const { manifest, labs } = writeRuntimeAssets({ outDir: out });
  const buildMs = Date.now() - t0;
  if (!manifest.built) {
    process.stderr.write(`runtime-download: the runtime is not built (missing ${manifest.missing.join(', ')}): npm run runtime:build\n`);
    process.exit(2);
  }
  if (!labs.includes(lab)) {
    process.stderr.write(`runtime-download: ${lab} is not a browser lab (${labs.join(', ')})\n`);
    process.exit(2);
  }
  const groupOf = (path: string) =>
    path === 'dist/toolchain/compile.wasm'
      ? 'compile.wasm'
      : path === 'dist/toolchain/link.wasm'
        ? 'link.wasm'
        : path.startsWith('dist/toolchain/pack')
          ? 'package pack'
          : path === 'dist/checker.mjs'
            ? 'checker.mjs'
            : 'launcher, go shim, gofmt, wasm_exec';
  const sums = new Map<string, { files: number; raw: number; wire: number }>();
  const add = (group: string, raw: number, wire: number) => {
    const s = sums.get(group) ?? { files: 0, raw: 0, wire: 0 };
    s.files++;
    s.raw += raw;
    s.wire += wire;
    sums.set(group, s);
  };
  for (const f of manifest.files) add(groupOf(f.path), f.size, f.stored);
  const manifestBytes = statSync(join(out, 'runtime', 'manifest.json')).size;
  add('manifest.json', manifestBytes, manifestBytes);
  const labBytes = readFileSync(join(out, 'runtime', 'labs', `${lab}.json`)).length;
  add(`labs/${lab}.json`, labBytes, labBytes);

  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`.padStart(10);
  const lines = [
    `First workspace of ${lab} in the browser: what /runtime/ sends`,
    `${'group'.padEnd(36)}${'files'.padStart(6)}${'raw'.padStart(10)}${'download'.padStart(10)}`,
  ];
  const total = { files: 0, raw: 0, wire: 0 };
  for (const [g, s] of [...sums].sort((a, b) => b[1].raw - a[1].raw)) {
    lines.push(`${g.padEnd(36)}${String(s.files).padStart(6)}${mb(s.raw)}${mb(s.wire)}`);
    total.files += s.files;
    total.raw += s.raw;
    total.wire += s.wire;
  }
  lines.push(`${'total'.padEnd(36)}${String(total.files).padStart(6)}${mb(total.raw)}${mb(total.wire)}`);
  lines.push(`(files over 20 MiB after compression would come in parts: ${manifest.files.filter((f) => f.parts).length}; site build step ${(buildMs / 1000).toFixed(1)} s)`);
  lines.push('(the workspace page itself: npx tsx site/bench/page-weight.ts)');
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  rmSync(out, { recursive: true, force: true });
}
