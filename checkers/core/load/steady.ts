// Steady background load with live counters: keep-alive connections that each request one
// path in a closed loop until stopped, while the checker does something else to the server
// (reloads it, restarts it, signals it). Every response and every error is counted per path,
// and the counters can be read at any moment, so a probe can say "these requests failed
// during reload 7" and can assert that the load really ran.
import { setMaxListeners } from 'node:events';
import { ConnectError, RawConn } from '../http/conn.js';
import { sleep } from '../net.js';

export interface SteadyLoadOptions {
  host: string;
  port: number;
  /** the paths to request; each gets `connectionsPerPath` connections */
  paths: string[];
  connectionsPerPath: number;
  /** per-request timeout; a request without a complete answer by then is an error */
  timeoutMs?: number;
  /** a response is "ok" when this says so (default: status 200 and a complete body) */
  ok?: (status: number) => boolean;
  /** hard bound on the whole run, whatever happens */
  maxMs: number;
  signal?: AbortSignal;
}

export interface PathCounts {
  sent: number;
  ok: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
}

export interface SteadyCounts {
  /** requests answered or failed so far, over all paths */
  done: number;
  ok: number;
  failed: number;
  byPath: Record<string, PathCounts>;
}

export interface SteadyLoad {
  /** a snapshot of the counters */
  counts(): SteadyCounts;
  /** resolves once at least `n` more requests have finished, or `maxMs` passed, or the load stopped */
  waitFor(n: number, maxMs: number): Promise<void>;
  /** stops the load and resolves with the final counters once every connection is closed */
  stop(): Promise<SteadyCounts>;
}

export function steadyLoad(opts: SteadyLoadOptions): SteadyLoad {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const isOk = opts.ok ?? ((s: number) => s === 200);
  const stopAt = Date.now() + opts.maxMs;
  const ac = new AbortController();
  setMaxListeners(0, ac.signal); // every back-off sleep listens to it
  const onAbort = () => ac.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const byPath: Record<string, PathCounts> = {};
  for (const p of opts.paths) byPath[p] = { sent: 0, ok: 0, statuses: {}, errors: {} };
  let done = 0;
  let ok = 0;
  const listeners = new Set<() => void>();
  const tick = () => {
    for (const l of listeners) l();
  };

  const open = new Set<RawConn>();
  ac.signal.addEventListener('abort', () => {
    for (const conn of open) conn.close();
  }, { once: true });

  const worker = async (path: string) => {
    const c = byPath[path]!;
    let conn: RawConn | undefined;
    while (!ac.signal.aborted && Date.now() < stopAt) {
      try {
        c.sent++;
        if (!conn) {
          conn = await RawConn.open(opts.host, opts.port, { timeoutMs });
          open.add(conn);
        }
        const r = await conn.request({ path }, timeoutMs);
        c.statuses[r.status] = (c.statuses[r.status] ?? 0) + 1;
        if (r.complete && isOk(r.status)) (c.ok++, ok++);
        else if (!r.complete) c.errors.truncated = (c.errors.truncated ?? 0) + 1;
        if (!r.complete || /close/i.test(r.headers['connection'] ?? '')) {
          conn.close();
          open.delete(conn);
          conn = undefined;
        }
      } catch (err) {
        if (ac.signal.aborted) {
          c.sent--; // cut short by stop(): not the server's doing
          break;
        }
        const code = err instanceof ConnectError ? err.code : (err as Error).message;
        c.errors[code] = (c.errors[code] ?? 0) + 1;
        if (conn) open.delete(conn);
        conn?.close();
        conn = undefined;
        // a refused connect would otherwise spin: back off a little
        await sleep(20, ac.signal);
      }
      done++;
      tick();
    }
    if (conn) open.delete(conn);
    conn?.close();
  };

  const workers = opts.paths.flatMap((p) => Array.from({ length: opts.connectionsPerPath }, () => worker(p)));
  const all = Promise.all(workers);
  const snapshot = (): SteadyCounts => ({
    done,
    ok,
    failed: done - ok,
    byPath: Object.fromEntries(Object.entries(byPath).map(([p, c]) => [p, { ...c, statuses: { ...c.statuses }, errors: { ...c.errors } }])),
  });
  return {
    counts: snapshot,
    waitFor(n, maxMs) {
      const target = done + n;
      return new Promise((resolvePromise) => {
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
          resolvePromise();
        };
        const check = () => {
          if (done >= target || ac.signal.aborted) finish();
        };
        const timer = setTimeout(finish, maxMs);
        listeners.add(check);
        check();
      });
    },
    async stop() {
      ac.abort();
      await all;
      opts.signal?.removeEventListener('abort', onAbort);
      return snapshot();
    },
  };
}
