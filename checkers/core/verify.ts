// labs verify: every starter fails for exactly the probes its manifest names,
// every solution passes every probe.
import type { Lab } from './manifest.js';
import { runCheck, type RunOptions } from './runner.js';
import type { EventSink, Verdict } from './verdict.js';

export interface LabVerification {
  lab: string;
  ok: boolean;
  skipped: boolean;
  /** sentences saying what is wrong, empty when ok */
  problems: string[];
  starter: Verdict;
  solution: Verdict;
}

/** The probe ids that did not pass (failed or inconclusive), sorted. */
export function failingProbes(v: Verdict): string[] {
  return v.probes.filter((p) => p.status === 'failed' || p.status === 'inconclusive').map((p) => p.id).sort();
}

export function judgeStarter(lab: Lab, v: Verdict): string[] {
  if (v.status === 'skipped') return [];
  if (v.error && v.error.kind !== 'build' && v.error.kind !== 'start') return [`starter: ${v.error.message}`];
  const expected = [...lab.starterFails].sort();
  const got = failingProbes(v);
  const problems: string[] = [];
  const inconclusive = v.probes.filter((p) => p.status === 'inconclusive').map((p) => p.id);
  if (inconclusive.length) problems.push(`starter: inconclusive probes ${inconclusive.join(', ')}`);
  const missing = expected.filter((id) => !got.includes(id));
  const extra = got.filter((id) => !expected.includes(id));
  if (missing.length) problems.push(`starter passed probes it must fail: ${missing.join(', ')}`);
  if (extra.length) problems.push(`starter failed probes not in starterFails: ${extra.join(', ')}`);
  return problems;
}

export function judgeSolution(v: Verdict): string[] {
  if (v.status === 'skipped') return [];
  if (v.error) return [`solution: ${v.error.message}`];
  const bad = v.probes.filter((p) => p.status !== 'passed');
  return bad.map((p) => `solution ${p.status} ${p.id}: ${p.measured}`);
}

/**
 * A check that came out inconclusive (a probe whose measurement the machine spoiled: the harness
 * stalled, or the server process was starved) is run once more, from a fresh build and server,
 * as the verdict itself tells a learner to do. Graders and `labs verify` use this; a second
 * inconclusive result is returned as it is. Failed and passed verdicts are never re-run.
 */
export async function runCheckSettled(opts: RunOptions, onRetry?: (first: Verdict) => void): Promise<Verdict> {
  const first = await runCheck(opts);
  if (!first.probes.some((p) => p.status === 'inconclusive') || opts.signal?.aborted) return first;
  onRetry?.(first);
  return runCheck(opts);
}

export async function verifyLab(lab: Lab, opts: Omit<RunOptions, 'lab' | 'target'> & { sink?: EventSink } = {}): Promise<LabVerification> {
  const starter = await runCheckSettled({ ...opts, lab, target: { kind: 'starter' } });
  const solution = await runCheckSettled({ ...opts, lab, target: { kind: 'solution' } });
  const problems = [...judgeStarter(lab, starter), ...judgeSolution(solution)];
  const skipped = starter.status === 'skipped' || solution.status === 'skipped';
  return { lab: lab.id, ok: problems.length === 0, skipped, problems, starter, solution };
}
