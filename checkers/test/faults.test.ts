// Each toxic of the fault proxy against a real socket pair on loopback.
// Timing assertions are lower bounds only (a fault can never make data early), never tight.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../core/faults/index.js';
import type { Toxic } from '../core/faults/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server that runs `onConn` for each connection. */
async function server(onConn: (s: Socket) => void): Promise<{ port: number; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const srv = createServer({ allowHalfOpen: true }, (s) => {
    sockets.push(s);
    s.on('error', () => {});
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => srv.close(() => r()));
  });
  return { port: (srv.address() as { port: number }).port, server: srv, sockets };
}

async function proxy(port: number, toxics: Toxic[], seed = 7): Promise<FaultProxy> {
  const p = await FaultProxy.start({ target: { host: '127.0.0.1', port }, toxics, seed });
  cleanups.push(() => p.close());
  return p;
}

interface Client {
  socket: Socket;
  received: Buffer[];
  ended: Promise<{ how: 'end' | 'error'; code?: string; atMs: number; bytes: number }>;
}

function client(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const received: Buffer[] = [];
    const bytes = () => received.reduce((n, b) => n + b.length, 0);
    const ended = new Promise<{ how: 'end' | 'error'; code?: string; atMs: number; bytes: number }>((r) => {
      socket.on('end', () => r({ how: 'end', atMs: performance.now() - t0, bytes: bytes() }));
      socket.on('error', (e: NodeJS.ErrnoException) => r({ how: 'error', code: e.code, atMs: performance.now() - t0, bytes: bytes() }));
    });
    socket.on('data', (d) => received.push(d));
    socket.once('connect', () => resolve({ socket, received, ended }));
    socket.once('error', reject);
    cleanups.push(() => void socket.destroy());
  });
}

const echo = (s: Socket) => s.pipe(s);

describe('fault proxy', () => {
  it('passes bytes both ways untouched and forwards half-close', async () => {
    const { port } = await server((s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d) => chunks.push(d));
      s.on('end', () => s.end(Buffer.concat(chunks).toString('hex')));
    });
    const p = await proxy(port, []);
    const c = await client(p.port);
    c.socket.end(Buffer.from('hello'));
    const e = await c.ended;
    expect(e.how).toBe('end');
    expect(Buffer.concat(c.received).toString()).toBe(Buffer.from('hello').toString('hex'));
    expect(p.stats()).toMatchObject({ connections: 1, bytesUpstream: 5, bytesDownstream: 10 });
  });

  it('latency delays every chunk by at least the latency, in order', async () => {
    const { port } = await server(echo);
    const p = await proxy(port, [{ kind: 'latency', direction: 'downstream', latencyMs: 150 }]);
    const c = await client(p.port);
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) c.socket.write(`${i}`);
    while (Buffer.concat(c.received).length < 5) await new Promise((r) => setTimeout(r, 5));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145);
    expect(Buffer.concat(c.received).toString()).toBe('01234');
  });

  it('bandwidth paces a transfer to the rate', async () => {
    const { port } = await server((s) => s.end(Buffer.alloc(48 * 1024, 1)));
    const p = await proxy(port, [{ kind: 'bandwidth', direction: 'downstream', rateKBps: 64 }]);
    const c = await client(p.port);
    const e = await c.ended;
    expect(e.bytes).toBe(48 * 1024);
    expect(e.atMs).toBeGreaterThanOrEqual(650); // 48 KB at 64 KB/s = 750 ms
  });

  it('slicer cuts data into small pieces, content intact', async () => {
    const chunks: number[] = [];
    let got = Buffer.alloc(0);
    const done = new Promise<void>((r) => {
      void server((s) => {
        s.on('data', (d) => {
          chunks.push(d.length);
          got = Buffer.concat([got, d]);
          if (got.length === 400) r();
        });
      }).then(async ({ port }) => {
        const p = await proxy(port, [{ kind: 'slicer', direction: 'upstream', avgSize: 10, sizeVariation: 5, delayMs: 2 }]);
        const c = await client(p.port);
        c.socket.write(Buffer.alloc(400, 7));
      });
    });
    await done;
    expect(got.equals(Buffer.alloc(400, 7))).toBe(true);
    expect(chunks.length).toBeGreaterThanOrEqual(20);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(15);
  });

  it('reset_peer sends a real RST: ECONNRESET on both sides', async () => {
    let serverSide: Promise<string | undefined> = Promise.resolve(undefined);
    const { port } = await server((s) => {
      serverSide = new Promise((r) => {
        s.on('error', (e: NodeJS.ErrnoException) => r(e.code));
        s.on('end', () => r('end'));
      });
    });
    const p = await proxy(port, [{ kind: 'reset_peer', direction: 'upstream', timeoutMs: 100 }]);
    const c = await client(p.port);
    c.socket.write('ping');
    const e = await c.ended;
    expect(e).toMatchObject({ how: 'error', code: 'ECONNRESET' });
    expect(e.atMs).toBeGreaterThanOrEqual(95);
    expect(await serverSide).toBe('ECONNRESET');
    expect(p.stats().endedBy.reset_peer).toBe(1);
  });

  it('timeout swallows data, then closes after its timeout', async () => {
    let serverGot = 0;
    const { port } = await server((s) => s.on('data', (d) => (serverGot += d.length)));
    const p = await proxy(port, [{ kind: 'timeout', direction: 'upstream', timeoutMs: 300 }]);
    const c = await client(p.port);
    c.socket.write('hello?');
    const e = await c.ended;
    expect(e.how).toBe('end');
    expect(e.atMs).toBeGreaterThanOrEqual(295);
    expect(serverGot).toBe(0);
  });

  it('slow_close delays the FIN', async () => {
    const { port } = await server((s) => s.end('bye'));
    const p = await proxy(port, [{ kind: 'slow_close', direction: 'downstream', delayMs: 250 }]);
    const c = await client(p.port);
    const e = await c.ended;
    expect(e.how).toBe('end');
    expect(e.bytes).toBe(3);
    expect(e.atMs).toBeGreaterThanOrEqual(245);
  });

  it('limit_data closes the connection after exactly N bytes', async () => {
    const { port } = await server((s) => s.write(Buffer.alloc(10_000, 2)));
    const p = await proxy(port, [{ kind: 'limit_data', direction: 'downstream', bytes: 1234 }]);
    const c = await client(p.port);
    const e = await c.ended;
    expect(e.bytes).toBe(1234);
    expect(p.stats().endedBy.limit_data).toBe(1);
  });

  it('toxicity is decided per connection from the seed: the same seed replays the same faults', async () => {
    const { port } = await server((s) => s.end('x'));
    async function pattern(seed: number) {
      const p = await proxy(port, [{ kind: 'limit_data', direction: 'downstream', bytes: 0, toxicity: 0.5 }], seed);
      const out: number[] = [];
      for (let i = 0; i < 16; i++) {
        const c = await client(p.port);
        out.push((await c.ended).bytes);
      }
      return out.join('');
    }
    const a = await pattern(42);
    expect(await pattern(42)).toBe(a);
    expect(a).toMatch(/0/);
    expect(a).toMatch(/1/);
  });

  it('a target that refuses: the client connection is closed, the error counted', async () => {
    const { port, server: srv } = await server(() => {});
    await new Promise<void>((r) => srv.close(() => r()));
    const p = await proxy(port, []);
    const c = await client(p.port);
    const e = await c.ended;
    expect(['end', 'error']).toContain(e.how);
    expect(p.stats().upstreamErrors).toBe(1);
  });
});
