// @ts-check
// Bench helper: runs one js/wasm Go tool (compile.wasm or link.wasm) alone in this Node process,
// as go.mjs does, and prints {code, ms, maxRssBytes} as JSON: the tool's own peak resident memory.
//
//   node runtime/bench/run-tool.mjs TOOL.wasm ARGS.json
import { readFileSync } from 'node:fs';
import { runtimePaths } from '../toolchain/lib/paths.mjs';
import { runTool } from '../toolchain/lib/wasmtool.mjs';

const [tool, argsFile] = process.argv.slice(2);
if (!tool || !argsFile) {
  process.stderr.write('usage: node run-tool.mjs TOOL.wasm ARGS.json\n');
  process.exit(2);
}
const args = /** @type {string[]} */ (JSON.parse(readFileSync(argsFile, 'utf8')));
const r = await runTool(tool, args, { wasmExec: runtimePaths().wasmExec });
if (r.code !== 0) process.stderr.write(r.stdout + r.stderr);
process.stdout.write(JSON.stringify({ code: r.code, ms: r.ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n');
