// Observation from outside the server: goroutine totals (pprof), RSS and open fds (/proc).
import { readdirSync, readFileSync } from 'node:fs';
import { httpRequest } from './http/conn.js';
import type { LabServer } from './supervisor.js';
import { sleep } from './net.js';

/** The goroutine total from /debug/pprof/goroutine?debug=1 on the admin listener. */
export async function goroutines(server: LabServer, timeoutMs = 3000): Promise<number> {
  if (!server.adminPort) throw new Error('this server has no admin listener');
  const r = await httpRequest('127.0.0.1', server.adminPort, { path: '/debug/pprof/goroutine?debug=1' }, timeoutMs);
  if (!r.ok || r.response!.status !== 200) {
    throw new Error(`admin /debug/pprof/goroutine answered ${r.response?.status ?? r.error} (is admin.go intact?)`);
  }
  const m = /goroutine profile: total (\d+)/.exec(r.response!.body.toString('utf8'));
  if (!m) throw new Error('admin /debug/pprof/goroutine?debug=1 has no "goroutine profile: total N" line');
  return Number(m[1]);
}

/**
 * Waits until the goroutine total stops changing (two equal readings `stepMs` apart)
 * or `maxMs` passes; returns the last reading. Baselines are taken this way.
 */
export async function settledGoroutines(server: LabServer, opts: { stepMs?: number; maxMs?: number; signal?: AbortSignal } = {}): Promise<number> {
  const step = opts.stepMs ?? 100;
  const deadline = Date.now() + (opts.maxMs ?? 2000);
  let last = await goroutines(server);
  while (Date.now() < deadline && !opts.signal?.aborted) {
    await sleep(step, opts.signal);
    const now = await goroutines(server);
    if (now === last) return now;
    last = now;
  }
  return last;
}

export interface ProcStats {
  rssBytes: number;
  fds: number;
  threads: number;
}

/** RSS, open file descriptors and threads of a process, read from /proc. */
export function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rssBytes: kb('VmRSS') * 1024, fds: readdirSync(`/proc/${pid}/fd`).length, threads: kb('Threads') };
}

/** Like procStats, but undefined once the process is gone. */
export function tryProcStats(pid: number): ProcStats | undefined {
  try {
    return procStats(pid);
  } catch {
    return undefined;
  }
}

/** Samples `fn` every `everyMs` until stopped; gives a time series (seconds since start). */
export function sampler<T extends number>(fn: () => T | undefined | Promise<T | undefined>, everyMs = 200) {
  const t0 = Date.now();
  const x: number[] = [];
  const y: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const v = await fn();
        if (v !== undefined) {
          x.push(Math.round((Date.now() - t0) / 10) / 100);
          y.push(v);
        }
      } catch {
        /* a missed sample is not a failure */
      }
      await sleep(everyMs);
    }
  })();
  return {
    x,
    y,
    async stop() {
      running = false;
      await loop;
      return { x, y };
    },
  };
}
