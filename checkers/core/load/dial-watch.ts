// Dial watch: one fresh connection after another (a request on each), to see when a server
// stops accepting. Each attempt is classified by what the wire showed: refused (the listener
// is gone: ECONNREFUSED), answered (a complete response, with its status), dropped (accepted,
// then closed or reset without an answer) or timeout.
import { httpRequest, type RequestSpec } from '../http/conn.js';
import { sleep } from '../net.js';

export type DialOutcome = 'refused' | 'answered' | 'dropped' | 'timeout';

export interface DialAttempt {
  /** ms from `t0` to the moment the dial started */
  atMs: number;
  outcome: DialOutcome;
  status?: number;
  /** the error code for refused / dropped / timeout */
  code?: string;
  /** how long the attempt took */
  ms: number;
}

export interface DialWatchOptions {
  host: string;
  port: number;
  req?: RequestSpec;
  /** the reference time for `atMs` (for example the moment a signal was sent) */
  t0: number;
  /** pause between the end of one attempt and the start of the next */
  everyMs: number;
  /** per-attempt bound (connect + response) */
  timeoutMs: number;
  /** stop once this returns true (checked before each attempt) */
  until: (atMs: number) => boolean;
  /** hard bounds */
  maxAttempts: number;
  signal?: AbortSignal;
}

/** Dials sequentially until `until` says stop, `maxAttempts` is reached or `signal` aborts. */
export async function watchDials(o: DialWatchOptions): Promise<DialAttempt[]> {
  const attempts: DialAttempt[] = [];
  while (attempts.length < o.maxAttempts && !o.signal?.aborted) {
    const atMs = Date.now() - o.t0;
    if (o.until(atMs)) break;
    const r = await httpRequest(o.host, o.port, o.req ?? {}, o.timeoutMs);
    const a: DialAttempt = { atMs, ms: r.ms, outcome: 'dropped' };
    if (r.response && r.response.complete) {
      a.outcome = 'answered';
      a.status = r.response.status;
    } else if (r.error === 'ECONNREFUSED') {
      a.outcome = 'refused';
      a.code = r.error;
    } else if (r.error === 'ETIMEDOUT') {
      a.outcome = 'timeout';
      a.code = r.error;
    } else {
      a.code = r.error;
    }
    attempts.push(a);
    await sleep(o.everyMs, o.signal);
  }
  return attempts;
}
