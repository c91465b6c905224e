// Format-on-save: the runtime's gofmt, the WebAssembly fallback, and the minimal edit.
import { describe, expect, it, vi } from 'vitest';
import { formatGo, minimalEdit } from '../workspace/format.js';
import { FormatError, type Runtime } from '../runtime/types.js';

// The browser build loads the WebAssembly through Vite's ?init; Node loads the same module directly.
vi.mock('@wasm-fmt/gofmt/vite', async () => {
  const node = await import('@wasm-fmt/gofmt/node');
  return { default: async () => undefined, format: node.format };
});

const apply = (before: string, e: ReturnType<typeof minimalEdit>) => (e ? before.slice(0, e.start) + e.text + before.slice(e.end) : before);

describe('minimalEdit', () => {
  it('replaces only what changed', () => {
    const before = 'package main\nfunc main(){\nx:=1\n}\n';
    const after = 'package main\n\nfunc main() {\n\tx := 1\n}\n';
    const e = minimalEdit(before, after)!;
    expect(apply(before, e)).toBe(after);
    expect(e.start).toBe('package main\n'.length);
    expect(before.length - e.end).toBe('1\n}\n'.length);
  });

  it('handles no change, insertions, deletions and repeated characters', () => {
    expect(minimalEdit('same', 'same')).toBeNull();
    for (const [a, b] of [
      ['', 'x'],
      ['x', ''],
      ['aaa', 'aaaa'],
      ['aaaa', 'aa'],
      ['ab', 'ba'],
      ['a\tb', 'a b'],
    ] as const) {
      expect(apply(a, minimalEdit(a, b)), `${a} -> ${b}`).toBe(b);
    }
  });
});

const runtimeWith = (format: Runtime['format']) => ({ format }) as unknown as Runtime;

describe('formatGo', () => {
  it('uses the runtime', async () => {
    expect(await formatGo(runtimeWith(async () => 'formatted'), 'src')).toBe('formatted');
  });

  it("passes the runtime's syntax errors through", async () => {
    await expect(formatGo(runtimeWith(async () => Promise.reject(new FormatError('1:5: expected'))), 'src')).rejects.toThrow('1:5: expected');
  });

  it('falls back to gofmt in WebAssembly when the runtime cannot format', async () => {
    const broken = runtimeWith(async () => Promise.reject(new TypeError('Failed to fetch')));
    expect(await formatGo(broken, 'package main\nfunc main(){\nprintln( 1 )\n}\n')).toBe('package main\n\nfunc main() {\n\tprintln(1)\n}\n');
    await expect(formatGo(null, 'package main\nfunc {')).rejects.toBeInstanceOf(FormatError);
  });
});
