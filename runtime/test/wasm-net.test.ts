// The js/wasm runtime on real sockets: runtime/test/fixtures/netprobe, built natively and for
// js/wasm (host go build with the runtime's overlay), run side by side; every behaviour a lab
// relies on must be the same under the launcher as natively.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { buildNetprobe, client, freePort, get, goMissing, sleep, start, tryConnect, type Builds, type Kind, type Proc } from './harness.js';

const missing = goMissing();
const kinds: Kind[] = ['native', 'wasm'];

describe.skipIf(missing)(`js/wasm runtime on real sockets${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let builds: Builds;
  const procs: Proc[] = [];
  const run = (kind: Kind, env: Record<string, string>) => {
    const p = start(builds, kind, env);
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    builds = await buildNetprobe();
  }, 300_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    builds?.remove();
  });

  describe.each(kinds)('%s', (kind) => {
    it('port 0 gets a real port that Addr reports, and serves HTTP on it', async () => {
      const p = run(kind, { ADDR: '127.0.0.1:0' });
      const port = await p.port();
      expect(port).toBeGreaterThan(1023);
      expect(await get(port, '/hello')).toMatch(/^hello 127\.0\.0\.1:\d+$/);
      await p.kill();
    });

    it('a wildcard listener is a real wildcard listener, reachable on loopback', async () => {
      const port = await freePort();
      const p = run(kind, { ADDR: `0.0.0.0:${port}` });
      await p.line(new RegExp(`^listening on \\[::\\]:${port}$`));
      expect(await get(port, '/hello')).toMatch(/^hello 127\.0\.0\.1:\d+$/);
      await p.kill();
    });

    it('EADDRINUSE comes back from Listen as natively', async () => {
      const p = run(kind, { ADDR: '127.0.0.1:0' });
      const port = await p.port();
      await p.line(new RegExp(`^second listen: listen tcp 127\\.0\\.0\\.1:${port}: bind: address already in use$`));
      await p.line(/^addr in use: true$/);
      await p.kill();
      // a port another process holds
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
      const q = run(kind, { ADDR: `127.0.0.1:${port}` });
      await q.line(new RegExp(`^listen error: listen tcp 127\\.0\\.0\\.1:${port}: bind: address already in use$`));
      expect((await q.exited).code).toBe(3);
      blocker.close();
    });

    it('keep-alive: two requests on one connection, one connection seen by the server', async () => {
      const p = run(kind, { ADDR: '127.0.0.1:0' });
      const port = await p.port();
      const c = await client(port);
      c.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
      await c.waitFor('hello 127.0.0.1');
      c.socket.write('GET /conns HTTP/1.1\r\nHost: x\r\n\r\n');
      await c.waitFor('\r\n\r\n1');
      expect(c.data().match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
      c.socket.destroy();
      await p.kill();
    });

    it('ReadHeaderTimeout closes a slow client; without it the connection stays open', async () => {
      const withTimeout = run(kind, { ADDR: '127.0.0.1:0', READ_HEADER_TIMEOUT_MS: '1000' });
      const slow = await client(await withTimeout.port());
      slow.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n');
      const closed = await slow.closed;
      expect(closed.atMs).toBeGreaterThanOrEqual(900);
      expect(closed.atMs).toBeLessThan(2500);

      const without = run(kind, { ADDR: '127.0.0.1:0' });
      const patient = await client(await without.port());
      patient.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n');
      const outcome = await Promise.race([patient.closed.then(() => 'closed'), sleep(3000).then(() => 'open')]);
      expect(outcome).toBe('open');
      patient.socket.destroy();
      await Promise.all([withTimeout.kill(), without.kill()]);
    });

    it("the client's FIN and RST cancel the request context", async () => {
      const p = run(kind, { ADDR: '127.0.0.1:0' });
      const port = await p.port();
      for (const how of ['fin', 'rst'] as const) {
        const c = await client(port);
        c.socket.write(`GET /wait?${how} HTTP/1.1\r\nHost: x\r\n\r\n`);
        await p.line(new RegExp(`^waiting ${how}$`));
        if (how === 'fin') c.socket.end();
        else c.socket.resetAndDestroy();
        await p.line(new RegExp(`^request context done: ${how} context canceled$`), 3000);
      }
      await p.kill();
    });

    it('half-close: the peer FIN reads as EOF and the answer still goes out, then FIN', async () => {
      const p = run(kind, { MODE: 'halfclose', ADDR: '127.0.0.1:0' });
      const c = await client(await p.port());
      c.socket.end(Buffer.alloc(300_000, 1));
      const closed = await c.closed;
      expect(closed.how).toBe('fin');
      expect(c.data()).toBe('got 300000 bytes');
      await p.line(/^read 300000 bytes, then <nil>$/);
      await p.kill();
    });

    it('a connection is refused before Listen and after Shutdown', async () => {
      const port = await freePort();
      const p = run(kind, { ADDR: `127.0.0.1:${port}`, LISTEN_DELAY_MS: '1500', AFTER_SHUTDOWN_MS: '3000' });
      await sleep(500);
      expect(await tryConnect(port)).toBe('ECONNREFUSED');
      await p.port();
      expect(await tryConnect(port)).toBe('connected');
      p.signal('SIGTERM');
      await p.line(/^shutdown: <nil>$/);
      expect(await tryConnect(port)).toBe('ECONNREFUSED');
      expect(await p.exited).toEqual({ code: 0, signal: null });
    });

    it('a Go dial to a port nobody listens on is refused', async () => {
      const port = await freePort();
      const p = run(kind, { MODE: 'dial', DIAL_ADDR: `127.0.0.1:${port}` });
      await p.line(new RegExp(`^dial error: dial tcp 127\\.0\\.0\\.1:${port}: connect: connection refused$`));
      await p.line(/^refused: true$/);
      expect((await p.exited).code).toBe(0);
    });

    it('SIGTERM with Notify: Shutdown lets the in-flight request finish, then exit 0', async () => {
      const p = run(kind, { ADDR: '127.0.0.1:0', INFLIGHT_MS: '1000' });
      const c = await client(await p.port());
      c.socket.write('GET /inflight HTTP/1.1\r\nHost: x\r\n\r\n');
      await p.line(/^inflight started$/);
      p.signal('SIGTERM');
      await p.line(/^signal received: terminated signal received$/);
      await c.waitFor('done', 4000);
      expect(c.data()).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(await p.exited).toEqual({ code: 0, signal: null });
      expect(p.lines).toContain('shutdown: <nil>');
    });

    it('SIGTERM without Notify kills the process by the signal', async () => {
      const p = run(kind, { MODE: 'halfclose', ADDR: '127.0.0.1:0' });
      await p.port();
      p.signal('SIGTERM');
      expect(await p.exited).toEqual({ code: null, signal: 'SIGTERM' });
    });

    it('os.Exit(n) exits n; a panic prints "panic: ..." and exits 2', async () => {
      const e = run(kind, { MODE: 'exit', EXIT_CODE: '7' });
      expect(await e.exited).toEqual({ code: 7, signal: null });
      expect(e.lines).toContain('exiting');
      const p = run(kind, { MODE: 'panic' });
      expect(await p.exited).toEqual({ code: 2, signal: null });
      expect(p.stderr[0]).toBe('panic: assignment to entry in nil map');
      expect(p.stderr).toContain('goroutine 1 [running]:');
    });

    it('backpressure: a client that does not read holds the writer back, then gets every byte', async () => {
      const p = run(kind, { ADDR: '127.0.0.1:0', BIG_BYTES: String(32 << 20) });
      const port = await p.port();
      const c = await client(port);
      c.socket.pause();
      c.socket.write('GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await sleep(1500);
      expect(p.lines).not.toContain('big done');
      let received = 0;
      c.socket.on('data', (d: Buffer) => (received += d.length));
      c.socket.resume();
      await c.closed;
      await p.line(/^big done$/);
      expect(received).toBeGreaterThan(32 << 20);
      await p.kill();
    });
  });

  it('goroutines: one per idle keep-alive connection, natively and under the launcher', async () => {
    const perConnection: Record<Kind, number> = { native: 0, wasm: 0 };
    for (const kind of kinds) {
      const p = run(kind, { ADDR: '127.0.0.1:0' });
      const port = await p.port();
      const before = Number(await get(port, '/goroutines'));
      const idle = await Promise.all(Array.from({ length: 10 }, () => client(port)));
      for (const c of idle) c.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
      await Promise.all(idle.map((c) => c.waitFor('hello')));
      await sleep(200);
      const during = Number(await get(port, '/goroutines'));
      perConnection[kind] = (during - before) / idle.length;
      for (const c of idle) c.socket.destroy();
      await p.kill();
    }
    expect(perConnection.native).toBe(1);
    expect(perConnection.wasm).toBe(perConnection.native);
  });
});
