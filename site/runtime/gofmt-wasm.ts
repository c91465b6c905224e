// gofmt compiled to WebAssembly (@wasm-fmt/gofmt), loaded on first need: the browser runtime's
// formatter, and the workspace's fallback when a runtime cannot format.
import { FormatError } from './types.js';

let wasm: Promise<(source: string) => string> | null = null;

function load(): Promise<(source: string) => string> {
  wasm ??= import('@wasm-fmt/gofmt/vite')
    .then(async (m) => {
      await m.default();
      return m.format;
    })
    .catch((err: unknown) => {
      wasm = null; // a failed download may work next time
      throw err;
    });
  return wasm;
}

/** Formats Go source in the tab; rejects with FormatError when it does not parse. */
export async function formatInTab(source: string): Promise<string> {
  const format = await load();
  try {
    return format(source);
  } catch (err) {
    throw new FormatError(String((err as Error)?.message ?? err));
  }
}
