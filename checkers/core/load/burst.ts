// A burst: N requests at once, each on its own fresh connection, kept in hand so that a probe
// can decide what happens next: wait for the answers, or abort every connection (FIN or RST)
// while the handlers are still running. Counts what it did, so a checker can tell a measured
// result from one where the load never happened.
import { RawConn, type RequestSpec } from '../http/conn.js';
import type { RawResponse } from '../http/parser.js';
import { sleep } from '../net.js';

export type AbortMode = 'fin' | 'rst';

export interface BurstOptions {
  host: string;
  port: number;
  /** how many connections, one request each */
  requests: number;
  request: RequestSpec;
  connectTimeoutMs?: number;
}

export interface AbortSummary {
  /** connections aborted with FIN (half-close) and with RST (SO_LINGER 0) */
  fin: number;
  rst: number;
  /** connections that already had (part of) an answer when they were aborted */
  answeredBefore: number;
}

export class Burst {
  readonly conns: RawConn[] = [];
  readonly connectErrors: Record<string, number> = {};
  sentAt = 0;

  private constructor(readonly opts: BurstOptions) {}

  /** Opens every connection (in parallel), then writes every request in one go. */
  static async start(opts: BurstOptions): Promise<Burst> {
    const b = new Burst(opts);
    const results = await Promise.allSettled(
      Array.from({ length: opts.requests }, () => RawConn.open(opts.host, opts.port, { timeoutMs: opts.connectTimeoutMs ?? 3000 })),
    );
    for (const r of results) {
      if (r.status === 'fulfilled') b.conns.push(r.value);
      else {
        const code = (r.reason as { code?: string }).code ?? 'ECONNECT';
        b.connectErrors[code] = (b.connectErrors[code] ?? 0) + 1;
      }
    }
    b.sentAt = Date.now();
    for (const c of b.conns) c.send(opts.request);
    return b;
  }

  /** requests actually written */
  get sent(): number {
    return this.conns.length;
  }

  /** connections that have received at least one byte of an answer */
  answered(): number {
    return this.conns.filter((c) => c.bytesReceived > 0).length;
  }

  /** the complete responses received so far, one per connection at most */
  responses(): RawResponse[] {
    return this.conns.flatMap((c) => c.responses.slice(0, 1));
  }

  /** status code -> count, over the complete responses received so far */
  statuses(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.responses()) out[r.status] = (out[r.status] ?? 0) + 1;
    return out;
  }

  /** true when every connection has a complete response or is closed */
  settled(): boolean {
    return this.conns.every((c) => c.responses.length > 0 || !c.isOpen);
  }

  /** Waits until every connection has a response or is closed, or `timeoutMs` passes. */
  async waitAnswered(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !signal?.aborted) {
      if (this.settled()) return;
      await sleep(25, signal);
    }
  }

  /**
   * Aborts every connection, alternating FIN (the client closes its side: a browser tab closed,
   * a client-side timeout) and RST (a crashed client, a proxy that gave up).
   */
  abort(): AbortSummary {
    const summary: AbortSummary = { fin: 0, rst: 0, answeredBefore: this.answered() };
    this.conns.forEach((c, i) => {
      if (i % 2 === 0) {
        c.end();
        summary.fin++;
      } else {
        c.reset();
        summary.rst++;
      }
    });
    return summary;
  }

  /** Waits until every connection is closed on both sides we can see, or `timeoutMs` passes. */
  async waitClosed(timeoutMs: number, signal?: AbortSignal): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !signal?.aborted) {
      if (this.conns.every((c) => !c.isOpen)) break;
      await sleep(25, signal);
    }
    return this.conns.filter((c) => c.isOpen).length;
  }

  /** Closes every connection that is still open (FIN). */
  close(): void {
    for (const c of this.conns) c.close();
  }
}
