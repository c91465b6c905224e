// The browser runtime against native, measured: app.wasm size (raw, gzip, brotli), cold start to
// the first response, keep-alive throughput and latency with C connections, and a timer-bound
// handler's latency (time.Sleep inside the handler). Uses runtime/test/fixtures/netprobe.
//
//   npx tsx runtime/bench/wasm-throughput.ts [--seconds S] [--connections C] [--rounds R]
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { buildNetprobe, freePort, start, type Builds, type Kind } from '../test/harness.js';
import { tryConnect } from '../../checkers/core/net.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SECONDS = opt('--seconds', 3);
const CONNECTIONS = opt('--connections', 8);
const ROUNDS = opt('--rounds', 3);

/** time from spawn to the first 200 on /hello (ms) */
async function coldStart(builds: Builds, kind: Kind): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const p = start(builds, kind, { ADDR: `127.0.0.1:${port}` });
  try {
    for (;;) {
      if (await tryConnect('127.0.0.1', port, 200)) {
        const body = await request(port, '/hello');
        if (body.startsWith('HTTP/1.1 200')) return performance.now() - t0;
      }
      await new Promise((r) => setTimeout(r, 2));
      if (performance.now() - t0 > 15_000) throw new Error('no answer within 15 s');
    }
  } finally {
    await p.kill();
  }
}

function request(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let text = '';
    s.on('data', (d) => (text += d));
    s.on('end', () => resolve(text));
    s.on('error', reject);
    s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  });
}

/** C keep-alive connections, each sending one request after the other, for S seconds */
async function throughput(port: number, path: string, connections: number, seconds: number): Promise<{ rps: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, () =>
      new Promise<void>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port });
        let buf = '';
        let sentAt = 0;
        const send = () => {
          if (performance.now() > until) return void (s.destroy(), resolve());
          sentAt = performance.now();
          s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
        };
        s.on('connect', send);
        s.on('data', (d) => {
          buf += d;
          // one response: headers + Content-Length body
          const head = buf.indexOf('\r\n\r\n');
          if (head < 0) return;
          const len = Number(/Content-Length: (\d+)/i.exec(buf.slice(0, head))?.[1] ?? 0);
          if (buf.length < head + 4 + len) return;
          buf = buf.slice(head + 4 + len);
          latencies.push(performance.now() - sentAt);
          send();
        });
        s.on('error', reject);
      }),
    ),
  );
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { rps: latencies.length / seconds, p50: q(50), p99: q(99) };
}

const fmt = (n: number, d = 0) => n.toFixed(d);

const builds = await buildNetprobe();
try {
  const wasm = readFileSync(builds.wasm);
  process.stdout.write(
    `app.wasm (netprobe: net/http server): ${fmt(wasm.length / 1e6, 1)} MB raw, ${fmt(gzipSync(wasm, { level: 9 }).length / 1e6, 2)} MB gzip, ${fmt(brotliCompressSync(wasm).length / 1e6, 2)} MB brotli\n`,
  );
  for (const kind of ['native', 'wasm'] as const) {
    const starts: number[] = [];
    for (let i = 0; i < ROUNDS; i++) starts.push(await coldStart(builds, kind));
    process.stdout.write(`${kind.padEnd(6)} cold start to first response: ${starts.map((s) => fmt(s)).join(', ')} ms\n`);
  }
  for (const kind of ['native', 'wasm'] as const) {
    const port = await freePort();
    const p = start(builds, kind, { ADDR: `127.0.0.1:${port}`, INFLIGHT_MS: '20' });
    await p.port();
    for (let round = 1; round <= ROUNDS; round++) {
      const hello = await throughput(port, '/hello', CONNECTIONS, SECONDS);
      const sleepy = await throughput(port, '/inflight', 4, Math.min(SECONDS, 2));
      process.stdout.write(
        `${kind.padEnd(6)} round ${round}: /hello ${CONNECTIONS} conns ${fmt(hello.rps)} req/s (p50 ${fmt(hello.p50, 2)} ms, p99 ${fmt(hello.p99, 2)} ms); ` +
          `20 ms sleep, 4 conns: ${fmt(sleepy.rps)} req/s (p50 ${fmt(sleepy.p50, 1)} ms, p99 ${fmt(sleepy.p99, 1)} ms)\n`,
      );
    }
    await p.kill();
  }
} finally {
  builds.remove();
}
