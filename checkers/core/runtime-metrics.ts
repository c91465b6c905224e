// The Go runtime's own counters, read from the lab's admin listener: GET /debug/metrics answers
// every scalar of runtime/metrics as JSON ({"/gc/heap/allocs:bytes": 123, ...}); with ?gc=1 the
// server runs a full collection first, so the heap numbers describe live memory only.
// (The admin.go that serves it: labs/gc-pressure/admin.go.)
import { httpRequest } from './http/conn.js';
import type { LabServer } from './supervisor.js';

export type RuntimeMetrics = Record<string, number>;

/** Names used by the labs (Go 1.26, runtime/metrics/description.go). */
export const M = {
  allocBytes: '/gc/heap/allocs:bytes',
  allocObjects: '/gc/heap/allocs:objects',
  gcCycles: '/gc/cycles/total:gc-cycles',
  gcAutomatic: '/gc/cycles/automatic:gc-cycles',
  gcForced: '/gc/cycles/forced:gc-cycles',
  heapLive: '/gc/heap/live:bytes',
  heapObjects: '/gc/heap/objects:objects',
  heapGoal: '/gc/heap/goal:bytes',
  scanHeap: '/gc/scan/heap:bytes',
  gcCpu: '/cpu/classes/gc/total:cpu-seconds',
  gogc: '/gc/gogc:percent',
  memLimit: '/gc/gomemlimit:bytes',
} as const;

export async function readRuntimeMetrics(server: LabServer, opts: { gc?: boolean; timeoutMs?: number } = {}): Promise<RuntimeMetrics> {
  if (!server.adminPort) throw new Error('this server has no admin listener');
  const path = opts.gc ? '/debug/metrics?gc=1' : '/debug/metrics';
  const r = await httpRequest('127.0.0.1', server.adminPort, { path }, opts.timeoutMs ?? 5000);
  if (!r.ok || r.response!.status !== 200) {
    throw new Error(`admin ${path} answered ${r.response?.status ?? r.error} (is admin.go intact?)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.response!.body.toString('utf8'));
  } catch {
    throw new Error(`admin ${path} did not answer JSON (is admin.go intact?)`);
  }
  const out: RuntimeMetrics = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) if (typeof v === 'number') out[k] = v;
  for (const name of [M.allocBytes, M.gcCycles, M.scanHeap]) {
    if (out[name] === undefined) throw new Error(`admin ${path} has no "${name}" (is admin.go intact?)`);
  }
  return out;
}

/** after - before for a cumulative metric (0 when either side lacks it). */
export function delta(before: RuntimeMetrics, after: RuntimeMetrics, name: string): number {
  const a = after[name];
  const b = before[name];
  return a === undefined || b === undefined ? 0 : a - b;
}
