// Parity between the native runtime and the browser runtime (js/wasm under the launcher): the
// same checker on the same code must give the same status for every probe.
import { loadAllLabs, type Lab } from '../../checkers/core/manifest.js';
import { runCheck } from '../../checkers/core/runner.js';
import type { ProbeStatus, Verdict } from '../../checkers/core/verdict.js';

export type ParityTarget = 'starter' | 'solution';

export interface ProbeParity {
  id: string;
  native: ProbeStatus | 'missing';
  wasm: ProbeStatus | 'missing';
  same: boolean;
  /** the measured lines, for a report when they differ */
  nativeMeasured?: string;
  wasmMeasured?: string;
}

export interface TargetParity {
  lab: string;
  target: ParityTarget;
  same: boolean;
  nativeMs: number;
  wasmMs: number;
  nativeStatus: Verdict['status'];
  wasmStatus: Verdict['status'];
  /** a build or start error on one side only */
  error?: string;
  probes: ProbeParity[];
}

/** The labs marked browser-capable in their manifest. */
export function browserLabs(): Lab[] {
  return loadAllLabs().filter((l) => l.runtimes.includes('browser'));
}

export function compareVerdicts(lab: string, target: ParityTarget, native: Verdict, wasm: Verdict): TargetParity {
  const ids = [...new Set([...native.probes.map((p) => p.id), ...wasm.probes.map((p) => p.id)])];
  const probes = ids.map((id): ProbeParity => {
    const n = native.probes.find((p) => p.id === id);
    const w = wasm.probes.find((p) => p.id === id);
    const same = !!n && !!w && n.status === w.status;
    return {
      id,
      native: n?.status ?? 'missing',
      wasm: w?.status ?? 'missing',
      same,
      ...(same ? {} : { nativeMeasured: n?.measured, wasmMeasured: w?.measured }),
    };
  });
  const errorKinds = [native.error?.kind, wasm.error?.kind];
  const error = errorKinds[0] !== errorKinds[1] ? `native: ${native.error?.message ?? 'no error'}; wasm: ${wasm.error?.message ?? 'no error'}` : undefined;
  return {
    lab,
    target,
    same: !error && probes.length > 0 && probes.every((p) => p.same),
    nativeMs: native.durationMs,
    wasmMs: wasm.durationMs,
    nativeStatus: native.status,
    wasmStatus: wasm.status,
    ...(error ? { error } : {}),
    probes,
  };
}

/** Checks `target` of `lab` natively and under --runtime wasm, and compares them probe by probe. */
export async function targetParity(lab: Lab, target: ParityTarget): Promise<TargetParity> {
  const native = await runCheck({ lab, target: { kind: target } });
  const wasm = await runCheck({ lab, target: { kind: target }, runtime: 'wasm' });
  return compareVerdicts(lab.id, target, native, wasm);
}

export function describeParity(r: TargetParity): string {
  const head = `${r.lab} ${r.target}: ${r.same ? 'same' : 'DIFFERENT'} (native ${r.nativeStatus} ${(r.nativeMs / 1000).toFixed(1)} s, wasm ${r.wasmStatus} ${(r.wasmMs / 1000).toFixed(1)} s)`;
  const lines = r.probes.map((p) => `  ${p.same ? ' ' : '≠'} ${p.id.padEnd(34)} native ${p.native.padEnd(12)} wasm ${p.wasm}`);
  const diffs = r.probes
    .filter((p) => !p.same)
    .flatMap((p) => [`    ${p.id} native: ${p.nativeMeasured ?? '-'}`, `    ${p.id} wasm:   ${p.wasmMeasured ?? '-'}`]);
  return [head, ...(r.error ? [`  ${r.error}`] : []), ...lines, ...diffs].join('\n');
}
