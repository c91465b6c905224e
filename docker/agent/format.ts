// Format: gofmt from the Go toolchain, source on stdin. A syntax error is the learner's, not ours:
// 422 with gofmt's message ("3:1: expected declaration, found x"). Without a Go toolchain the
// WebAssembly build of gofmt (@wasm-fmt/gofmt) stands in, so reading lessons without Go still formats.
import { spawn } from 'node:child_process';
import { HttpError } from './respond.js';
import { toolchain } from './toolchain.js';

const timeoutMs = 10_000;

export async function formatGo(source: string): Promise<string> {
  const gofmt = toolchain().gofmt;
  return gofmt ? runGofmt(gofmt, source) : formatWasm(source);
}

function runGofmt(gofmt: string, source: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(gofmt, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not run gofmt: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal) return reject(new Error(`gofmt was killed (${signal}) after ${timeoutMs / 1000} s`));
      if (code === 0) return resolvePromise(Buffer.concat(out).toString('utf8'));
      reject(new HttpError(422, cleanMessage(Buffer.concat(err).toString('utf8'))));
    });
    child.stdin.on('error', () => {}); // gofmt may exit before reading everything
    child.stdin.end(source);
  });
}

/** "<standard input>:3:1: expected ..." -> "3:1: expected ..." (every line). */
export function cleanMessage(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.replace(/^<standard input>:/, ''))
      .filter(Boolean)
      .join('\n') || 'gofmt failed with no message'
  );
}

async function formatWasm(source: string): Promise<string> {
  let mod: { format(src: string): string };
  try {
    mod = (await import('@wasm-fmt/gofmt')) as unknown as { format(src: string): string };
  } catch {
    throw new HttpError(503, 'gofmt is not available: install Go (https://go.dev/dl/) or use the Docker image');
  }
  try {
    return mod.format(source);
  } catch (err) {
    throw new HttpError(422, cleanMessage(String((err as Error)?.message ?? err)));
  }
}
