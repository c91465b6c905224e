// A client that pools keep-alive connections the way a load balancer or a proxy does, and
// counts what connection reuse the server allows: connections opened per request, responses
// that asked to close, and requests that hit a connection the server had closed while idle.
import { RawConn, type RequestSpec } from './conn.js';
import type { RawResponse } from './parser.js';

export interface PoolRunOptions {
  host: string;
  port: number;
  /** connections in the pool; requests go round-robin over them */
  size: number;
  requests: number;
  request: RequestSpec;
  timeoutMs?: number;
  signal: AbortSignal;
}

export interface PoolRunResult {
  sent: number;
  ok: number;
  /** requests that got no response (connection reset or closed before the answer) */
  failed: number;
  /** TCP connections the pool had to open (size at least, one per request at worst) */
  connectionsOpened: number;
  /** responses that carried `Connection: close` */
  closeHeaders: number;
  /** connections the server closed without saying so in a response, found closed before reuse */
  closedSilently: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
}

/**
 * Sends `requests` requests one after the other, round-robin over a pool of `size` keep-alive
 * connections. A connection that answered `Connection: close`, or that the server has closed,
 * is replaced by a new one before its next turn, as a well-behaved pool does.
 */
export async function poolRun(o: PoolRunOptions): Promise<PoolRunResult> {
  const r: PoolRunResult = { sent: 0, ok: 0, failed: 0, connectionsOpened: 0, closeHeaders: 0, closedSilently: 0, statuses: {}, errors: {} };
  const pool: (RawConn | undefined)[] = new Array(o.size).fill(undefined);
  const saidClose = new WeakSet<RawConn>();
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  try {
    for (let i = 0; i < o.requests && !o.signal.aborted; i++) {
      const slot = i % o.size;
      let conn = pool[slot];
      if (conn && !conn.isOpen && !saidClose.has(conn)) r.closedSilently++;
      if (!conn || !conn.isOpen || saidClose.has(conn)) {
        conn?.close();
        try {
          conn = await RawConn.open(o.host, o.port, { timeoutMs: o.timeoutMs ?? 3000 });
        } catch (err) {
          r.sent++;
          r.failed++;
          bump(r.errors, (err as { code?: string }).code ?? 'connect');
          pool[slot] = undefined;
          continue;
        }
        r.connectionsOpened++;
        pool[slot] = conn;
      }
      r.sent++;
      try {
        const res: RawResponse = await conn.request(o.request, o.timeoutMs ?? 3000);
        bump(r.statuses, String(res.status));
        if (res.complete) r.ok++;
        else {
          r.failed++;
          bump(r.errors, 'truncated');
        }
        if (/\bclose\b/i.test(res.headers['connection'] ?? '')) {
          r.closeHeaders++;
          saidClose.add(conn);
        }
      } catch (err) {
        r.failed++;
        bump(r.errors, (err as { code?: string }).code ?? 'error');
        conn.close();
        pool[slot] = undefined;
      }
    }
  } finally {
    for (const c of pool) c?.close();
  }
  return r;
}

export type IdleOutcome =
  /** the first request failed: nothing to reuse */
  | 'first-failed'
  /** the server answered the first request with `Connection: close` and closed */
  | 'closed-after-response'
  /** the server closed the idle connection (FIN or RST) before the client came back */
  | 'closed-while-idle'
  /** the connection was open, the request was written, and no answer came (the close raced it) */
  | 'failed-on-reuse'
  /** still open at the end of the idle period (when not reused) */
  | 'open'
  /** reused: the second request was answered */
  | 'served';

export interface IdleConnResult {
  outcome: IdleOutcome;
  /** ms after the first response at which the server closed the connection, if it did */
  closedAfterMs?: number;
  detail?: string;
}

export interface IdlePoolOptions {
  host: string;
  port: number;
  connections: number;
  request: RequestSpec;
  /** how long each connection stays idle after its first response */
  idleMs: number;
  /** send a second request after the idle period (true), or only check the connection is still open (false) */
  reuse: boolean;
  timeoutMs?: number;
  signal: AbortSignal;
}

/**
 * Opens `connections` connections, sends one request on each, leaves each idle for `idleMs`
 * after its response, then either reuses it or checks it is still open. What a load balancer
 * with an idle timeout longer than `idleMs` experiences with this server.
 */
export async function idlePool(o: IdlePoolOptions): Promise<IdleConnResult[]> {
  const timeoutMs = o.timeoutMs ?? 3000;
  return Promise.all(
    Array.from({ length: o.connections }, async (): Promise<IdleConnResult> => {
      let conn: RawConn;
      try {
        conn = await RawConn.open(o.host, o.port, { timeoutMs });
      } catch (err) {
        return { outcome: 'first-failed', detail: (err as { code?: string }).code ?? String(err) };
      }
      try {
        let first: RawResponse;
        try {
          first = await conn.request(o.request, timeoutMs);
        } catch (err) {
          return { outcome: 'first-failed', detail: (err as { code?: string }).code ?? String(err) };
        }
        const answeredAt = Date.now();
        let closedAt: number | undefined;
        conn.closed.then((c) => {
          if (c.by === 'peer-fin' || c.by === 'peer-rst') closedAt = conn.openedAt + c.atMs;
        });
        const saidClose = /\bclose\b/i.test(first.headers['connection'] ?? '');
        // Idle until the period ends, or until the server closes the connection (nothing left to wait for).
        const idle = sleepUntil(answeredAt + o.idleMs, o.signal);
        await Promise.race([idle.done, conn.closed]);
        idle.cancel();
        const closedAfterMs = closedAt === undefined ? undefined : Math.max(0, closedAt - answeredAt);
        if (saidClose) return { outcome: 'closed-after-response', closedAfterMs };
        if (closedAt !== undefined || !conn.isOpen) return { outcome: 'closed-while-idle', closedAfterMs };
        if (!o.reuse) return { outcome: 'open' };
        try {
          const second = await conn.request(o.request, timeoutMs);
          return second.complete ? { outcome: 'served', detail: String(second.status) } : { outcome: 'failed-on-reuse', detail: 'truncated' };
        } catch (err) {
          return { outcome: 'failed-on-reuse', detail: (err as { code?: string }).code ?? String(err) };
        }
      } finally {
        conn.close();
      }
    }),
  );
}

/** Counts outcomes: { served: 10, 'closed-while-idle': 2 }. */
export function tally(results: IdleConnResult[]): Partial<Record<IdleOutcome, number>> {
  const t: Partial<Record<IdleOutcome, number>> = {};
  for (const r of results) t[r.outcome] = (t[r.outcome] ?? 0) + 1;
  return t;
}

function sleepUntil(at: number, signal: AbortSignal): { done: Promise<void>; cancel: () => void } {
  let t: ReturnType<typeof setTimeout> | undefined;
  let finish = () => {};
  const done = new Promise<void>((resolvePromise) => {
    finish = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', finish);
      resolvePromise();
    };
    t = setTimeout(finish, Math.max(0, at - Date.now()));
    signal.addEventListener('abort', finish, { once: true });
  });
  return { done, cancel: finish };
}
