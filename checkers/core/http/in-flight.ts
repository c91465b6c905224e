// A request kept in flight on purpose: sent on its own connection and watched byte by byte,
// so that a probe can act (send SIGTERM, restart the server) while the response is half-way,
// and then see whether the response still arrived whole.
import { RawConn, type CloseInfo, type RequestSpec } from './conn.js';
import type { RawResponse } from './parser.js';

export interface InFlightResult {
  /** the response as far as it came (`complete` false when the connection closed mid-body) */
  response?: RawResponse;
  /** why no complete response: ECONNREFUSED, peer-fin, ECONNRESET, ETIMEDOUT... */
  error?: string;
  /** how the connection ended, when it has */
  closed?: CloseInfo;
  /** raw bytes received on the connection (head, framing and body) */
  bytes: number;
  /** ms from the request to the end of the response (or to the failure) */
  ms: number;
}

export class InFlightRequest {
  private raw: Buffer[] = [];
  private rawLength = 0;
  private watchers: { needle: Buffer; resolve: (seen: boolean) => void }[] = [];
  private readonly answer: Promise<RawResponse>;
  readonly sentAt = Date.now();

  private constructor(
    readonly conn: RawConn,
    req: RequestSpec,
    timeoutMs: number,
    /** keep at most this many raw bytes for `waitFor` */
    private readonly keepBytes: number,
  ) {
    conn.socket.on('data', (d: Buffer) => {
      if (this.rawLength < keepBytes) {
        this.raw.push(d);
        this.rawLength += d.length;
      }
      if (this.watchers.length) {
        const seen = Buffer.concat(this.raw);
        for (const w of this.watchers.splice(0)) {
          if (seen.includes(w.needle)) w.resolve(true);
          else this.watchers.push(w);
        }
      }
    });
    conn.closed.then(() => {
      for (const w of this.watchers.splice(0)) w.resolve(false);
    });
    this.answer = conn.next(timeoutMs);
    this.answer.catch(() => {}); // judged in result()
    conn.send(req);
  }

  /** Opens a connection and sends `req`; rejects (ConnectError) only when the connect fails. */
  static async start(
    host: string,
    port: number,
    req: RequestSpec,
    opts: { connectTimeoutMs?: number; responseTimeoutMs?: number; keepBytes?: number } = {},
  ): Promise<InFlightRequest> {
    const conn = await RawConn.open(host, port, { timeoutMs: opts.connectTimeoutMs ?? 3000 });
    return new InFlightRequest(conn, req, opts.responseTimeoutMs ?? 30_000, opts.keepBytes ?? 64 << 10);
  }

  /** true once the bytes received so far contain `needle`; false on timeout, abort or close. */
  waitFor(needle: string | Buffer, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const n = typeof needle === 'string' ? Buffer.from(needle, 'latin1') : needle;
    if (Buffer.concat(this.raw).includes(n)) return Promise.resolve(true);
    if (!this.conn.isOpen) return Promise.resolve(false);
    return new Promise((resolvePromise) => {
      const w = {
        needle: n,
        resolve: (seen: boolean) => {
          clearTimeout(t);
          signal?.removeEventListener('abort', onAbort);
          resolvePromise(seen);
        },
      };
      const drop = () => {
        const i = this.watchers.indexOf(w);
        if (i >= 0) this.watchers.splice(i, 1);
        w.resolve(false);
      };
      const t = setTimeout(drop, timeoutMs);
      const onAbort = () => drop();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.watchers.push(w);
    });
  }

  /** true while the response has not fully arrived and the connection is open */
  get inFlight(): boolean {
    return this.conn.isOpen && this.conn.responses.length === 0;
  }

  /** Waits for the response (or the failure); never throws. */
  async result(): Promise<InFlightResult> {
    try {
      const response = await this.answer;
      return {
        response,
        ...(response.complete ? {} : { error: this.conn.closeState ? closeWord(this.conn.closeState) : 'truncated' }),
        closed: this.conn.closeState,
        bytes: this.conn.bytesReceived,
        ms: Date.now() - this.sentAt,
      };
    } catch (err) {
      return {
        error: (err as { code?: string }).code ?? (err as Error).message,
        closed: this.conn.closeState,
        bytes: this.conn.bytesReceived,
        ms: Date.now() - this.sentAt,
      };
    }
  }

  close(): void {
    this.conn.close();
  }
}

function closeWord(c: CloseInfo): string {
  if (c.by === 'peer-fin') return 'connection closed by the server (FIN)';
  if (c.by === 'peer-rst') return 'connection reset by the server (RST)';
  return c.code ?? c.by;
}
