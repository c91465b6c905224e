// The load generators against a real Node server on loopback: counts, not timings.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedLoop } from '../core/load/closed.js';
import { openLoop } from '../core/load/open.js';

let srv: Server;
let port = 0;
let served = 0;
let stallUntil = 0;

beforeAll(async () => {
  srv = createServer((req, res) => {
    served++;
    const send = () => {
      if (req.url === '/close') res.setHeader('Connection', 'close');
      if (req.url === '/busy') res.statusCode = 503;
      res.end('ok');
    };
    const wait = stallUntil - Date.now();
    if (wait > 0) setTimeout(send, wait);
    else send();
  });
  srv.keepAliveTimeout = 5000;
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  port = (srv.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => srv.close(() => r())));

describe('closed-loop load', () => {
  it('sends exactly the requested count over keep-alive connections', async () => {
    served = 0;
    const r = await closedLoop({ host: '127.0.0.1', port, connections: 8, requests: 2000, request: { path: '/' } });
    expect(r.sent).toBe(2000);
    expect(r.ok).toBe(2000);
    expect(served).toBe(2000);
    expect(r.connectionsOpened).toBe(8);
    expect(r.statuses['200']).toBe(2000);
    expect(r.latency.count).toBe(2000);
  });

  it('reconnects when the server closes after each response, and counts the connections', async () => {
    const r = await closedLoop({ host: '127.0.0.1', port, connections: 4, requests: 200, request: { path: '/close' } });
    expect(r.ok).toBe(200);
    expect(r.connectionsOpened).toBe(200);
  });

  it('counts refused connections as errors and stops within its bounds', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const deadPort = (dead.address() as { port: number }).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const r = await closedLoop({ host: '127.0.0.1', port: deadPort, connections: 2, requests: 50, request: {} });
    expect(r.ok).toBe(0);
    expect(r.errors['ECONNREFUSED']).toBe(50);
  });
});

describe('open-loop load', () => {
  it('sends the scheduled number of requests at the given rate', async () => {
    const r = await openLoop({ host: '127.0.0.1', port, rate: 500, durationMs: 1000, request: { path: '/' } });
    expect(r.scheduled).toBe(500);
    expect(r.sent).toBe(500);
    expect(r.ok).toBe(500);
    expect(r.latencyByClass['2xx']!.count).toBe(500);
  });

  it('charges a stall to every request scheduled during it (coordinated omission corrected)', async () => {
    // The server answers nothing for 300 ms; with one connection, a closed loop would record one
    // slow request; the open loop records every request that was due during the stall.
    stallUntil = Date.now() + 300;
    const r = await openLoop({ host: '127.0.0.1', port, rate: 200, durationMs: 600, maxConnections: 1, request: { path: '/' } });
    stallUntil = 0;
    expect(r.ok).toBe(120);
    // 60 requests were due during the stall, request i waited about 300 - 5i ms: about 50 of the
    // 120 waited 50 ms or more, so the 70th percentile is at least 50 ms. A closed loop would
    // have recorded one slow request.
    expect(r.histogram.getValueAtPercentile(70) / 1000).toBeGreaterThanOrEqual(50);
    expect(r.latency.maxMs).toBeGreaterThanOrEqual(250);
  });

  it('separates rejections (503) from successes', async () => {
    const r = await openLoop({ host: '127.0.0.1', port, rate: 200, durationMs: 500, request: { path: '/busy' } });
    expect(r.statuses['503']).toBe(100);
    expect(r.ok).toBe(0);
    expect(r.timeline.rejected.reduce((a, b) => a + b, 0)).toBe(100);
  });
});
