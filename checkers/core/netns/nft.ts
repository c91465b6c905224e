// Network faults as nftables rules inside a check's namespace. Each fault is a small value type
// ({ kind, ...attributes }, like a toxiproxy toxic), rendered to an nft script and applied with
// `nft -f -` into one table, `inet ghl`, per namespace.
//
// Why this shape:
// - every applied fault gets its own base chain on the output hook, so removing it is deleting
//   that chain (no rule handles to track) and faults never disturb each other;
// - on lo every packet, in both directions, passes the output hook exactly once, so one hook
//   sees all of a connection's traffic;
// - every rule carries counters, so a checker can prove the fault fired ("dropped 12 packets")
//   instead of trusting that it did;
// - loss is `numgen inc mod N OFFSET`, never `random`: the same share is dropped in every run.
import { randomBytes } from 'node:crypto';
import { NetnsError, execInNetnsSync, nsName, which } from './exec.js';
import type { NetnsRef } from './types.js';

/** Which packets of a TCP port a fault acts on: to it (dport), from it (sport), or both. */
export type Direction = 'dport' | 'sport' | 'both';

/** Drop exactly one of every `every` packets on `port` (the one at position `offset`, 0 = the first). */
export interface LossFault {
  kind: 'loss';
  port: number;
  every: number;
  /** which packet of each group of `every` is dropped (default 0; note 0 drops the very first SYN) */
  offset?: number;
  /** default 'dport': packets sent to the port (client to server); 'both' counts each direction separately */
  direction?: Direction;
}

/**
 * A vanished peer: all TCP traffic of a set of (client) ports dropped in both directions, as if
 * the machine had been unplugged. Ports can be added while connections are open (addBlackholePorts).
 */
export interface BlackholeFault {
  kind: 'blackhole';
  ports?: number[];
}

/**
 * A byte budget: once `bytes` have passed on `port` (IP length, headers included), every further
 * packet is dropped. Unlike toxiproxy's limit_data, nothing is closed: the peer just stops hearing.
 */
export interface QuotaFault {
  kind: 'quota';
  port: number;
  bytes: number;
  /** default 'sport': what the server sends */
  direction?: Direction;
}

export type NftFault = LossFault | BlackholeFault | QuotaFault;

export interface AppliedNft<F extends NftFault = NftFault> {
  /** short id, used in the chain, set and rule comment names */
  id: string;
  netns: string;
  fault: F;
  chain: string;
  set?: string;
}

export interface PacketCount {
  packets: number;
  bytes: number;
}

export interface NftCounters {
  id: string;
  kind: NftFault['kind'];
  /** packets the fault looked at (its port or set matched) */
  matched: PacketCount;
  /** packets it dropped */
  dropped: PacketCount;
  /** the same, per direction of the port ('dport' = sent to it, 'sport' = sent from it) */
  byDirection: Partial<Record<'dport' | 'sport', { matched: PacketCount; dropped: PacketCount }>>;
  /** quota faults: bytes used so far */
  quotaUsedBytes?: number;
}

const TABLE = 'inet ghl';
const nextPriority = new Map<string, number>();

/** Install a fault in the namespace. Faults act in the order they were applied. */
export function applyNft<F extends NftFault>(ns: NetnsRef, fault: F): AppliedNft<F> {
  const name = nsName(ns);
  const id = 'f' + randomBytes(3).toString('hex');
  const priority = nextPriority.get(name) ?? 0;
  nextPriority.set(name, priority + 1);
  const applied: AppliedNft<F> = { id, netns: name, fault, chain: `c_${id}`, set: fault.kind === 'blackhole' ? `s_${id}` : undefined };
  nft(name, renderNft(applied, priority), `could not apply ${fault.kind} fault`);
  return applied;
}

/** Remove a fault. Idempotent: a fault (or namespace) that is already gone is fine. */
export function removeNft(applied: AppliedNft): void {
  for (const cmd of [`delete chain ${TABLE} ${applied.chain}`, applied.set && `delete set ${TABLE} ${applied.set}`]) {
    if (!cmd) continue;
    const r = execInNetnsSync(applied.netns, [nftPath(), cmd], { check: false });
    if (r.code !== 0 && !/No such file or directory|Cannot open network namespace/.test(r.stderr)) {
      throw new NetnsError(`could not remove ${applied.fault.kind} fault: ${r.stderr.trim()}`, [], r.stderr, r.code);
    }
  }
}

/** Remove every fault in the namespace (the whole `inet ghl` table). Idempotent. */
export function flushNft(ns: NetnsRef): void {
  const r = execInNetnsSync(ns, [nftPath(), `delete table ${TABLE}`], { check: false });
  if (r.code !== 0 && !/No such file or directory|Cannot open network namespace/.test(r.stderr)) {
    throw new NetnsError(`could not remove the nft table: ${r.stderr.trim()}`, [], r.stderr, r.code);
  }
}

/** Add ports to a blackhole while it is installed (their traffic stops at once, both ways). */
export function addBlackholePorts(applied: AppliedNft<BlackholeFault>, ports: number[]): void {
  if (!applied.set) throw new NetnsError('not a blackhole fault');
  if (ports.length === 0) return;
  nft(applied.netns, `add element ${TABLE} ${applied.set} { ${ports.map(checkPort).join(', ')} }\n`, 'could not add blackhole ports');
}

/** Let ports through again. */
export function removeBlackholePorts(applied: AppliedNft<BlackholeFault>, ports: number[]): void {
  if (!applied.set) throw new NetnsError('not a blackhole fault');
  if (ports.length === 0) return;
  nft(applied.netns, `delete element ${TABLE} ${applied.set} { ${ports.map(checkPort).join(', ')} }\n`, 'could not remove blackhole ports');
}

/** The nft script for a fault (pure; exported for tests and for showing the learner the rule). */
export function renderNft(applied: AppliedNft, priority = 0): string {
  const f = applied.fault;
  const lines = [`add table ${TABLE}`];
  if (applied.set) {
    lines.push(`add set ${TABLE} ${applied.set} { type inet_service; }`);
  }
  lines.push(`add chain ${TABLE} ${applied.chain} { type filter hook output priority ${priority}; policy accept; }`);
  const rule = (dir: 'dport' | 'sport', body: string) =>
    `add rule ${TABLE} ${applied.chain} ${body} drop comment "ghl ${applied.id} ${f.kind} ${dir}"`;
  const dirs = (d: Direction): ('dport' | 'sport')[] => (d === 'both' ? ['dport', 'sport'] : [d]);
  switch (f.kind) {
    case 'loss': {
      const every = f.every;
      const offset = f.offset ?? 0;
      if (!Number.isInteger(every) || every < 1) throw new NetnsError(`loss: every must be a positive integer, got ${every}`);
      if (!Number.isInteger(offset) || offset < 0 || offset >= every) throw new NetnsError(`loss: offset must be in 0..${every - 1}, got ${offset}`);
      for (const d of dirs(f.direction ?? 'dport')) {
        lines.push(rule(d, `tcp ${d} ${checkPort(f.port)} counter numgen inc mod ${every} ${offset} counter`));
      }
      break;
    }
    case 'blackhole':
      for (const d of ['sport', 'dport'] as const) lines.push(rule(d, `tcp ${d} @${applied.set} counter`));
      if (f.ports?.length) lines.push(`add element ${TABLE} ${applied.set} { ${f.ports.map(checkPort).join(', ')} }`);
      break;
    case 'quota':
      if (!Number.isInteger(f.bytes) || f.bytes < 0) throw new NetnsError(`quota: bytes must be a non-negative integer, got ${f.bytes}`);
      for (const d of dirs(f.direction ?? 'sport')) {
        lines.push(rule(d, `tcp ${d} ${checkPort(f.port)} counter quota over ${f.bytes} bytes counter`));
      }
      break;
    default:
      throw new NetnsError(`unknown nft fault kind ${JSON.stringify((f as { kind: unknown }).kind)}`);
  }
  return lines.join('\n') + '\n';
}

/** Counters of every fault in the namespace, by fault id. Empty when no fault was ever applied. */
export function nftCounters(ns: NetnsRef): Record<string, NftCounters> {
  const r = execInNetnsSync(ns, [nftPath(), '-j', 'list', 'table', ...TABLE.split(' ')], { check: false });
  if (r.code !== 0) {
    if (/No such file or directory/.test(r.stderr)) return {};
    throw new NetnsError(`could not read nft counters: ${r.stderr.trim()}`, [], r.stderr, r.code);
  }
  return parseNftCounters(r.stdout);
}

type NftExpr = Record<string, any>;

/** Parse `nft -j list table inet ghl` into per-fault counters (pure, exported for tests). */
export function parseNftCounters(json: string): Record<string, NftCounters> {
  const out: Record<string, NftCounters> = {};
  const items: NftExpr[] = JSON.parse(json).nftables ?? [];
  for (const item of items) {
    const rule = item.rule;
    const m = /^ghl (\w+) (\w+) (dport|sport)$/.exec(rule?.comment ?? '');
    if (!m) continue;
    const [, id, kind, dir] = m;
    const exprs: NftExpr[] = rule.expr ?? [];
    const counters = exprs.filter((e) => e.counter).map((e) => ({ packets: e.counter.packets, bytes: e.counter.bytes }));
    if (counters.length === 0) continue;
    const matched = counters[0];
    const dropped = counters[counters.length - 1];
    const c = (out[id] ??= { id, kind: kind as NftFault['kind'], matched: zero(), dropped: zero(), byDirection: {} });
    c.byDirection[dir as 'dport' | 'sport'] = { matched, dropped };
    add(c.matched, matched);
    add(c.dropped, dropped);
    const quota = exprs.find((e) => e.quota)?.quota;
    if (quota) c.quotaUsedBytes = (c.quotaUsedBytes ?? 0) + toBytes(quota.used ?? 0, quota.used_unit ?? 'bytes');
  }
  return out;
}

function zero(): PacketCount {
  return { packets: 0, bytes: 0 };
}

function add(into: PacketCount, c: PacketCount): void {
  into.packets += c.packets;
  into.bytes += c.bytes;
}

// nft prints a quota in the largest unit that divides it exactly, so converting back is exact.
function toBytes(n: number, unit: string): number {
  const pow = ['bytes', 'kbytes', 'mbytes', 'gbytes', 'tbytes'].indexOf(unit);
  return n * 1024 ** Math.max(pow, 0);
}

function checkPort(p: number): number {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new NetnsError(`invalid port ${p}`);
  return p;
}

function nftPath(): string {
  return which('nft') ?? 'nft';
}

function nft(ns: string, script: string, what: string): void {
  const r = execInNetnsSync(ns, [nftPath(), '-f', '-'], { input: script, check: false });
  if (r.code !== 0) throw new NetnsError(`${what} in ${ns}: ${r.stderr.trim()}`, ['nft', '-f', '-'], r.stderr, r.code);
}
