// The browser runtime, run natively: build a lab server for GOOS=js GOARCH=wasm with the runtime's
// std overlay (real TCP through Node, signals from Node) and run it under the launcher
// (wasm-launch.ts). `labs check <id> --runtime wasm` grades exactly what a learner's tab runs.
//
// Which compiler builds it: GHL_WASM_COMPILER
//   native (default)  the host's `go build` with GOOS=js GOARCH=wasm -overlay runtime/dist/overlay.json (fast, for CI)
//   wasm              runtime/toolchain/go.mjs, the `go` command shim that runs the compiler and linker
//                     as WebAssembly under Node (the in-tab path; no host Go)
// buildWasmServer is the one seam: whatever builds it returns the path of server.wasm.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RawConn } from './http/conn.js';
import { repoRoot } from './paths.js';
import { BuildError, GoMissingError, firstCompilerError, goBinary, goPackageArg, runBuild, type LabServer } from './supervisor.js';
import { wasmLauncher } from './wasm-launch.js';

export type WasmCompiler = 'native' | 'wasm';

/** A missing piece of the js/wasm toolchain: the environment, not the learner's code. */
export class WasmToolchainError extends GoMissingError {
  constructor(message: string) {
    super();
    this.message = message;
  }
}

export function wasmCompiler(): WasmCompiler {
  const v = (process.env.GHL_WASM_COMPILER ?? 'native').trim() || 'native';
  if (v !== 'native' && v !== 'wasm') throw new WasmToolchainError(`GHL_WASM_COMPILER=${v}: use "native" (host go build) or "wasm" (runtime/toolchain/go.mjs)`);
  return v;
}

/**
 * Load sizes under the browser runtime, measured on this 2-core machine with
 * runtime/bench/wasm-throughput.ts: handling a request costs about ten times the CPU under
 * js/wasm (keep-alive GET, 8 connections: 2.9k to 3.3k req/s warm, 1.4k cold, against 20k to 31k
 * native), while waiting costs the same (a handler that sleeps 20 ms, 4 connections: 179 against
 * 184 req/s), and a CPU-busy handler stalls every connection (no preemption). The labs' loads are
 * mostly waiting (slow clients, backends, timers), so a quarter of the load keeps the busy part of a
 * check within about 2.5x of its native time, and every browser lab reaches parity at this value
 * (runtime/bench/parity.ts, 3 rounds). Checkers size their load by it (and keep their floors).
 */
export const WASM_LOAD_SCALE = 0.25;

/** go build the lab package in `dir` for js/wasm into `outDir/server.wasm`. Throws BuildError with the first compiler error. */
export async function buildWasmServer(dir: string, entry: string, outDir: string, compiler: WasmCompiler = wasmCompiler()): Promise<string> {
  if (!existsSync(wasmLauncher())) throw new WasmToolchainError(`the js/wasm launcher is missing (${wasmLauncher()})`);
  const out = join(outDir, 'server.wasm');
  return compiler === 'wasm' ? buildWithWasmToolchain(dir, entry, out) : buildWithHostGo(dir, entry, out);
}

async function buildWithHostGo(dir: string, entry: string, out: string): Promise<string> {
  const go = goBinary();
  let overlayJson: string;
  try {
    const { generateOverlay } = await import('../../runtime/overlay/generate.js');
    overlayJson = generateOverlay().overlayJson;
  } catch (err) {
    throw new WasmToolchainError(`the js/wasm overlay could not be generated: ${(err as Error).message}`);
  }
  const env = { ...process.env, GOOS: 'js', GOARCH: 'wasm', GOTOOLCHAIN: 'local', GOFLAGS: process.env.GOFLAGS ?? '', CGO_ENABLED: '0' };
  const output = await runBuild(go, ['build', '-overlay', overlayJson, '-o', out, goPackageArg(entry)], dir, env);
  if (output.code !== 0) throw new BuildError(firstCompilerError(output.text, dir), output.text);
  return out;
}

/** The in-tab path: runtime/toolchain/go.mjs (a `go` command that runs as WebAssembly under Node). */
async function buildWithWasmToolchain(dir: string, entry: string, out: string): Promise<string> {
  const goMjs = join(repoRoot, 'runtime', 'toolchain', 'go.mjs');
  if (!existsSync(goMjs)) throw new WasmToolchainError(`GHL_WASM_COMPILER=wasm needs ${goMjs}: run npm run runtime:build`);
  const output = await runBuild(process.execPath, [goMjs, 'build', '-o', out, goPackageArg(entry)], dir, { ...process.env, GOOS: 'js', GOARCH: 'wasm' });
  if (output.code !== 0) {
    // go.mjs says "run npm run runtime:build" when its own assets are missing or stale: not the learner's code
    if (output.text.includes('npm run runtime:build')) throw new WasmToolchainError(output.text.trim().split('\n')[0]!.replace(/^go: /, ''));
    throw new BuildError(firstCompilerError(output.text, dir), output.text);
  }
  if (!existsSync(out)) throw new WasmToolchainError(`runtime/toolchain/go.mjs reported success but wrote no ${out}`);
  return out;
}

/**
 * V8 runs a fresh WebAssembly module on baseline code and compiles the hot functions again,
 * optimized, while it runs: a js/wasm server answers its first few thousand requests several
 * times slower than later (runtime/bench/wasm-throughput.ts). A probe in the first seconds would
 * measure that compilation, not the learner's code. So before the probes, a server with an
 * admin listener gets `requests` requests there (a path nobody serves: net/http's accept, parse,
 * route and write paths, the bridge and the scheduler warm up; the lab's handlers and state are
 * not touched). The connections are closed before the probes start.
 */
export async function warmUpWasmServer(server: LabServer, opts: { requests?: number; connections?: number; maxMs?: number } = {}): Promise<number> {
  if (!server.adminPort) return 0;
  const requests = opts.requests ?? 1000;
  const deadline = Date.now() + (opts.maxMs ?? 3000);
  let sent = 0;
  const conns: RawConn[] = [];
  try {
    await Promise.all(
      Array.from({ length: opts.connections ?? 4 }, async () => {
        while (sent < requests && Date.now() < deadline && !server.exitInfo()) {
          const conn = await RawConn.open('127.0.0.1', server.adminPort!, { timeoutMs: 2000 });
          conns.push(conn);
          // a new connection every 50 requests: the accept path warms up too
          for (let i = 0; i < 50 && sent < requests && Date.now() < deadline; i++) {
            sent++;
            await conn.request({ path: '/ghl-runtime-warm-up' }, 2000);
          }
          conn.close();
        }
      }),
    );
  } catch {
    /* a server that cannot take it is graded as it is */
  } finally {
    for (const c of conns) c.close();
  }
  return sent;
}
