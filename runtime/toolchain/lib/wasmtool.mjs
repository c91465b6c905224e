// @ts-check
// Runs a Go tool built for js/wasm (compile.wasm, link.wasm) inside this Node process, through the
// pinned wasm_exec.js. Node's fs is the real file system (a WebContainer's is its virtual one), so
// the tool reads sources and archives and writes its output like the native tool. Its stdout and
// stderr are captured, not printed: the go command decides what the learner sees.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';

/** @type {Map<string, Promise<WebAssembly.Module>>} compiled tool modules, per file */
const modules = new Map();
/** @type {Promise<void> | undefined} */
let goClass;
/** @type {{ 1: Buffer[]; 2: Buffer[] } | undefined} the running tool's output */
let capture;
/** one tool at a time: wasm_exec's globals are shared */
let queue = Promise.resolve();
let tuned = false;

/**
 * V8's default tiering for a module of this size (cmd/compile is ~48 MB of wasm) spends seconds in
 * optimizing compiles that a short compiler run never pays back: baseline code only (Liftoff) runs
 * `compile` about 5x faster here (runtime/bench/toolchain.ts). Where the flag cannot be set
 * (a WebContainer's Node), the engine's defaults apply. GHL_WASM_TIERING=default keeps them.
 */
async function tuneV8() {
  if (tuned) return;
  tuned = true;
  if (process.env.GHL_WASM_TIERING === 'default') return;
  try {
    const v8 = await import('node:v8');
    v8.setFlagsFromString('--liftoff-only');
  } catch {
    /* not Node's v8: keep the engine's defaults */
  }
}

/**
 * wasm_exec.js reads globalThis.fs at every call: give it Node's fs with the standard streams
 * diverted into the current capture.
 */
function installGlobals() {
  const real = fs;
  /** @param {number} fd @param {Uint8Array} buf */
  const grab = (fd, buf) => {
    if (!capture || (fd !== 1 && fd !== 2)) return false;
    capture[fd].push(Buffer.from(buf));
    return true;
  };
  const wrapped = Object.create(real, {
    writeSync: {
      value: (/** @type {number} */ fd, /** @type {Uint8Array} */ buf, /** @type {unknown[]} */ ...rest) =>
        grab(fd, buf) ? buf.length : /** @type {any} */ (real.writeSync)(fd, buf, ...rest),
    },
    write: {
      value: (
        /** @type {number} */ fd,
        /** @type {Uint8Array} */ buf,
        /** @type {number} */ offset,
        /** @type {number} */ length,
        /** @type {number | null} */ position,
        /** @type {(err: Error | null, n?: number) => void} */ callback,
      ) => {
        if (grab(fd, buf.subarray(offset, offset + length))) {
          process.nextTick(() => callback(null, length));
          return;
        }
        real.write(fd, buf, offset, length, position, callback);
      },
    },
  });
  /** @type {any} */ (globalThis).fs = wrapped;
  /** @type {any} */ (globalThis).path ??= path;
}

/** @param {string} wasmExec */
function loadGo(wasmExec) {
  goClass ??= (async () => {
    installGlobals();
    await import(pathToFileURL(wasmExec).href);
    if (typeof (/** @type {any} */ (globalThis).Go) !== 'function') throw new Error(`${wasmExec} did not define Go`);
  })();
  return goClass;
}

/** @param {string} file */
function loadModule(file) {
  let m = modules.get(file);
  if (!m) {
    m = fs.promises.readFile(file).then((bytes) => WebAssembly.compile(bytes));
    modules.set(file, m);
  }
  return m;
}

/**
 * Drops a tool's compiled module (its machine code is tens of MB): the compiler's is not needed
 * while the linker runs.
 * @param {string} wasmFile
 */
export function forgetTool(wasmFile) {
  modules.delete(wasmFile);
}

/**
 * @typedef {{ code: number; stdout: string; stderr: string; ms: number }} ToolResult
 */

/**
 * Runs one tool to completion. Resolves with its exit code and output; rejects only when the tool
 * cannot be started (missing files).
 * @param {string} wasmFile the tool (compile.wasm, link.wasm)
 * @param {string[]} args its arguments (argv[1:])
 * @param {{ wasmExec: string; env?: Record<string, string> }} opts
 * @returns {Promise<ToolResult>}
 */
export function runTool(wasmFile, args, opts) {
  const run = queue.then(() => runNow(wasmFile, args, opts));
  queue = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

/**
 * @param {string} wasmFile
 * @param {string[]} args
 * @param {{ wasmExec: string; env?: Record<string, string> }} opts
 * @returns {Promise<ToolResult>}
 */
async function runNow(wasmFile, args, opts) {
  const started = Date.now();
  await tuneV8();
  await loadGo(opts.wasmExec);
  const mod = await loadModule(wasmFile);
  const Go = /** @type {any} */ (globalThis).Go;
  const go = new Go();
  go.argv = [path.basename(wasmFile, '.wasm'), ...args];
  // A clean environment: the host's GOEXPERIMENT or GOWASM must not change what the tool emits,
  // or its output would not match the precompiled archives.
  go.env = { GOOS: 'js', GOARCH: 'wasm', GOROOT: '', TMPDIR: tmpdir(), ...opts.env };
  let code = 0;
  go.exit = (/** @type {number} */ c) => {
    code = c;
  };
  const instance = await WebAssembly.instantiate(mod, go.importObject);
  const out = { 1: /** @type {Buffer[]} */ ([]), 2: /** @type {Buffer[]} */ ([]) };
  capture = out;
  // A tool that waits for an fs callback that never comes would let Node's loop drain: report it
  // instead of exiting silently with 0.
  /** @type {() => void} */
  let stalled = () => {};
  const onBeforeExit = () => stalled();
  process.once('beforeExit', onBeforeExit);
  try {
    await Promise.race([
      go.run(instance),
      new Promise((resolve) => {
        stalled = () => {
          code = 2;
          out[2].push(Buffer.from(`${go.argv[0]}: stalled (all goroutines asleep waiting for the host)\n`));
          resolve(undefined);
        };
      }),
    ]);
  } finally {
    process.removeListener('beforeExit', onBeforeExit);
    capture = undefined;
  }
  const ms = Date.now() - started;
  const stats = process.env.GHL_GO_TOOL_STATS;
  if (stats) {
    // Go's linear memory never shrinks: its size at exit is the tool's peak heap.
    const mem = /** @type {WebAssembly.Memory | undefined} */ (instance.exports.mem);
    const line = { tool: go.argv[0], args, code, ms, wasmMemoryBytes: mem?.buffer.byteLength ?? 0 };
    fs.appendFileSync(stats, JSON.stringify(line) + '\n');
  }
  return { code, stdout: Buffer.concat(out[1]).toString('utf8'), stderr: Buffer.concat(out[2]).toString('utf8'), ms };
}
