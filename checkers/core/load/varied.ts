// Closed-loop load where every request is different: `request(i)` builds request number i, and
// `onResponse(i, r)` sees its answer. For probes that must tell the answers apart (a request id
// echoed back, a body that depends on the query) rather than count statuses.
// N keep-alive connections on raw sockets; each sends its next request when the previous answer
// is complete; a connection that fails is replaced, and its request counts as an error.
import { RawConn, type RequestSpec } from '../http/conn.js';
import type { RawResponse } from '../http/parser.js';

export interface VariedLoadOptions {
  host: string;
  port: number;
  connections: number;
  /** requests in total, numbered 0 .. requests-1 */
  requests: number;
  request: (i: number) => RequestSpec;
  onResponse?: (i: number, r: RawResponse) => void;
  /** per-request timeout: an answer later than this counts as an error and the connection is replaced */
  timeoutMs?: number;
  /** stops sending new requests (the load also ends when this aborts) */
  signal?: AbortSignal;
}

export interface VariedLoadResult {
  /** requests written to a socket */
  sent: number;
  /** complete answers received */
  answered: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  connectionsOpened: number;
  durationMs: number;
}

export async function variedLoad(opts: VariedLoadOptions): Promise<VariedLoadResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const count = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);
  let nextIndex = 0;
  let sent = 0;
  let answered = 0;
  let opened = 0;
  const t0 = Date.now();

  const worker = async () => {
    let conn: RawConn | undefined;
    try {
      while (nextIndex < opts.requests && !opts.signal?.aborted) {
        const i = nextIndex++;
        try {
          if (!conn || !conn.isOpen) {
            opened++;
            conn = await RawConn.open(opts.host, opts.port, { timeoutMs });
          }
          sent++;
          const r = await conn.request(opts.request(i), timeoutMs);
          if (!r.complete) {
            count(errors, 'truncated');
            conn.close();
            continue;
          }
          answered++;
          count(statuses, String(r.status));
          opts.onResponse?.(i, r);
          if (/close/i.test(r.headers['connection'] ?? '')) conn.close();
        } catch (err) {
          count(errors, (err as { code?: string }).code ?? (err as Error).message);
          conn?.close();
          conn = undefined;
        }
      }
    } finally {
      conn?.close();
    }
  };

  await Promise.all(Array.from({ length: opts.connections }, worker));
  return { sent, answered, statuses, errors, connectionsOpened: opened, durationMs: Date.now() - t0 };
}
