// `labs check|verify --runtime wasm` from the command line: the runtime is reported, kernel labs
// are refused with the sentence that says why, a bad value is a usage error.
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../checkers/core/paths.js';
import { runCli } from '../../checkers/test/helpers.js';
import { goMissing } from './harness.js';

const missing = goMissing();

describe('labs --runtime', () => {
  it('refuses a kernel lab under --runtime wasm as skipped, with no build', async () => {
    const r = await runCli(['check', 'port-exhaustion', '--runtime', 'wasm', '--json']);
    const v = JSON.parse(r.stdout) as { status: string; runtime: string; error: { kind: string; message: string }; probes: { status: string; measured: string }[] };
    expect(v.status).toBe('skipped');
    expect(v.runtime).toBe('browser');
    expect(v.error).toMatchObject({ kind: 'skipped', message: 'needs the Docker or native runtime' });
    expect(v.probes.length).toBeGreaterThan(0);
    for (const p of v.probes) expect(p).toMatchObject({ status: 'skipped', measured: 'skipped: needs the Docker or native runtime' });
    expect(r.code).toBe(2);
  });

  it('rejects an unknown runtime as a usage error', async () => {
    const r = await runCli(['check', 'slowloris', '--runtime', 'jvm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--runtime jvm: use native or wasm');
  });

  it.skipIf(missing)('grades a browser lab as js/wasm: runtime "browser" in the verdict', async () => {
    const r = await runCli(['check', 'graceful-shutdown', '--solution', '--runtime', 'wasm', '--json'], {}, 120_000);
    const v = JSON.parse(r.stdout) as { passed: boolean; runtime: string; probes: { status: string }[] };
    expect(v.runtime).toBe('browser');
    expect(v.passed).toBe(true);
    expect(r.code).toBe(0);
  });

  it.skipIf(missing)('verify --runtime wasm judges starter and solution like verify', async () => {
    const r = await runCli(['verify', 'graceful-shutdown', '--runtime', 'wasm', '--json'], {}, 120_000);
    const [v] = JSON.parse(r.stdout) as { ok: boolean; starter: { runtime: string }; solution: { runtime: string } }[];
    expect(v).toMatchObject({ ok: true, starter: { runtime: 'browser' }, solution: { runtime: 'browser' } });
    expect(r.code).toBe(0);
  });

  it.skipIf(missing)('a build error under --runtime wasm is the compiler error, as natively', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ghl-wasm-builderr-'));
    try {
      cpSync(join(repoRoot, 'labs', 'slowloris'), dir, { recursive: true });
      writeFileSync(join(dir, 'broken.go'), 'package main\n\nfunc broken() { undefinedThing() }\n');
      const wasm = await runCli(['check', 'slowloris', '--dir', dir, '--runtime', 'wasm', '--json'], {}, 120_000);
      const native = await runCli(['check', 'slowloris', '--dir', dir, '--json'], {}, 120_000);
      const w = JSON.parse(wasm.stdout) as { error: { kind: string; message: string } };
      const n = JSON.parse(native.stdout) as { error: { kind: string; message: string } };
      expect(w.error.kind).toBe('build');
      expect(w.error.message).toBe('your server did not compile: broken.go:3:17: undefined: undefinedThing');
      expect(w.error.message).toBe(n.error.message);
      expect(wasm.code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
