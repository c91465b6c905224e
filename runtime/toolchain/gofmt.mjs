#!/usr/bin/env node
// @ts-check
// `gofmt` for a shell that has only Node: gofmt [-l] [-w] [path ...], stdin to stdout without
// paths; @wasm-fmt/gofmt underneath (copied into runtime/dist/gofmt by the build).
import { gofmtCommand } from './lib/fmt.mjs';

// A reader that went away (go env | head -1): stop quietly, as go does on SIGPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'EPIPE') process.exit(0);
    throw err;
  });
}

const code = await gofmtCommand(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  stdin: async () => {
    const chunks = [];
    for await (const c of process.stdin) chunks.push(c);
    return Buffer.concat(chunks).toString('utf8');
  },
});
process.exitCode = code;
