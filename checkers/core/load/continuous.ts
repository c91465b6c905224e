// Continuous load that runs until stopped, for probes that change the server underneath it
// (a restart, a deploy, a reload) and count what the clients saw.
//
// Two kinds of workers, each sending one GET at a time with a short pause:
//   - keep-alive workers reuse one connection for as long as the server keeps it;
//   - fresh workers open a new connection for every request (Connection: close, so the server
//     closes first and the client's ports are not held in TIME_WAIT).
// A keep-alive worker behaves like Go's http.Transport or any proxy: a request on a REUSED
// connection that fails before a single byte of the response arrived (the server closed the
// idle connection as the request was on its way) is retried once, on a new connection; HTTP
// allows that for idempotent requests (RFC 9110 section 9.2.2). The retry's outcome counts.
// Everything else counts as a failure: a refused or reset dial, a connection closed or reset
// after part of the response, a truncated body, a timeout.
//
// Each answered request is tagged with the values of `tagHeaders` (for example the PID of the
// process that served it); counts are kept by tag and by time bucket, failures one by one
// (bounded), so an hour of load costs a few kilobytes.
import { RawConn, ConnectError, type RequestSpec } from '../http/conn.js';
import { sleep } from '../net.js';

export type FailureKind = 'refused' | 'reset' | 'closed' | 'truncated' | 'timeout' | 'error';

export interface LoadFailure {
  /** ms since the load started */
  atMs: number;
  worker: 'keep-alive' | 'fresh';
  kind: FailureKind;
  code?: string;
  /** response bytes received before the failure */
  bytes: number;
  /** the failed attempt was itself the retry of a request on a reused connection */
  retry: boolean;
}

export interface ContinuousLoadOptions {
  host: string;
  port: number;
  request: RequestSpec;
  keepAliveWorkers: number;
  freshWorkers: number;
  /** pause after each request, per worker (bounds the rate and the CPU the checker takes) */
  pauseMs?: number;
  /** per-request bound: connect + complete response */
  timeoutMs?: number;
  /** response headers whose values tag each answer (lower-case names), joined with " " */
  tagHeaders?: string[];
  /** time bucket for the timeline, ms */
  bucketMs?: number;
  /** most failures kept one by one */
  keepFailures?: number;
  signal?: AbortSignal;
}

export interface TagCount {
  tag: string;
  answered: number;
  firstAtMs: number;
  lastAtMs: number;
}

export interface ContinuousLoadResult {
  durationMs: number;
  /** complete answers (any status) */
  answered: number;
  failed: number;
  /** requests retried after their reused connection closed before any byte of the answer */
  retried: number;
  statuses: Record<string, number>;
  byTag: TagCount[];
  failures: LoadFailure[];
  failuresByKind: Partial<Record<FailureKind, number>>;
  /** per bucket: answered and failed */
  timeline: { atMs: number; answered: number; failed: number }[];
  connectionsOpened: number;
}

export class ContinuousLoad {
  readonly t0 = Date.now();
  private answered = 0;
  private failed = 0;
  private retried = 0;
  private opened = 0;
  private readonly statuses: Record<string, number> = {};
  private readonly tags = new Map<string, TagCount>();
  private readonly failures: LoadFailure[] = [];
  private readonly failuresByKind: Partial<Record<FailureKind, number>> = {};
  private readonly buckets = new Map<number, { answered: number; failed: number }>();
  private readonly stopper = new AbortController();
  private readonly workers: Promise<void>[];
  private readonly listeners: ((tag: string, atMs: number) => void)[] = [];
  private endedAt?: number;

  constructor(private readonly o: ContinuousLoadOptions) {
    o.signal?.addEventListener('abort', () => this.stopper.abort(), { once: true });
    const all: Promise<void>[] = [];
    for (let i = 0; i < o.keepAliveWorkers; i++) all.push(this.keepAliveWorker());
    for (let i = 0; i < o.freshWorkers; i++) all.push(this.freshWorker());
    this.workers = all;
  }

  /** Called with the tag of every answer from now on (to notice a new process as soon as it serves). */
  onAnswer(listener: (tag: string, atMs: number) => void): void {
    this.listeners.push(listener);
  }

  /** ms since the load started */
  now(): number {
    return Date.now() - this.t0;
  }

  /** Answers and failures so far (the load keeps running). */
  counts(): { answered: number; failed: number; failuresByKind: Partial<Record<FailureKind, number>> } {
    return { answered: this.answered, failed: this.failed, failuresByKind: { ...this.failuresByKind } };
  }

  async stop(): Promise<ContinuousLoadResult> {
    this.stopper.abort();
    await Promise.all(this.workers);
    this.endedAt ??= Date.now();
    const bucketMs = this.o.bucketMs ?? 100;
    const last = Math.floor((this.endedAt - this.t0) / bucketMs);
    const timeline = [];
    for (let b = 0; b <= last; b++) timeline.push({ atMs: b * bucketMs, ...(this.buckets.get(b) ?? { answered: 0, failed: 0 }) });
    return {
      durationMs: this.endedAt - this.t0,
      answered: this.answered,
      failed: this.failed,
      retried: this.retried,
      statuses: { ...this.statuses },
      byTag: [...this.tags.values()].sort((a, b) => a.firstAtMs - b.firstAtMs),
      failures: [...this.failures],
      failuresByKind: { ...this.failuresByKind },
      timeline,
      connectionsOpened: this.opened,
    };
  }

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  private bucket(atMs: number) {
    const k = Math.floor(atMs / (this.o.bucketMs ?? 100));
    let b = this.buckets.get(k);
    if (!b) this.buckets.set(k, (b = { answered: 0, failed: 0 }));
    return b;
  }

  private ok(atMs: number, status: number, headers: Record<string, string>): void {
    this.answered++;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    this.bucket(atMs).answered++;
    const tag = (this.o.tagHeaders ?? []).map((h) => headers[h] ?? '-').join(' ');
    const now = this.now();
    const t = this.tags.get(tag);
    if (t) {
      t.answered++;
      t.lastAtMs = now;
    } else this.tags.set(tag, { tag, answered: 1, firstAtMs: now, lastAtMs: now });
    for (const l of this.listeners) l(tag, now);
  }

  private fail(f: LoadFailure): void {
    this.failed++;
    this.failuresByKind[f.kind] = (this.failuresByKind[f.kind] ?? 0) + 1;
    this.bucket(f.atMs).failed++;
    if (this.failures.length < (this.o.keepFailures ?? 500)) this.failures.push(f);
  }

  private async open(): Promise<RawConn> {
    this.opened++;
    return RawConn.open(this.o.host, this.o.port, { timeoutMs: this.o.timeoutMs ?? 3000 });
  }

  /**
   * One request on `conn` (opened here when undefined). Resolves with the connection to reuse
   * (undefined when it is gone), and whether the attempt failed before any byte on a reused connection.
   */
  private async attempt(
    worker: 'keep-alive' | 'fresh',
    conn: RawConn | undefined,
    retry: boolean,
  ): Promise<{ conn?: RawConn; retryable: boolean }> {
    const atMs = this.now();
    const timeoutMs = this.o.timeoutMs ?? 3000;
    const reused = !!conn;
    let c = conn;
    try {
      c ??= await this.open();
    } catch (err) {
      const code = (err as ConnectError).code ?? 'error';
      this.fail({ atMs, worker, kind: code === 'ECONNREFUSED' ? 'refused' : code === 'ETIMEDOUT' ? 'timeout' : code === 'ECONNRESET' ? 'reset' : 'error', code, bytes: 0, retry });
      return { retryable: false };
    }
    const before = c.bytesReceived;
    const spec: RequestSpec = worker === 'fresh' ? { ...this.o.request, headers: { ...this.o.request.headers, Connection: 'close' } } : this.o.request;
    try {
      const r = await c.request(spec, timeoutMs);
      if (!r.complete) {
        c.close();
        this.fail({ atMs, worker, kind: 'truncated', bytes: c.bytesReceived - before, retry });
        return { retryable: false };
      }
      this.ok(atMs, r.status, r.headers);
      const keep = worker === 'keep-alive' && c.isOpen && !/close/i.test(r.headers['connection'] ?? '');
      if (!keep) c.close();
      return { conn: keep ? c : undefined, retryable: false };
    } catch (err) {
      const bytes = c.bytesReceived - before;
      const code = (err as ConnectError).code ?? (err as Error).message;
      c.close();
      // Closed or reset before any byte of the answer, on a connection that had served before:
      // the server closed it as idle while the request was on its way. Retry once.
      if (reused && bytes === 0 && code !== 'ETIMEDOUT' && !retry) return { retryable: true };
      this.fail({
        atMs,
        worker,
        kind: code === 'ETIMEDOUT' ? 'timeout' : /RESET|rst|EPIPE/i.test(code) ? 'reset' : /fin|closed/i.test(code) ? 'closed' : 'error',
        code,
        bytes,
        retry,
      });
      return { retryable: false };
    }
  }

  private async keepAliveWorker(): Promise<void> {
    let conn: RawConn | undefined;
    try {
      while (!this.stopped) {
        if (conn && !conn.isOpen) conn = undefined; // closed while idle: just reconnect
        const r = await this.attempt('keep-alive', conn, false);
        conn = r.conn;
        if (r.retryable && !this.stopped) {
          this.retried++;
          conn = (await this.attempt('keep-alive', undefined, true)).conn;
        }
        await sleep(this.o.pauseMs ?? 1, this.stopper.signal);
      }
    } finally {
      conn?.close();
    }
  }

  private async freshWorker(): Promise<void> {
    while (!this.stopped) {
      await this.attempt('fresh', undefined, false);
      await sleep(this.o.pauseMs ?? 1, this.stopper.signal);
    }
  }
}
