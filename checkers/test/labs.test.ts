// labs verify, as a test: every starter fails exactly its starterFails probes, every solution
// passes; and every test variant (plausible wrong fixes, other correct fixes) gets the verdict
// its expect.json states. Variants live in checkers/test/variants/<lab>/<variant>/.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadAllLabs } from '../core/manifest.js';
import { runCheck } from '../core/runner.js';
import { failingProbes, judgeSolution, judgeStarter } from '../core/verify.js';
import { kernelCapability } from '../core/netns/index.js';

const variantsDir = join(import.meta.dirname, 'variants');
const expectation = z.union([
  z.object({ passes: z.literal(true), why: z.string().min(1) }).strict(),
  z.object({ passes: z.literal(false), fails: z.array(z.string()).min(1), why: z.string().min(1) }).strict(),
]);

const kernelOk = kernelCapability('any').ok;

for (const lab of loadAllLabs()) {
  const skip = lab.kernel && !kernelOk;
  describe.skipIf(skip)(`lab ${lab.id}`, () => {
    it('the starter fails exactly the probes its manifest names', async () => {
      const v = await runCheck({ lab, target: { kind: 'starter' }, caps: { kernel: kernelOk } });
      expect(judgeStarter(lab, v), JSON.stringify(v.probes.map((p) => [p.id, p.status, p.measured]))).toEqual([]);
      expect(failingProbes(v)).toEqual([...lab.starterFails].sort());
    });

    it('the solution passes every probe', async () => {
      const v = await runCheck({ lab, target: { kind: 'solution' }, caps: { kernel: kernelOk } });
      expect(judgeSolution(v)).toEqual([]);
      expect(v.passed).toBe(true);
    });

    const dir = join(variantsDir, lab.id);
    const variants = existsSync(dir) ? readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()) : [];
    it('has at least two wrong-fix variants and one other correct fix', () => {
      const kinds = variants.map((v) => expectation.parse(JSON.parse(readFileSync(join(dir, v, 'expect.json'), 'utf8'))).passes);
      expect(kinds.filter((k) => !k).length, 'wrong fixes').toBeGreaterThanOrEqual(2);
      expect(kinds.filter((k) => k).length, 'other correct fixes').toBeGreaterThanOrEqual(1);
    });

    for (const variant of variants) {
      const expected = expectation.parse(JSON.parse(readFileSync(join(dir, variant, 'expect.json'), 'utf8')));
      it(`variant ${variant} ${expected.passes ? 'passes' : `fails ${expected.fails.join(', ')}`} (${expected.why})`, async () => {
        const v = await runCheck({ lab, target: { kind: 'overlay', dir: join(dir, variant), label: variant }, caps: { kernel: kernelOk } });
        const detail = JSON.stringify(v.error ?? v.probes.map((p) => [p.id, p.status, p.measured]));
        if (expected.passes) expect(v.passed, detail).toBe(true);
        else expect(failingProbes(v), detail).toEqual([...expected.fails].sort());
      });
    }
  });
}
