// The engine under bad input: code that does not compile, never listens, exits, hangs;
// a missing Go toolchain; and nothing left behind, also after Ctrl-C or SIGKILL.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLab } from '../core/manifest.js';
import { runCheck } from '../core/runner.js';
import { defineChecker, scenario } from '../core/spec.js';
import { runCheckSettled } from '../core/verify.js';
import type { CheckEvent } from '../core/verdict.js';
import { toJUnit } from '../core/report/junit.js';
import { alive, fixtures, isListening, labServerPids, labsBin, pidsByCmdline, runCli } from './helpers.js';

const lab = loadLab('slowloris');
const overlay = (name: string) => ({ kind: 'overlay' as const, dir: join(fixtures, 'servers', name), label: name });

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

describe('bad learner code becomes a clear verdict', () => {
  it('a compile error names the file, line and message', async () => {
    const v = await runCheck({ lab, target: overlay('compile-error') });
    expect(v.passed).toBe(false);
    expect(v.error?.kind).toBe('build');
    expect(v.error?.message).toMatch(/^your server did not compile: main\.go:8:1: syntax error/);
    expect(v.probes.map((p) => p.id)).toEqual(['server-start']);
  });

  it('a server that never listens fails after the start timeout, not a hang', async () => {
    const t0 = Date.now();
    const v = await runCheck({ lab, target: overlay('never-listens') });
    expect(v.error?.kind).toBe('start');
    expect(v.error?.message).toMatch(/did not listen on ADDR=127\.0\.0\.1:\d+ within 10 s/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(labServerPids()).toEqual([]);
  });

  it('a server that exits early shows its exit code and last log line', async () => {
    const v = await runCheck({ lab, target: overlay('exits-early') });
    expect(v.error?.kind).toBe('start');
    expect(v.error?.message).toMatch(/exited before it listened .*exit code 1.*config file \/etc\/catalog\.yaml/);
  });

  it('a server that accepts but never answers is graded within the deadlines and killed with its children', async () => {
    const before = new Set(pidsByCmdline('sleep 3600'));
    const events: CheckEvent[] = [];
    const t0 = Date.now();
    const v = await runCheck({ lab, target: overlay('hangs-forever'), sink: (e) => events.push(e) });
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(v.passed).toBe(false);
    expect(v.probes.find((p) => p.id === 'serves')?.status).toBe('failed');
    const start = events.find((e) => e.type === 'server-start') as Extract<CheckEvent, { type: 'server-start' }>;
    expect(alive(start.pid)).toBe(false);
    const port = Number(new URL(start.url).port);
    expect(isListening(port)).toBe(false);
    const leftover = pidsByCmdline('sleep 3600').filter((p) => !before.has(p));
    expect(leftover).toEqual([]);
  });

  it('a missing Go toolchain is an environment error (exit 2) that says what to do', async () => {
    const r = await runCli(['check', 'slowloris'], { GO: '/nonexistent/go' });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/Go toolchain was not found.*Docker lab image/);
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['check', 'no-such-lab'])).code).toBe(2);
    expect((await runCli(['check', 'slowloris', '--dir', '/nonexistent'])).code).toBe(2);
    expect((await runCli(['check', 'slowloris', '--dir', '.', '--solution'])).code).toBe(2);
  });
});

describe('nothing is left behind', () => {
  async function interrupted(signal: NodeJS.Signals) {
    const child = spawn(process.execPath, [labsBin, 'check', 'slowloris', '--events'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let server: { pid: number; port: number; adminPort: number } | undefined;
    let tmpDirSeen = false;
    const probing = new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        buf += d;
        for (const line of buf.split('\n').slice(0, -1)) {
          const e = JSON.parse(line) as CheckEvent;
          if (e.type === 'server-start') {
            server = { pid: e.pid, port: Number(new URL(e.url).port), adminPort: Number(new URL(e.adminUrl!).port) };
          }
          if (e.type === 'probe-start' && e.id === 'slow-headers-closed') resolve();
        }
        buf = buf.slice(buf.lastIndexOf('\n') + 1);
      });
    });
    await probing;
    await new Promise((r) => setTimeout(r, 1500)); // mid-attack
    expect(server && alive(server.pid)).toBe(true);
    tmpDirSeen = labServerPids(child.pid).length > 0;
    expect(tmpDirSeen).toBe(true);
    child.kill(signal);
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(await until(() => !alive(server!.pid), 3000)).toBe(true);
    expect(isListening(server!.port)).toBe(false);
    expect(isListening(server!.adminPort)).toBe(false);
    return { code, owner: child.pid! };
  }

  it('Ctrl-C during a probe kills the server and frees its ports', async () => {
    const { code, owner } = await interrupted('SIGINT');
    expect(code).toBe(130);
    expect(labServerPids(owner)).toEqual([]);
  });

  it('SIGKILL of the checker still takes the server down (parent-death signal)', async () => {
    const { owner } = await interrupted('SIGKILL');
    expect(await until(() => labServerPids(owner).length === 0, 3000)).toBe(true);
  });
});

describe('reporters', () => {
  it('JUnit has a testcase per probe, failures with expected and measured', async () => {
    const v = await runCheck({ lab, target: overlay('compile-error') });
    const xml = toJUnit([v]);
    expect(xml).toContain('<testsuite name="slowloris"');
    expect(xml).toContain('name="server-start: Your server builds and listens on ADDR"');
    expect(xml).toMatch(/<failure message="your server did not compile: main\.go:8:1/);
  });

  it('--json prints the verdict and --junit writes the file; exit 1 on a failing check', async () => {
    const file = join(process.env.TMPDIR ?? '/tmp', `ghl-junit-${process.pid}.xml`);
    const r = await runCli(['check', 'slowloris', '--overlay', join(fixtures, 'servers', 'compile-error'), '--json', '--junit', file]);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.stdout);
    expect(v).toMatchObject({ lab: 'slowloris', passed: false, status: 'failed' });
    const { readFileSync, rmSync } = await import('node:fs');
    expect(readFileSync(file, 'utf8')).toContain('<testsuites');
    rmSync(file);
  });
});

describe('inconclusive measurements', () => {
  // A probe that the machine spoiled once (say, the server was starved) and then measures fine.
  function flakyOnce(outcomes: ('inconclusive' | boolean)[]) {
    let run = 0;
    return defineChecker({
      lab: 'slowloris',
      scenarios: [
        scenario({
          title: 'a measurement',
          deadlineMs: 5_000,
          run: async () => ({ outcome: outcomes[Math.min(run++, outcomes.length - 1)]! }),
          checks: [{ id: 'measured', title: 'the measurement', expected: 'ok', measured: (m) => String(m.outcome), pass: (m) => m.outcome, explanation: 'test' }],
        }),
      ],
    });
  }

  it('runCheckSettled runs an inconclusive check once more from a fresh server, and only once', async () => {
    const retried: string[] = [];
    const settled = await runCheckSettled({ lab, target: { kind: 'solution' }, spec: flakyOnce(['inconclusive', true]) }, (v) => retried.push(v.status));
    expect(retried).toEqual(['inconclusive']);
    expect(settled).toMatchObject({ passed: true, status: 'passed' });

    const twice: string[] = [];
    const still = await runCheckSettled({ lab, target: { kind: 'solution' }, spec: flakyOnce(['inconclusive', 'inconclusive', true]) }, (v) => twice.push(v.status));
    expect(twice).toHaveLength(1);
    expect(still.status).toBe('inconclusive');
  });

  it('runCheckSettled never re-runs a failed or passed check', async () => {
    let retries = 0;
    const failed = await runCheckSettled({ lab, target: { kind: 'solution' }, spec: flakyOnce([false, true]) }, () => retries++);
    expect(failed.status).toBe('failed');
    expect(retries).toBe(0);
  });
});
