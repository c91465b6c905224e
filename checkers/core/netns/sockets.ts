// Observing a namespace's sockets and TCP counters from outside the lab's code: the kernel's own
// tables, read by our own processes inside the namespace (`ip netns exec NAME cat /proc/net/tcp`,
// `ss`), so a learner's server cannot fake them. The parsers are pure and exported, so they are
// testable on any machine.
import { endianness } from 'node:os';
import { NetnsError, execInNetns, execInNetnsSync, which } from './exec.js';
import type { NetnsRef } from './types.js';

/** Kernel TCP states (include/net/tcp_states.h), numbered as /proc/net/tcp prints them. */
export const TCP_STATES = [
  'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT',
  'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV',
] as const;
export type TcpState = (typeof TCP_STATES)[number];

export interface TcpSocket {
  state: TcpState;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** bytes not yet acknowledged by the peer (for a listener: 0) */
  txQueue: number;
  /** bytes not yet read by the process (for a listener: the accept queue length) */
  rxQueue: number;
  /** 0 for TIME_WAIT and SYN_RECV, which belong to no file */
  inode: number;
}

export interface SocketFilter {
  localPort?: number;
  remotePort?: number;
}

/** Count per state, every state present (0 when none), plus the total after filtering. */
export type TcpStateCounts = Record<TcpState, number> & { total: number };

/** Parse /proc/net/tcp or /proc/net/tcp6 text (several files concatenated are fine). */
export function parseProcNetTcp(text: string): TcpSocket[] {
  const out: TcpSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^\d+:$/.test(f[0])) continue; // header lines
    const [local, localPort] = splitAddr(f[1]);
    const [remote, remotePort] = splitAddr(f[2]);
    const [tx, rx] = f[4].split(':').map((h) => parseInt(h, 16));
    out.push({
      state: TCP_STATES[parseInt(f[3], 16) - 1] ?? 'CLOSE',
      localAddress: local,
      localPort,
      remoteAddress: remote,
      remotePort,
      txQueue: tx,
      rxQueue: rx,
      inode: Number(f[9]),
    });
  }
  return out;
}

/** Count sockets by state, optionally only those on a local and/or remote port. */
export function countTcpStates(sockets: TcpSocket[], filter: SocketFilter = {}): TcpStateCounts {
  const counts = Object.fromEntries([...TCP_STATES.map((s) => [s, 0]), ['total', 0]]) as TcpStateCounts;
  for (const s of sockets) {
    if (filter.localPort !== undefined && s.localPort !== filter.localPort) continue;
    if (filter.remotePort !== undefined && s.remotePort !== filter.remotePort) continue;
    counts[s.state]++;
    counts.total++;
  }
  return counts;
}

// tcp6 is missing when IPv6 is disabled; what cat printed for tcp still counts.
const TCP_FILES = ['/proc/net/tcp', '/proc/net/tcp6'];

/** Every TCP socket in the namespace (IPv4 and IPv6). */
export async function tcpSockets(ns: NetnsRef): Promise<TcpSocket[]> {
  const r = await execInNetns(ns, [catPath(), ...TCP_FILES], { check: false });
  return parseOrThrow(r.stdout, r.stderr);
}

export function tcpSocketsSync(ns: NetnsRef): TcpSocket[] {
  const r = execInNetnsSync(ns, [catPath(), ...TCP_FILES], { check: false });
  return parseOrThrow(r.stdout, r.stderr);
}

/** Socket counts by TCP state in the namespace, e.g. TIME_WAIT towards the server's port. */
export async function tcpStates(ns: NetnsRef, filter: SocketFilter = {}): Promise<TcpStateCounts> {
  return countTcpStates(await tcpSockets(ns), filter);
}

export function tcpStatesSync(ns: NetnsRef, filter: SocketFilter = {}): TcpStateCounts {
  return countTcpStates(tcpSocketsSync(ns), filter);
}

export interface ListenQueue {
  address: string;
  port: number;
  /** connections completed by the kernel but not yet accepted by the process */
  recvQ: number;
  /** the accept queue's limit: min(listen backlog, net.core.somaxconn) */
  sendQ: number;
}

/** Parse `ss -Hltn` output. */
export function parseSsListen(text: string): ListenQueue[] {
  const out: ListenQueue[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[0] !== 'LISTEN') continue;
    const local = f[3];
    const colon = local.lastIndexOf(':');
    out.push({
      address: local.slice(0, colon).replace(/^\[|\]$/g, '').replace(/%.*$/, ''),
      port: Number(local.slice(colon + 1)),
      recvQ: Number(f[1]),
      sendQ: Number(f[2]),
    });
  }
  return out;
}

/** Accept-queue state of the namespace's TCP listeners (all, or those on `port`). */
export async function listenQueues(ns: NetnsRef, port?: number): Promise<ListenQueue[]> {
  const r = await execInNetns(ns, [which('ss') ?? 'ss', '-Hltn']);
  return parseSsListen(r.stdout).filter((q) => port === undefined || q.port === port);
}

/** Kernel network counters by section: { TcpExt: { ListenOverflows, ... }, Tcp: { ActiveOpens, RetransSegs, ... } }. */
export type NetCounters = Record<string, Record<string, number>>;

/** Parse /proc/net/netstat and /proc/net/snmp text: pairs of "Section: names" / "Section: values" lines. */
export function parseNetstat(text: string): NetCounters {
  const out: NetCounters = {};
  const pending = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, section, rest] = m;
    const fields = rest.split(/\s+/);
    const names = pending.get(section);
    if (!names) {
      pending.set(section, fields);
      continue;
    }
    pending.delete(section);
    const values = (out[section] ??= {});
    names.forEach((n, i) => (values[n] = Number(fields[i])));
  }
  return out;
}

/**
 * The namespace's TCP counters (what `nstat -az` shows). Read from /proc/net directly: nstat keeps
 * history files between runs and would report deltas since an unrelated earlier call.
 */
export async function netCounters(ns: NetnsRef): Promise<NetCounters> {
  const r = await execInNetns(ns, [catPath(), '/proc/net/netstat', '/proc/net/snmp']);
  return parseNetstat(r.stdout);
}

/** Connections the kernel refused because the accept queue was full (the accept-queue lab's proof). */
export async function listenOverflows(ns: NetnsRef): Promise<{ listenOverflows: number; listenDrops: number }> {
  const c = (await netCounters(ns)).TcpExt ?? {};
  return { listenOverflows: c.ListenOverflows ?? 0, listenDrops: c.ListenDrops ?? 0 };
}

function parseOrThrow(stdout: string, stderr: string): TcpSocket[] {
  if (!stdout.trim()) throw new NetnsError(`could not read /proc/net/tcp: ${stderr.trim()}`, [], stderr);
  return parseProcNetTcp(stdout);
}

function catPath(): string {
  return which('cat') ?? 'cat';
}

// Addresses are printed as host-endian 32-bit words in hex: 0100007F:1F90 is 127.0.0.1:8080 on x86.
function splitAddr(s: string): [string, number] {
  const [hex, port] = s.split(':');
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => {
    const b = w.match(/../g)!.map((x) => parseInt(x, 16));
    return endianness() === 'LE' ? b.reverse() : b;
  });
  const addr =
    bytes.length === 4
      ? bytes.join('.')
      : Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16)).join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  return [addr, parseInt(port, 16)];
}
