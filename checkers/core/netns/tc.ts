// Bandwidth limits with a token bucket (tbf) on lo inside the namespace. This kernel has no netem,
// so tbf is the only shaping tool; delay comes from the TypeScript fault proxy instead.
// tbf on lo throttles every port in both directions (all traffic of the namespace shares lo).
import { NetnsError, runSync, which, nsName } from './exec.js';
import type { NetnsRef } from './types.js';

/** A token bucket: sustained `rateBitsPerSecond`, bursts up to `burstBytes`, queueing at most `latencyMs`. */
export interface TbfLimit {
  kind: 'tbf';
  rateBitsPerSecond: number;
  /** bucket size; must be at least lo's MTU, or tbf silently drops every larger packet */
  burstBytes: number;
  /** how long a packet may wait for tokens before it is dropped */
  latencyMs: number;
}

export interface QdiscStats {
  /** 'tbf' while a limit is installed, 'noqueue' (lo's default) otherwise */
  kind: string;
  /** tbf rate as the kernel holds it (bytes per second) */
  rateBytesPerSecond?: number;
  bytes: number;
  packets: number;
  drops: number;
  /** how often the bucket was empty: proves the limit actually throttled */
  overlimits: number;
}

/** Install (or replace) the bandwidth limit on lo. Numbers only: tc's "bps" means bytes/s, a classic trap. */
export function setBandwidth(ns: NetnsRef, limit: TbfLimit): void {
  const name = nsName(ns);
  for (const [k, v] of Object.entries({ rateBitsPerSecond: limit.rateBitsPerSecond, burstBytes: limit.burstBytes, latencyMs: limit.latencyMs })) {
    if (!Number.isFinite(v) || v <= 0) throw new NetnsError(`tbf: ${k} must be a positive number, got ${v}`);
  }
  const mtu = loMtu(name);
  if (mtu > limit.burstBytes) {
    throw new NetnsError(
      `tbf: lo's MTU (${mtu}) is larger than the burst (${limit.burstBytes} bytes), so tbf would silently drop ` +
        `every larger packet; create the namespace with loMtu: 1500`,
    );
  }
  runSync([
    which('tc') ?? 'tc', '-n', name, 'qdisc', 'replace', 'dev', 'lo', 'root', 'tbf',
    'rate', `${Math.round(limit.rateBitsPerSecond)}bit`,
    'burst', String(Math.round(limit.burstBytes)),
    'latency', `${Math.round(limit.latencyMs * 1000)}us`,
  ]);
}

/** Remove the limit (lo goes back to noqueue). Idempotent, also when the namespace is gone. */
export function clearBandwidth(ns: NetnsRef): void {
  const r = runSync([which('tc') ?? 'tc', '-n', nsName(ns), 'qdisc', 'del', 'dev', 'lo', 'root'], { check: false });
  if (r.code !== 0 && !/handle of zero|No such file or directory|Invalid handle|Cannot find/.test(r.stderr)) {
    throw new NetnsError(`could not remove the bandwidth limit: ${r.stderr.trim()}`, [], r.stderr, r.code);
  }
}

/** lo's root qdisc and its counters (`tc -s -j qdisc show dev lo`). */
export function qdiscStats(ns: NetnsRef): QdiscStats {
  const r = runSync([which('tc') ?? 'tc', '-n', nsName(ns), '-s', '-j', 'qdisc', 'show', 'dev', 'lo']);
  const list: any[] = JSON.parse(r.stdout || '[]');
  const root = list.find((q) => q.root) ?? list[0] ?? { kind: 'none' };
  return {
    kind: root.kind,
    rateBytesPerSecond: root.options?.rate,
    bytes: root.bytes ?? 0,
    packets: root.packets ?? 0,
    drops: root.drops ?? 0,
    overlimits: root.overlimits ?? 0,
  };
}

function loMtu(name: string): number {
  const r = runSync([which('ip') ?? 'ip', '-n', name, '-j', 'link', 'show', 'dev', 'lo']);
  return Number(JSON.parse(r.stdout)[0]?.mtu);
}
