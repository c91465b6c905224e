// Faults as small value types, modelled on toxiproxy's toxics: every fault has the same shape
// (a kind, a direction, its attributes, an optional toxicity) and is applied per connection.
//   upstream   = bytes from the client towards the server
//   downstream = bytes from the server back to the client

export type Direction = 'upstream' | 'downstream';

interface Base {
  direction: Direction;
  /** probability (0..1) that a new connection gets this toxic; seeded, so a run can be replayed */
  toxicity?: number;
}

/** Adds `latencyMs` (± `jitterMs`) to every chunk; order is preserved, delays do not add up. */
export interface Latency extends Base {
  kind: 'latency';
  latencyMs: number;
  jitterMs?: number;
}

/** Limits throughput to `rateKBps` kilobytes per second. */
export interface Bandwidth extends Base {
  kind: 'bandwidth';
  rateKBps: number;
}

/** Cuts data into pieces of about `avgSize` bytes (± `sizeVariation`) with `delayMs` between them. */
export interface Slicer extends Base {
  kind: 'slicer';
  avgSize: number;
  sizeVariation?: number;
  delayMs?: number;
}

/** Resets both sides (a real RST, ECONNRESET) after `timeoutMs` (0: as soon as data arrives). */
export interface ResetPeer extends Base {
  kind: 'reset_peer';
  timeoutMs: number;
}

/** A black hole: data is swallowed; after `timeoutMs` the connection is closed (0: never). */
export interface Timeout extends Base {
  kind: 'timeout';
  timeoutMs: number;
}

/** Delays the close (FIN) in this direction by `delayMs`. */
export interface SlowClose extends Base {
  kind: 'slow_close';
  delayMs: number;
}

/** Closes the connection once `bytes` bytes have passed in this direction. */
export interface LimitData extends Base {
  kind: 'limit_data';
  bytes: number;
}

export type Toxic = Latency | Bandwidth | Slicer | ResetPeer | Timeout | SlowClose | LimitData;

export function describeToxic(t: Toxic): string {
  const d = t.direction === 'upstream' ? 'client→server' : 'server→client';
  switch (t.kind) {
    case 'latency':
      return `latency ${t.latencyMs} ms${t.jitterMs ? ` ± ${t.jitterMs}` : ''} (${d})`;
    case 'bandwidth':
      return `bandwidth ${t.rateKBps} KB/s (${d})`;
    case 'slicer':
      return `slicer ~${t.avgSize} B pieces every ${t.delayMs ?? 0} ms (${d})`;
    case 'reset_peer':
      return `reset after ${t.timeoutMs} ms`;
    case 'timeout':
      return `black hole${t.timeoutMs ? `, closed after ${t.timeoutMs} ms` : ''} (${d})`;
    case 'slow_close':
      return `close delayed ${t.delayMs} ms (${d})`;
    case 'limit_data':
      return `closed after ${t.bytes} bytes (${d})`;
  }
}

/** mulberry32: a tiny seeded PRNG, so the same seed replays the same faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
