// The lab status store (localStorage): not started / failing / passed.
import { describe, expect, it } from 'vitest';
import { readStatuses, recordVerdict, STATUS_KEY, statusAfter, statusOf } from '../lib/status.js';
import type { Verdict } from '../../checkers/core/verdict.js';

class MemoryStore {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

const verdict = (lab: string, status: Verdict['status'], probes: boolean[] = [true, false]): Verdict => ({
  lab,
  passed: status === 'passed',
  status,
  durationMs: 1000,
  target: 'workspace',
  runtime: 'agent',
  probes: probes.map((passed, i) => ({
    id: `p${i}`,
    title: `P${i}`,
    passed,
    status: passed ? 'passed' : 'failed',
    expected: '',
    measured: '',
    explanation: '',
    durationMs: 1,
  })),
});

describe('status store', () => {
  it('starts at not-started', () => {
    expect(statusOf(new MemoryStore(), 'slowloris')).toBe('not-started');
    expect(statusOf(undefined, 'slowloris')).toBe('not-started');
  });

  it('records failing, then passed, with probe counts', () => {
    const store = new MemoryStore();
    expect(recordVerdict(store, verdict('slowloris', 'failed'), 1)).toBe('failing');
    expect(statusOf(store, 'slowloris')).toBe('failing');
    expect(recordVerdict(store, verdict('slowloris', 'passed', [true, true]), 2)).toBe('passed');
    expect(readStatuses(store)['slowloris']).toEqual({ status: 'passed', at: 2, probesPassed: 2, probesTotal: 2 });
  });

  it('keeps labs apart', () => {
    const store = new MemoryStore();
    recordVerdict(store, verdict('a', 'passed', [true]));
    recordVerdict(store, verdict('b', 'failed'));
    expect([statusOf(store, 'a'), statusOf(store, 'b'), statusOf(store, 'c')]).toEqual(['passed', 'failing', 'not-started']);
  });

  it('an inconclusive or skipped check changes nothing; a build error fails', () => {
    expect(statusAfter('passed', { passed: false, status: 'inconclusive' })).toBe('passed');
    expect(statusAfter('not-started', { passed: false, status: 'skipped' })).toBe('not-started');
    expect(statusAfter('passed', { passed: false, status: 'error' })).toBe('failing');
    const store = new MemoryStore();
    recordVerdict(store, verdict('a', 'passed', [true]), 5);
    recordVerdict(store, verdict('a', 'inconclusive'), 6);
    expect(readStatuses(store)['a']?.at).toBe(5);
  });

  it('survives corrupt or foreign data, and a store that throws', () => {
    const store = new MemoryStore();
    for (const junk of ['not json', '[]', 'null', '{"a":{"status":"won"},"b":{"status":"passed","at":3}}']) {
      store.setItem(STATUS_KEY, junk);
      expect(() => readStatuses(store)).not.toThrow();
    }
    expect(readStatuses(store)).toEqual({ b: { status: 'passed', at: 3, probesPassed: 0, probesTotal: 0 } });
    const throwing = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    expect(statusOf(throwing, 'a')).toBe('not-started');
    expect(recordVerdict(throwing, verdict('a', 'failed'))).toBe('failing');
  });
});
