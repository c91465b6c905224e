// The agent token: taken from ?token=, kept, stripped from the address bar.
import { describe, expect, it } from 'vitest';
import { captureToken, readToken, TOKEN_KEY } from '../lib/token.js';

class MemoryStore {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

describe('captureToken', () => {
  it('keeps the token in every store and strips only it from the URL', () => {
    const session = new MemoryStore();
    const local = new MemoryStore();
    const r = captureToken('http://127.0.0.1:4321/labs/x/?a=1&token=s3cret&b=2#workspace', [session, local]);
    expect(r).toEqual({ token: 's3cret', cleanUrl: '/labs/x/?a=1&b=2#workspace' });
    expect(session.getItem(TOKEN_KEY)).toBe('s3cret');
    expect(local.getItem(TOKEN_KEY)).toBe('s3cret');
  });

  it('reads the stored token when the URL has none, the tab store first', () => {
    const session = new MemoryStore();
    const local = new MemoryStore();
    local.setItem(TOKEN_KEY, 'old');
    expect(captureToken('http://h/', [session, local])).toEqual({ token: 'old', cleanUrl: null });
    session.setItem(TOKEN_KEY, 'tab');
    expect(readToken([session, local])).toBe('tab');
  });

  it('a new token replaces the old one', () => {
    const local = new MemoryStore();
    local.setItem(TOKEN_KEY, 'old');
    captureToken('http://h/?token=new', [local]);
    expect(local.getItem(TOKEN_KEY)).toBe('new');
  });

  it('an empty ?token= is stripped but does not erase the stored one', () => {
    const local = new MemoryStore();
    local.setItem(TOKEN_KEY, 'kept');
    expect(captureToken('http://h/x?token=', [local])).toEqual({ token: 'kept', cleanUrl: '/x' });
  });

  it('works when storage throws (privacy modes)', () => {
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    expect(captureToken('http://h/?token=t', [broken])).toEqual({ token: 't', cleanUrl: '/' });
    expect(readToken([broken])).toBeNull();
  });
});
