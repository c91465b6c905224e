// gofmt for format-on-save: the runtime's (the real gofmt of its Go toolchain), else gofmt
// compiled to WebAssembly (@wasm-fmt/gofmt, loaded on first need).
import { FormatError, type Runtime } from '../runtime/types.js';
import { formatInTab } from '../runtime/gofmt-wasm.js';

/** Formats Go source; rejects with FormatError when it does not parse. */
export async function formatGo(runtime: Runtime | null, source: string): Promise<string> {
  if (runtime) {
    try {
      return await runtime.format(source);
    } catch (err) {
      if (err instanceof FormatError) throw err;
      // The runtime could not format (no agent, old agent, network): fall back to WebAssembly.
    }
  }
  return formatInTab(source);
}

/**
 * The smallest single replacement that turns `before` into `after`: the common prefix and
 * suffix stay, so the cursor and the undo stack stay where the learner left them.
 */
export function minimalEdit(before: string, after: string): { start: number; end: number; text: string } | null {
  if (before === after) return null;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before.charCodeAt(endB - 1) === after.charCodeAt(endA - 1)) {
    endB--;
    endA--;
  }
  return { start, end: endB, text: after.slice(start, endA) };
}
