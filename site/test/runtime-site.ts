// For the browser runtime's tests: a small repository with a built runtime (a few stand-in files)
// and a real lab, served over real HTTP by the same middleware `astro dev` uses for /runtime/.
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runtimeMiddleware, writeRuntimeAssets } from '../lib/runtime-assets.mjs';

export const realRoot = resolve(import.meta.dirname, '..', '..');

/** runtime/{dist,launcher,toolchain} with stand-ins for the real files, and labs/solutions for `labs`. */
export function makeRuntimeRepo(labs: string[] = ['slowloris']): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'ghl-runtime-site-'));
  const write = (rel: string, contents: string | Uint8Array) => {
    const to = join(root, rel);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, contents);
  };
  write('runtime/dist/checker.mjs', '// the checker bundle\n');
  write('runtime/dist/wasm_exec.js', '// wasm_exec.js\n');
  // incompressible (stored as is, in parts when parts are small); the text files compress
  write('runtime/dist/toolchain/compile.wasm', randomBytes(70_000));
  write('runtime/dist/toolchain/pack.json', JSON.stringify({ packages: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`pkg/${i}`, { file: `pack/pkg/${i}.a` }])) }));
  write('runtime/dist/overlay.json', '{"Replace":{}}\n');
  write('runtime/dist/overlay/net/net_fake.go', 'package net\n');
  write('runtime/launcher/run-wasm.mjs', "import { installNodeNet } from './node-net.mjs';\n");
  write('runtime/launcher/node-net.mjs', "import net from 'node:net';\nexport function installNodeNet() { return net; }\n");
  write('runtime/toolchain/go.mjs', "import { parseGoMod } from './lib/gomod.mjs';\nconsole.log('go version go1.26.0 js/wasm');\n");
  write('runtime/toolchain/lib/gomod.mjs', 'export function parseGoMod() {}\n');
  write('runtime/toolchain/build.ts', '// build-time only\n');
  for (const id of labs) {
    cpSync(join(realRoot, 'labs', id), join(root, 'labs', id), { recursive: true });
    cpSync(join(realRoot, 'solutions', id), join(root, 'solutions', id), { recursive: true });
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

type Served = { base: string; requests: string[]; close(): Promise<void> };

/** Serves `root`'s /runtime/ on a free loopback port, as `astro dev` does. */
export function serveRuntime(root: string): Promise<Served> {
  const handle = runtimeMiddleware(root);
  return listen((req, res) =>
    handle(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }),
  );
}

/**
 * Builds /runtime/ from `root` into `outDir` as `astro build` does (compressed, big files in parts
 * of `partBytes`), and serves that folder the way a plain static host does: files as they are,
 * application/octet-stream for types it does not know, no compression of its own.
 */
export function serveBuiltRuntime(root: string, outDir: string, partBytes: number): Promise<Served> {
  writeRuntimeAssets({ outDir, root, partBytes });
  return listen((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = join(outDir, ...path.split('/').filter((p) => p && p !== '..'));
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('not found');
    }
    const type = file.endsWith('.json') ? 'application/json' : file.endsWith('.mjs') || file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    res.end(readFileSync(file));
  });
}

async function listen(handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<Served> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${port}/runtime/`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
