// Parity, from a terminal: every browser-capable lab (or the ones named), starter and solution,
// checked natively and under --runtime wasm, ROUNDS times; prints each comparison and a summary
// with the check times.
//
//   npx tsx runtime/bench/parity.ts [--rounds N] [lab ...]
import { loadLab } from '../../checkers/core/manifest.js';
import { browserLabs, describeParity, targetParity, type TargetParity } from '../test/parity.js';

const args = process.argv.slice(2);
let rounds = 1;
const ids: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--rounds') rounds = Math.max(1, Number(args[++i]) || 1);
  else ids.push(args[i]!);
}
const labs = ids.length ? ids.map((id) => loadLab(id)) : browserLabs();

const results: TargetParity[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const lab of labs) {
    for (const target of ['starter', 'solution'] as const) {
      const r = await targetParity(lab, target);
      results.push(r);
      process.stdout.write(`[round ${round}] ${describeParity(r)}\n`);
    }
  }
}

process.stdout.write('\nsummary (same/runs, median check time native vs wasm)\n');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
for (const lab of labs) {
  for (const target of ['starter', 'solution'] as const) {
    const rs = results.filter((r) => r.lab === lab.id && r.target === target);
    const same = rs.filter((r) => r.same).length;
    process.stdout.write(
      `  ${lab.id.padEnd(22)} ${target.padEnd(9)} ${same}/${rs.length} same   native ${(median(rs.map((r) => r.nativeMs)) / 1000).toFixed(1)} s   wasm ${(median(rs.map((r) => r.wasmMs)) / 1000).toFixed(1)} s\n`,
    );
  }
}
process.exit(results.every((r) => r.same) ? 0 : 1);
