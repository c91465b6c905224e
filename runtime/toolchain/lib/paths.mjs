// @ts-check
// Where the toolchain finds its pieces. The layout is the repository's (runtime/toolchain,
// runtime/launcher, runtime/dist); a WebContainer mounts the same tree, so relative paths hold.
// GHL_RUNTIME_DIST and GHL_WASM_LAUNCHER move them.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const libDir = dirname(fileURLToPath(import.meta.url));
const runtimeDir = resolve(libDir, '..', '..');

/**
 * @param {NodeJS.ProcessEnv} [env]
 */
export function runtimePaths(env = process.env) {
  const dist = resolve(env.GHL_RUNTIME_DIST || join(runtimeDir, 'dist'));
  const toolchain = join(dist, 'toolchain');
  return {
    dist,
    toolchain,
    compile: join(toolchain, 'compile.wasm'),
    link: join(toolchain, 'link.wasm'),
    packManifest: join(toolchain, 'pack.json'),
    wasmExec: join(dist, 'wasm_exec.js'),
    gofmt: join(dist, 'gofmt', 'gofmt_node.js'),
    launcher: resolve(env.GHL_WASM_LAUNCHER || join(runtimeDir, 'launcher', 'run-wasm.mjs')),
  };
}

/** @typedef {ReturnType<typeof runtimePaths>} RuntimePaths */
