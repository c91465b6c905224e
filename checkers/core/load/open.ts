// Open-loop load: requests at a constant arrival rate, whatever the server does.
// Latency is measured from each request's *intended* send time, so a server that stalls is
// charged for the requests that queued behind the stall (coordinated omission corrected).
// A request that finds no free connection opens one (up to maxConnections) or waits for one;
// the wait counts as latency.
import type * as hdr from 'hdr-histogram-js';
import { connect, type Socket } from 'node:net';
import { encodeRequest, type RequestSpec } from '../http/conn.js';
import { ResponseParser, type RawResponse } from '../http/parser.js';
import { newHistogram, summarize, type LatencySummary } from './closed.js';

export interface OpenLoopOptions {
  host: string;
  port: number;
  /** requests per second */
  rate: number;
  durationMs: number;
  request: RequestSpec | ((i: number) => RequestSpec);
  maxConnections?: number;
  /** per-request timeout, from the intended send time */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** called for every answered request (to count things the load itself cannot) */
  onResponse?: (r: RawResponse, latencyMs: number) => void;
}

export interface OpenLoopResult {
  /** requests the schedule asked for */
  scheduled: number;
  sent: number;
  /** answered with a status < 500 and a complete body */
  ok: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  connectionsOpened: number;
  durationMs: number;
  /** achieved answers per second */
  throughput: number;
  /** latency of every answered request, from its intended send time */
  latency: LatencySummary;
  histogram: hdr.Histogram;
  /** latency of the answers by status class, e.g. { '2xx': ..., '5xx': ... } */
  latencyByClass: Record<string, LatencySummary>;
  /** answers per 100 ms bucket: [t (s), ok, rejected (429/503), errors] */
  timeline: { t: number[]; ok: number[]; rejected: number[]; failed: number[] };
}

interface Slot {
  socket: Socket;
  parser: ResponseParser;
  busy?: { intended: number; timer: NodeJS.Timeout };
}

export async function openLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const maxConnections = opts.maxConnections ?? 256;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const hostHeader = `${opts.host}:${opts.port}`;
  const fixed = typeof opts.request === 'function' ? undefined : encodeRequest(opts.request, hostHeader);
  const methodOf = (i: number) => (typeof opts.request === 'function' ? opts.request(i).method : opts.request.method) ?? 'GET';
  const histogram = newHistogram();
  const byClass = new Map<string, hdr.Histogram>();
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const tl = { t: [] as number[], ok: [] as number[], rejected: [] as number[], failed: [] as number[] };
  const bucket = (kind: 'ok' | 'rejected' | 'failed') => {
    const i = Math.floor((performance.now() - t0) / 100);
    while (tl.t.length <= i) {
      tl.t.push(tl.t.length / 10);
      tl.ok.push(0);
      tl.rejected.push(0);
      tl.failed.push(0);
    }
    tl[kind][i]!++;
  };
  let sent = 0;
  let ok = 0;
  let opened = 0;
  let outstanding = 0;
  const idle: Slot[] = [];
  const all = new Set<Slot>();
  const waiting: { i: number; intended: number }[] = [];
  const t0 = performance.now();
  const total = Math.floor((opts.rate * opts.durationMs) / 1000);
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  let scheduling = true;

  const settle = () => {
    outstanding--;
    if (!scheduling && outstanding === 0) finished();
  };
  const record = (intended: number, r: RawResponse) => {
    const us = Math.max(1, Math.round((performance.now() - intended) * 1000));
    histogram.recordValue(us);
    const cls = `${Math.floor(r.status / 100)}xx`;
    let h = byClass.get(cls);
    if (!h) byClass.set(cls, (h = newHistogram()));
    h.recordValue(us);
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.complete && r.status < 500) ok++;
    bucket(r.status === 429 || r.status === 503 ? 'rejected' : r.status >= 500 || !r.complete ? 'failed' : 'ok');
    opts.onResponse?.(r, us / 1000);
  };
  const fail = (code: string) => {
    errors[code] = (errors[code] ?? 0) + 1;
    bucket('failed');
  };

  const release = (slot: Slot, reusable: boolean) => {
    if (slot.busy) clearTimeout(slot.busy.timer);
    slot.busy = undefined;
    if (!reusable) {
      all.delete(slot);
      slot.socket.destroy();
    }
    const next = waiting.shift();
    if (next) {
      if (reusable) return send(slot, next.i, next.intended);
      return dispatch(next.i, next.intended);
    }
    if (reusable) idle.push(slot);
  };

  const open = (): Slot => {
    opened++;
    const socket = connect({ host: opts.host, port: opts.port, noDelay: true });
    const slot: Slot = {
      socket,
      parser: new ResponseParser((r) => {
        if (!slot.busy) return;
        record(slot.busy.intended, r);
        settle();
        release(slot, !/close/i.test(r.headers['connection'] ?? ''));
      }),
    };
    socket.on('data', (d: Buffer) => {
      try {
        slot.parser.feed(d);
      } catch {
        if (slot.busy) (fail('EPROTO'), settle());
        release(slot, false);
      }
    });
    const lost = (code: string) => {
      if (!all.has(slot)) return;
      if (slot.busy) {
        const last = slot.parser.end();
        if (last && last.complete) record(slot.busy.intended, last);
        else fail(code);
        settle();
      }
      const i = idle.indexOf(slot);
      if (i >= 0) idle.splice(i, 1);
      release(slot, false);
    };
    socket.on('error', (err: NodeJS.ErrnoException) => lost(err.code ?? 'ERROR'));
    socket.on('close', () => lost('closed'));
    all.add(slot);
    return slot;
  };

  const send = (slot: Slot, i: number, intended: number) => {
    const left = timeoutMs - (performance.now() - intended);
    slot.busy = {
      intended,
      timer: setTimeout(() => {
        if (!slot.busy) return;
        fail('timeout');
        settle();
        release(slot, false);
      }, Math.max(1, left)),
    };
    slot.parser.pendingMethods.push(methodOf(i));
    sent++;
    slot.socket.write(fixed ?? encodeRequest((opts.request as (i: number) => RequestSpec)(i), hostHeader));
  };

  const dispatch = (i: number, intended: number) => {
    const slot = idle.pop() ?? (all.size < maxConnections ? open() : undefined);
    if (slot) send(slot, i, intended);
    else waiting.push({ i, intended });
  };

  // The schedule: request i is due at t0 + i / rate. A timer wakes every ms or so and sends
  // everything that is due; requests are never sent early.
  await new Promise<void>((resolveSchedule) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < total && t0 + (i * 1000) / opts.rate <= now) {
        outstanding++;
        dispatch(i, t0 + (i * 1000) / opts.rate);
        i++;
      }
      if (i >= total || opts.signal?.aborted) return resolveSchedule();
      const nextDue = t0 + (i * 1000) / opts.rate - performance.now();
      setTimeout(tick, Math.max(0, Math.min(nextDue, 5)));
    };
    tick();
  });
  scheduling = false;
  // Requests still waiting for a connection when the run is aborted count as not sent.
  if (opts.signal?.aborted) {
    for (const w of waiting.splice(0)) {
      void w;
      fail('not-sent');
      outstanding--;
    }
  }
  if (outstanding > 0) await done;
  for (const slot of all) slot.socket.destroy();
  const durationMs = performance.now() - t0;
  const latencyByClass: Record<string, LatencySummary> = {};
  for (const [k, h] of byClass) latencyByClass[k] = summarize(h);
  return {
    scheduled: total,
    sent,
    ok,
    statuses,
    errors,
    connectionsOpened: opened,
    durationMs: Math.round(durationMs),
    throughput: Math.round((Object.values(statuses).reduce((a, b) => a + b, 0) / durationMs) * 1000),
    latency: summarize(histogram),
    histogram,
    latencyByClass,
    timeline: tl,
  };
}
