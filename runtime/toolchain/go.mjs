#!/usr/bin/env node
// @ts-check
// `go` for a shell that has only Node (a WebContainer's jsh): the browser runtime's Go command.
// It compiles and links with cmd/compile and cmd/link built for js/wasm, running as WebAssembly
// in this Node process, against precompiled js/wasm archives (runtime/dist/toolchain), and runs
// programs with runtime/launcher/run-wasm.mjs. No native Go is involved.
//
//   go version | go env [-json] [VAR...] | go build [-o OUT] [build flags] [package | files]
//   go run [build flags] package|files [arguments...] | go fmt [package]
//
// Compiler errors read as go prints them ("# example.com/slowloris" then "./main.go:8:1: ..."),
// exit codes are go's; vet, test, mod and get say that they need the Docker or native runtime.
// Assets: runtime/dist (GHL_RUNTIME_DIST), runtime/launcher/run-wasm.mjs (GHL_WASM_LAUNCHER); build cache:
// GHL_GO_CACHE or ~/.cache/ghl-go-wasm.
import { goCommand } from './lib/cli.mjs';

// A reader that went away (go env | head -1): stop quietly, as go does on SIGPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'EPIPE') process.exit(0);
    throw err;
  });
}

const code = await goCommand(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
});
process.exitCode = code;
