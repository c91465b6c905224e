// The browser runtime's Run and Check under plain Node, timed the way a learner waits for them:
// the container's working directory laid out on disk exactly as the WebContainer glue mounts it
// (site/bench/container-layout.ts), then the glue's own commands. Cold: an empty build cache;
// warm: the same files again. Prints numbers (no pass/fail).
//
//   npx tsx site/bench/browser-runtime.ts [--lab slowloris] [--solution] [--runs 2]
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../../checkers/core/net.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckStream } from '../runtime/browser/check-stream.js';
import { checkSpawn, runSpawn } from '../runtime/browser/layout.js';
import type { Verdict } from '../../checkers/core/verdict.js';
import { killGroup, layoutUnavailable, spawnInLayout, writeContainerLayout } from './container-layout.js';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => (argv.includes(name) && argv[argv.indexOf(name) + 1] ? argv[argv.indexOf(name) + 1]! : fallback);
const lab = opt('--lab', 'slowloris');
const variant = argv.includes('--solution') ? 'solution' : 'starter';
const warmRuns = Math.max(1, Math.min(5, Number(opt('--runs', '2'))));

/** Run: from spawning `go run .` to the first HTTP answer on ADDR (bounded: 120 s). */
async function timeRun(wd: string): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawnInLayout(wd, runSpawn(wd, '', lab), { ADDR: `127.0.0.1:${port}` });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  try {
    while (performance.now() - t0 < 120_000) {
      if (child.exitCode !== null) throw new Error(`go run . exited (${child.exitCode}):\n${out.slice(-2000)}`);
      const ok = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) }).then(() => true, () => false);
      if (ok) return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no answer on :${port} within 120 s:\n${out.slice(-2000)}`);
  } finally {
    killGroup(child);
  }
}

/** Check: from spawning the checker to its verdict (check-end), and to its exit (bounded: 300 s). */
async function timeCheck(wd: string): Promise<{ verdictMs: number; exitMs: number; verdict: Verdict }> {
  const t0 = performance.now();
  let verdictMs = 0;
  const child = spawnInLayout(wd, checkSpawn(wd, '', lab));
  const stream = new CheckStream((e) => {
    if (e.type === 'check-end') verdictMs = performance.now() - t0;
  });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => stream.push(d));
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const timer = setTimeout(() => killGroup(child), 300_000);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearTimeout(timer);
  const exitMs = performance.now() - t0;
  const result = stream.end(code);
  if (result instanceof Error) throw new Error(`${result.message}\n${err.slice(-2000)}`);
  return { verdictMs, exitMs, verdict: result };
}

async function main(): Promise<number> {
  const why = layoutUnavailable();
  if (why) {
    process.stderr.write(`browser-runtime: ${why}\n`);
    return 2;
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const lines: string[] = [`${lab} (${variant}) in the browser runtime's layout, under Node ${process.version}:`];
  const runWd = mkdtempSync(join(tmpdir(), 'ghl-bench-browser-'));
  const checkWd = mkdtempSync(join(tmpdir(), 'ghl-bench-browser-'));
  try {
    const t = performance.now();
    writeContainerLayout(runWd, lab, variant);
    writeContainerLayout(checkWd, lab, variant);
    lines.push(`  layout written (the mount, on disk): ${s((performance.now() - t) / 2)}`);
    lines.push(`  Run -> server answers:   cold ${s(await timeRun(runWd))}`);
    for (let i = 0; i < warmRuns; i++) lines.push(`                           warm ${s(await timeRun(runWd))}`);
    const cold = await timeCheck(checkWd);
    const probes = (v: Verdict) => v.probes.map((p) => `${p.id}:${p.status}`).join(' ');
    lines.push(`  Check -> verdict:        cold ${s(cold.verdictMs)} (exit ${s(cold.exitMs)}) ${cold.verdict.status}: ${probes(cold.verdict)}`);
    for (let i = 0; i < warmRuns; i++) {
      const warm = await timeCheck(checkWd);
      lines.push(`                           warm ${s(warm.verdictMs)} (exit ${s(warm.exitMs)}) ${warm.verdict.status}`);
    }
  } finally {
    rmSync(runWd, { recursive: true, force: true });
    rmSync(checkWd, { recursive: true, force: true });
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`browser-runtime: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
