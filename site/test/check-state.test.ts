// The reducer that turns the checker's events into the Check panel's state.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckEvent, ProbeResult, Verdict } from '../../checkers/core/verdict.js';
import {
  announcement,
  checkFailed,
  checkStopped,
  countProbes,
  initialCheckState,
  maxServerLogLines,
  reduceCheck,
  type CheckState,
} from '../workspace/check-state.js';

const replay = (events: CheckEvent[], from: CheckState = initialCheckState) => events.reduce(reduceCheck, from);

const result = (id: string, status: ProbeResult['status'], extra: Partial<ProbeResult> = {}): ProbeResult => ({
  id,
  title: `${id} title`,
  passed: status === 'passed',
  status,
  expected: 'e',
  measured: 'm',
  explanation: 'x',
  durationMs: 1,
  ...extra,
});

const verdict = (probes: ProbeResult[], extra: Partial<Verdict> = {}): Verdict => ({
  lab: 'lab',
  passed: probes.every((p) => p.passed),
  status: probes.every((p) => p.passed) ? 'passed' : 'failed',
  durationMs: 10,
  target: 'workspace/lab',
  runtime: 'agent',
  probes,
  ...extra,
});

const start: CheckEvent = { type: 'check-start', lab: 'lab', target: 'workspace/lab', probes: [{ id: 'a', title: 'A' }, { id: 'b', title: 'B' }] };

describe('reduceCheck', () => {
  it('lists the probes as pending when the check starts', () => {
    const s = replay([start]);
    expect(s.phase).toBe('running');
    expect(s.probes.map((p) => [p.id, p.status])).toEqual([
      ['a', 'pending'],
      ['b', 'pending'],
    ]);
  });

  it('follows a probe through running, progress and its result', () => {
    let s = replay([start, { type: 'phase', phase: 'build', message: 'go build .' }]);
    expect(s.message).toBe('go build .');
    s = replay([{ type: 'probe-start', id: 'a', title: 'A' }, { type: 'probe-progress', id: 'a', message: '20 connections open' }], s);
    expect(s.probes[0]).toMatchObject({ status: 'running', progress: '20 connections open' });
    s = reduceCheck(s, { type: 'probe-end', result: result('a', 'failed', { hint: 'h' }) });
    expect(s.probes[0]).toMatchObject({ status: 'failed', progress: undefined, result: { hint: 'h' } });
    expect(s.probes[1]!.status).toBe('pending');
  });

  it('changes only the rows an event touches (the view re-renders by identity)', () => {
    const s1 = replay([start]);
    const s2 = reduceCheck(s1, { type: 'probe-start', id: 'b', title: 'B' });
    expect(s2.probes[0]).toBe(s1.probes[0]);
    expect(s2.probes[1]).not.toBe(s1.probes[1]);
    const s3 = reduceCheck(s2, { type: 'server-log', line: 'x' });
    expect(s3.probes).toBe(s2.probes);
  });

  it('adds probes it was not told about', () => {
    const s = replay([start, { type: 'probe-end', result: result('late', 'inconclusive') }]);
    expect(s.probes.map((p) => p.id)).toEqual(['a', 'b', 'late']);
  });

  it('ignores events it does not know (server-start, future ones)', () => {
    const s1 = replay([start]);
    expect(reduceCheck(s1, { type: 'server-start', pid: 1, url: 'http://127.0.0.1:1' })).toBe(s1);
    expect(reduceCheck(s1, { type: 'brand-new' } as unknown as CheckEvent)).toBe(s1);
  });

  it('caps the server log', () => {
    let s = replay([start]);
    for (let i = 0; i < maxServerLogLines + 50; i++) s = reduceCheck(s, { type: 'server-log', line: `line ${i}` });
    expect(s.serverLog).toHaveLength(maxServerLogLines);
    expect(s.serverLog.at(-1)).toBe(`line ${maxServerLogLines + 49}`);
  });

  it('takes the verdict as final: results win, unfinished probes are skipped', () => {
    const s = replay([start, { type: 'probe-start', id: 'a', title: 'A' }, { type: 'check-end', verdict: verdict([result('a', 'passed')]) }]);
    expect(s.phase).toBe('done');
    expect(s.probes.map((p) => p.status)).toEqual(['passed', 'skipped']);
    expect(countProbes(s)).toEqual({ total: 2, passed: 1, failed: 0, inconclusive: 0, skipped: 1 });
  });

  it('a build error is an error phase with the message; a skipped check is done', () => {
    const build = verdict([], { passed: false, status: 'error', error: { kind: 'build', message: 'main.go:3: syntax error', details: 'full output' } });
    const s = replay([start, { type: 'check-end', verdict: build }]);
    expect(s).toMatchObject({ phase: 'error', message: 'main.go:3: syntax error' });
    expect(s.probes.every((p) => p.status === 'skipped')).toBe(true);
    const skipped = verdict([], { passed: false, status: 'skipped', error: { kind: 'skipped', message: 'no kernel tooling' } });
    expect(replay([start, { type: 'check-end', verdict: skipped }]).phase).toBe('done');
  });

  it('a lost connection or a stop settles the running probes', () => {
    const running = replay([start, { type: 'probe-start', id: 'a', title: 'A' }]);
    expect(checkFailed(running, 'connection lost')).toMatchObject({ phase: 'error', message: 'connection lost' });
    expect(checkStopped(running).probes.map((p) => p.status)).toEqual(['skipped', 'skipped']);
  });

  it('replays a recorded check of the slowloris starter', () => {
    const events = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'check-events', 'slowloris-starter.json'), 'utf8')) as CheckEvent[];
    const s = replay(events);
    expect(s.phase).toBe('done');
    expect(s.verdict?.passed).toBe(false);
    const byId = Object.fromEntries(s.probes.map((p) => [p.id, p.status]));
    expect(byId).toMatchObject({ serves: 'passed', 'slow-headers-closed': 'failed', 'available-under-attack': 'failed' });
    expect(s.probes.find((p) => p.id === 'slow-headers-closed')?.result?.series?.map((x) => x.kind)).toEqual(['line', 'line']);
    expect(s.serverLog.length).toBeGreaterThan(0);
  });
});

describe('announcement', () => {
  const strings = {
    started: () => 'started',
    probe: (title: string, status: string) => `${title}: ${status}`,
    finished: (v: Verdict, c: { failed: number; total: number }) => `${v.passed ? 'passed' : 'failed'} ${c.failed}/${c.total}`,
  };
  it('speaks at start, at each result and at the end, and not for progress or logs', () => {
    const s1 = reduceCheck(initialCheckState, start);
    expect(announcement(start, s1, strings)).toBe('started');
    const end: CheckEvent = { type: 'probe-end', result: result('a', 'failed') };
    expect(announcement(end, reduceCheck(s1, end), strings)).toBe('a title: failed');
    const done: CheckEvent = { type: 'check-end', verdict: verdict([result('a', 'failed'), result('b', 'passed')]) };
    expect(announcement(done, reduceCheck(s1, done), strings)).toBe('failed 1/2');
    expect(announcement({ type: 'probe-progress', id: 'a', message: 'm' }, s1, strings)).toBeNull();
    expect(announcement({ type: 'server-log', line: 'l' }, s1, strings)).toBeNull();
  });
});
