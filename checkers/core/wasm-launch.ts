// How a js/wasm lab server is started: `node runtime/launcher/run-wasm.mjs [--max-files N] server.wasm`.
// The supervisor runs that command line exactly where it runs a native binary (same process
// group, parent-death signal, process limit, ADDR/ADMIN_ADDR environment).
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** The launcher; GHL_WASM_LAUNCHER points elsewhere (a bundle that ships its own copy). */
export function wasmLauncher(): string {
  return process.env.GHL_WASM_LAUNCHER ?? join(repoRoot, 'runtime', 'launcher', 'run-wasm.mjs');
}

export function isWasmBinary(path: string): boolean {
  return path.endsWith('.wasm');
}

export function wasmLaunchArgv(wasm: string, opts: { maxFiles?: number } = {}): string[] {
  return [process.execPath, wasmLauncher(), ...(opts.maxFiles ? ['--max-files', String(opts.maxFiles)] : []), wasm];
}
