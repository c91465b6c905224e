// The lab image, for real: built by .ci/run (which sets GHL_IMAGE), run with Docker.
// Skipped where no Docker engine runs (GHL_IMAGE unset).
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, sleep } from '../../checkers/core/net.js';
import { repoRoot } from '../../checkers/core/paths.js';

const image = process.env.GHL_IMAGE;
const submissions = join(import.meta.dirname, 'submissions');
const LABEL = 'go-ha-labs-test=1';

function docker(args: string[], timeoutMs = 120_000) {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** Temp dirs this file made (submissions, grading output): removed after the tests. */
const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A submission: the slowloris starter with one file replaced, in a temp dir mounted read-only. */
function submission(name: string): string {
  const dir = tempDir(`ghl-sub-${name}-`);
  cpSync(join(repoRoot, 'labs', 'slowloris'), dir, { recursive: true });
  cpSync(join(submissions, name), dir, { recursive: true, force: true });
  chmodSync(dir, 0o755); // readable by the image's learner user
  return dir;
}

function leftovers(): string {
  return docker(['ps', '-aq', '--filter', `label=${LABEL}`]).out.trim();
}

// In CI (.ci/run builds the image), a failed build is a failure, not a skip.
it.runIf(Boolean(process.env.GHL_IMAGE_ERROR))('the lab image builds', () => {
  expect(process.env.GHL_IMAGE_ERROR).toBeUndefined();
});

describe.skipIf(!image)('the lab image', () => {
  // The target is under 1 GB; today it is about 1.06 GB (Go root 173 MB, warmed build cache
  // 265 MB incl. the race detector's, module cache ~85 MB, gcc for -race ~180 MB). This guards
  // against growth while the target is worked on.
  it('stays under 1.1 GB', () => {
    const size = Number(docker(['image', 'inspect', image!, '--format', '{{.Size}}']).out.trim());
    console.log(`image size: ${(size / 1e6).toFixed(0)} MB`);
    expect(size).toBeLessThan(1.1e9);
  });

  it('serves the agent: lesson pages without a token, the API only with one', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const run = docker(['run', '-d', '--rm', '--label', LABEL, '--network', 'host', '-e', `AGENT_HOST=127.0.0.1`, '-e', `AGENT_PORT=${port}`, '-e', 'AGENT_TOKEN=test-token-0123456789abcdef', image!]);
    expect(run.code, run.err).toBe(0);
    const id = run.out.trim();
    try {
      let up = 0;
      for (let i = 0; i < 200; i++) {
        const r = await fetch(`http://127.0.0.1:${port}/api/health`, { headers: { authorization: 'Bearer test-token-0123456789abcdef' } }).catch(() => undefined);
        if (r?.ok) {
          up = Date.now() - t0;
          break;
        }
        await sleep(50);
      }
      console.log(`docker run to agent answering: ${up} ms`);
      expect(up).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${port}/api/labs`)).status).toBe(401);
      const labs = await (await fetch(`http://127.0.0.1:${port}/api/labs`, { headers: { authorization: 'Bearer test-token-0123456789abcdef' } })).json();
      expect(labs.map((l: { id: string }) => l.id)).toContain('slowloris');
      const page = await fetch(`http://127.0.0.1:${port}/labs/slowloris/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('slowloris');
      // The agent runs as the learner user, not root.
      const user = docker(['exec', id, 'ps', '-o', 'user=,args=', '-C', 'node']).out;
      expect(user).toMatch(/^learner\s/m);
      expect(user).not.toMatch(/^root\s/m);
    } finally {
      docker(['rm', '-f', id]);
    }
  });

  it('grades a solution (pass, exit 0) and a starter (fail, exit 1), offline', () => {
    const ok = docker(['run', '--rm', '--label', LABEL, '--network', 'none', image!, 'labs', 'check', 'slowloris', '--solution']);
    expect(ok.code, ok.out + ok.err).toBe(0);
    expect(ok.out).toMatch(/PASS slowloris/);
    const bad = docker(['run', '--rm', '--label', LABEL, '--network', 'none', image!, 'labs', 'check', 'slowloris']);
    expect(bad.code, bad.out + bad.err).toBe(1);
    expect(bad.out).toMatch(/slow-headers-closed/);
  });

  it('runs a kernel lab with NET_ADMIN + SYS_ADMIN, and skips it with the command to run it without them', () => {
    const withCaps = docker(['run', '--rm', '--label', LABEL, '--network', 'none', '--cap-add', 'NET_ADMIN', '--cap-add', 'SYS_ADMIN', image!, 'labs', 'check', 'port-exhaustion', '--solution'], 180_000);
    expect(withCaps.code, withCaps.out + withCaps.err).toBe(0);
    const without = docker(['run', '--rm', '--label', LABEL, '--network', 'none', image!, 'labs', 'check', 'port-exhaustion', '--solution']);
    expect(without.code).toBe(2);
    expect(without.out).toMatch(/SKIPPED .*needs CAP_NET_ADMIN and CAP_SYS_ADMIN/);
    expect(without.out).toMatch(/--cap-add NET_ADMIN --cap-add SYS_ADMIN/);
  });

  const limits = ['--network', 'none', '--memory', '1g', '--pids-limit', '512', '--cpus', '2', '-e', 'GHL_SERVER_MAX_PROCS=200'];
  for (const [name, expectation] of [
    ['no-compile', /your server did not compile: main\.go:\d+:\d+: syntax error/],
    ['never-listens', /did not listen on ADDR=127\.0\.0\.1:\d+ within 10 s/],
    ['fork-bomb', /FAIL slowloris/],
  ] as const) {
    it(`grades a submission that ${name.replace('-', ' ')}: a clear failing result within the time limit, nothing left running`, () => {
      const dir = submission(name);
      const out = tempDir('ghl-grade-out-');
      chmodSync(out, 0o777); // writable by the image's learner user
      const t0 = Date.now();
      const r = docker(
        ['run', '--rm', '--label', LABEL, ...limits, '-v', `${dir}:/work:ro`, '-v', `${out}:/out`, image!, 'labs', 'grade', '--repo', '/work', '--out', '/out', '--timeout', '120'],
        200_000,
      );
      const secs = (Date.now() - t0) / 1000;
      console.log(`${name}: exit ${r.code} in ${secs.toFixed(1)} s`);
      expect(r.code, r.out + r.err).toBe(1);
      expect(r.out).toMatch(expectation);
      expect(secs).toBeLessThan(150);
      const summary = readFileSync(join(out, 'summary.md'), 'utf8');
      expect(summary).toMatch(/0 of 1 labs passed/);
      expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(/<failure/);
      expect(leftovers()).toBe('');
      writeFileSync(join(out, 'done'), '');
    });
  }
});
