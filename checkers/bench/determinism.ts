// Determinism: run `labs verify` N times (optionally with the other core kept busy) and count
// verdict changes, probe by probe, against the first run. Prints per-lab check times.
//   npx tsx checkers/bench/determinism.ts --runs 10
//   npx tsx checkers/bench/determinism.ts --runs 5 --busy
//   npx tsx checkers/bench/determinism.ts --runs 3 slowloris goroutine-leak
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../core/paths.js';
import type { LabVerification } from '../core/verify.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 10) || 10;
const busy = args.includes('--busy');
const labs = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--runs');

function verifyOnce(): Promise<LabVerification[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'labs.mjs'), 'verify', '--json', ...labs], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', () => {
      try {
        resolve(JSON.parse(out));
      } catch (err) {
        reject(new Error(`labs verify printed no JSON: ${out.slice(0, 400)}`));
      }
    });
  });
}

/** A busy loop on one core, bounded in time, killed when we are done. */
function startBusyLoop() {
  const child = spawn('timeout', ['1800', process.execPath, '-e', 'for(;;){}'], { stdio: 'ignore' });
  return () => child.kill('SIGKILL');
}

type Signature = Record<string, string>; // "lab/target/probe" -> status

function signature(results: LabVerification[]): Signature {
  const sig: Signature = {};
  for (const r of results) {
    for (const [target, v] of [['starter', r.starter], ['solution', r.solution]] as const) {
      sig[`${r.lab}/${target}`] = v.status;
      for (const p of v.probes) sig[`${r.lab}/${target}/${p.id}`] = p.status;
    }
  }
  return sig;
}

const stopBusy = busy ? startBusyLoop() : () => {};
process.on('exit', stopBusy);
let first: Signature | undefined;
let changes = 0;
let failedRuns = 0;
const times: Record<string, number[]> = {};
const t0 = Date.now();
for (let i = 1; i <= runs; i++) {
  const tRun = Date.now();
  const results = await verifyOnce();
  const sig = signature(results);
  const notOk = results.filter((r) => !r.ok && !r.skipped).map((r) => `${r.lab}: ${r.problems.join('; ')}`);
  if (notOk.length) failedRuns++;
  for (const r of results) {
    (times[`${r.lab} starter`] ??= []).push(r.starter.durationMs);
    (times[`${r.lab} solution`] ??= []).push(r.solution.durationMs);
  }
  let diff: string[] = [];
  if (!first) first = sig;
  else diff = Object.keys({ ...first, ...sig }).filter((k) => first![k] !== sig[k]).map((k) => `${k}: ${first![k]} -> ${sig[k]}`);
  changes += diff.length;
  console.log(`run ${i}/${runs}${busy ? ' (other core busy)' : ''}: ${results.length} labs, ${notOk.length} not ok, ${diff.length} verdict changes, ${((Date.now() - tRun) / 1000).toFixed(1)} s`);
  for (const d of [...diff, ...notOk]) console.log(`   ${d}`);
}
stopBusy();
console.log('\ncheck times (s): min / median / max');
for (const [k, v] of Object.entries(times)) {
  const s = [...v].sort((a, b) => a - b);
  console.log(`  ${k.padEnd(36)} ${(s[0]! / 1000).toFixed(1)} / ${(s[Math.floor(s.length / 2)]! / 1000).toFixed(1)} / ${(s[s.length - 1]! / 1000).toFixed(1)}`);
}
console.log(`\n${runs} runs${busy ? ' with the other core busy' : ''}: ${changes} verdict changes, ${failedRuns} runs with a lab not verified, ${((Date.now() - t0) / 1000).toFixed(0)} s in all`);
process.exitCode = changes || failedRuns ? 1 : 0;
