// The small pure pieces: path checks, log following, encoding negotiation, token table, check queue.
import { describe, expect, it } from 'vitest';
import { Auth } from '../auth.js';
import { CheckQueue } from '../check.js';
import { safeRelPath } from '../files.js';
import { newLines } from '../run.js';
import { acceptedEncodings } from '../static.js';

describe('safeRelPath', () => {
  it('accepts plain relative paths and decodes them', () => {
    expect(safeRelPath('main.go')).toBe('main.go');
    expect(safeRelPath('cmd/server/main.go')).toBe('cmd/server/main.go');
    expect(safeRelPath('a%20b.txt')).toBe('a b.txt');
    expect(safeRelPath('.gitignore')).toBe('.gitignore');
  });
  it.each(['', '..', '../x', 'a/../../x', '%2e%2e/x', '/etc/passwd', '%2Fetc', 'a%00b', 'a\\..\\b', 'a//b', './a', '%E0%A4%A'])('refuses %j', (p) => {
    expect(() => safeRelPath(p)).toThrow(/bad path/);
  });
});

describe('newLines', () => {
  it('takes the new tail while the buffer grows', () => {
    expect(newLines([], ['a', 'b'])).toEqual(['a', 'b']);
    expect(newLines(['a', 'b'], ['a', 'b', 'c'])).toEqual(['c']);
    expect(newLines(['a', 'b'], ['a', 'b'])).toEqual([]);
  });
  it('follows a full window that slides', () => {
    expect(newLines(['1', '2', '3', '4'], ['3', '4', '5', '6'])).toEqual(['5', '6']);
  });
  it('continues a line that was unfinished', () => {
    expect(newLines(['a', 'listen'], ['a', 'listening', 'b'])).toEqual(['ing', 'b']);
  });
  it('says so when it lost track', () => {
    expect(newLines(['x', 'y', 'z'], ['p', 'q'])[0]).toMatch(/output skipped/);
  });
});

describe('acceptedEncodings', () => {
  it('orders br before gzip and honours q=0', () => {
    expect(acceptedEncodings('gzip, deflate, br')).toEqual(['br', 'gzip']);
    expect(acceptedEncodings('gzip')).toEqual(['gzip']);
    expect(acceptedEncodings('br;q=0, gzip;q=0.5')).toEqual(['gzip']);
    expect(acceptedEncodings('*')).toEqual(['br', 'gzip']);
    expect(acceptedEncodings(undefined)).toEqual([]);
    expect(acceptedEncodings('identity')).toEqual([]);
  });
});

describe('Auth', () => {
  it('maps tokens to learners and refuses everything else', () => {
    const a = new Auth({ 'token-for-alice-0123456789': 'alice', 'token-for-bob-0123456789ab': 'bob' });
    expect(a.learnerFor('token-for-alice-0123456789')).toBe('alice');
    expect(a.learnerFor('token-for-bob-0123456789ab')).toBe('bob');
    expect(a.learnerFor('token-for-alice-012345678')).toBeUndefined();
    expect(a.learnerFor('')).toBeUndefined();
    expect(a.learnerFor(undefined)).toBeUndefined();
    expect(() => new Auth({ short: 'x' })).toThrow(/16/);
    expect(() => new Auth({ 'token-for-eve-0123456789': '../eve' })).toThrow(/learner id/);
  });
});

describe('CheckQueue', () => {
  it('runs one at a time, in order, and tells the waiting ones their place', async () => {
    const q = new CheckQueue();
    const order: string[] = [];
    const positions: Record<string, number[]> = { b: [], c: [] };
    const r1 = await q.acquire(new AbortController().signal, () => {});
    const p2 = q.acquire(new AbortController().signal, (n) => positions.b!.push(n)).then((r) => (order.push('b'), r));
    const ac3 = new AbortController();
    const p3 = q.acquire(ac3.signal, (n) => positions.c!.push(n)).then((r) => (order.push('c'), r));
    const p4 = q.acquire(new AbortController().signal, () => {}).then((r) => (order.push('d'), r));
    ac3.abort(); // c leaves the queue
    expect(await p3).toBeUndefined();
    r1!();
    const r2 = await p2;
    r2!();
    const r4 = await p4;
    r4!();
    expect(order).toEqual(['c', 'b', 'd']);
    expect(positions.b).toEqual([1]);
    expect(positions.c).toEqual([2]);
    expect(q.length).toBe(0);
  });
});
