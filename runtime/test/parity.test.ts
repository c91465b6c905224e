// Parity: for every lab marked browser-capable (lab.json "runtimes" has "browser"), the checker's
// verdict on the starter and on the solution under the browser runtime (js/wasm under the
// launcher, built with the host's Go and the runtime's overlay) equals the native verdict, probe
// by probe. `npx tsx runtime/bench/parity.ts --rounds 3` prints the same comparison with timings.
import { describe, expect, it } from 'vitest';
import { goMissing } from './harness.js';
import { browserLabs, describeParity, targetParity } from './parity.js';

const missing = goMissing();
const labs = browserLabs();

describe.skipIf(missing)(`browser runtime parity${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('has browser-capable labs to compare', () => {
    expect(labs.length).toBeGreaterThan(0);
  });

  describe.each(labs.map((l) => [l.id, l] as const))('%s', (_id, lab) => {
    // Two checks of up to ~15 s each; one retry absorbs a check that a loaded machine made
    // inconclusive on one side (a real difference fails both times).
    it.each(['starter', 'solution'] as const)('%s: same status for every probe, native and wasm', { timeout: 180_000, retry: 1 }, async (target) => {
      const r = await targetParity(lab, target);
      expect(r.same, describeParity(r)).toBe(true);
    });
  });
});
