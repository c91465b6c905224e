// Closed-loop load on raw sockets: N connections, each sends its next request when the
// previous answer is complete. Counts statuses, errors and connections opened; records
// latency in an HDR histogram (microseconds).
import * as hdr from 'hdr-histogram-js';
import { connect, type Socket } from 'node:net';
import { encodeRequest, type RequestSpec } from '../http/conn.js';
import { ResponseParser } from '../http/parser.js';

export interface ClosedLoopOptions {
  host: string;
  port: number;
  connections: number;
  /** stop after this many requests in total ... */
  requests?: number;
  /** ... or after this long (one of the two is required; both bound the run) */
  durationMs?: number;
  request: RequestSpec;
  /** per-request timeout: a request without an answer by then counts as an error */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export interface LoadResult {
  sent: number;
  ok: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  connectionsOpened: number;
  durationMs: number;
  rps: number;
  latency: LatencySummary;
  histogram: hdr.Histogram;
}

export function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
}

export function summarize(h: hdr.Histogram): LatencySummary {
  const ms = (us: number) => Math.round(us / 10) / 100;
  return {
    count: h.totalCount,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p90Ms: ms(h.getValueAtPercentile(90)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    maxMs: ms(h.maxValue),
    meanMs: ms(h.mean),
  };
}

export async function closedLoop(opts: ClosedLoopOptions): Promise<LoadResult> {
  if (!opts.requests && !opts.durationMs) throw new Error('closedLoop needs requests or durationMs');
  const total = opts.requests ?? Number.POSITIVE_INFINITY;
  const stopAt = Date.now() + (opts.durationMs ?? 60_000);
  const timeoutMs = opts.timeoutMs ?? 5000;
  const payload = encodeRequest(opts.request, `${opts.host}:${opts.port}`);
  const method = opts.request.method ?? 'GET';
  const histogram = newHistogram();
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let opened = 0;
  const t0 = Date.now();
  const more = () => sent < total && Date.now() < stopAt && !opts.signal?.aborted;

  const worker = () =>
    new Promise<void>((done) => {
      let socket: Socket | undefined;
      let inFlightSince = 0;
      let timer: NodeJS.Timeout | undefined;
      let parser: ResponseParser;

      const fail = (code: string) => {
        errors[code] = (errors[code] ?? 0) + 1;
        clearTimeout(timer);
        inFlightSince = 0;
        socket?.destroy();
        socket = undefined;
        next();
      };
      const open = () => {
        opened++;
        const s = connect({ host: opts.host, port: opts.port, noDelay: true });
        socket = s;
        parser = new ResponseParser((r) => {
          if (!inFlightSince) return;
          histogram.recordValue(Math.max(1, Math.round((performance.now() - inFlightSince) * 1000)));
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.complete && r.status < 500) ok++;
          clearTimeout(timer);
          inFlightSince = 0;
          if (/close/i.test(r.headers['connection'] ?? '')) {
            s.destroy();
            if (socket === s) socket = undefined;
          }
          next();
        });
        s.on('data', (d: Buffer) => {
          try {
            parser.feed(d);
          } catch {
            fail('EPROTO');
          }
        });
        s.on('error', (err: NodeJS.ErrnoException) => {
          if (socket === s && inFlightSince) fail(err.code ?? 'ERROR');
        });
        s.on('close', () => {
          if (socket === s) {
            socket = undefined;
            if (inFlightSince) {
              const last = parser.end();
              if (last && last.complete) {
                statuses[last.status] = (statuses[last.status] ?? 0) + 1;
                if (last.status < 500) ok++;
                inFlightSince = 0;
                clearTimeout(timer);
                next();
              } else fail('closed');
            }
          }
        });
      };
      const next = () => {
        if (!more()) {
          socket?.destroy();
          return done();
        }
        if (!socket) open();
        sent++;
        inFlightSince = performance.now();
        parser.pendingMethods.push(method);
        timer = setTimeout(() => fail('timeout'), timeoutMs);
        socket!.write(payload);
      };
      next();
    });

  await Promise.all(Array.from({ length: opts.connections }, worker));
  const durationMs = Date.now() - t0;
  return {
    sent,
    ok,
    statuses,
    errors,
    connectionsOpened: opened,
    durationMs,
    rps: Math.round((sent / durationMs) * 1000),
    latency: summarize(histogram),
    histogram,
  };
}
