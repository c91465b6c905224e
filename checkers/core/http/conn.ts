// HTTP over raw sockets: one TCP connection, many requests, full control of every byte
// and of how the connection ends (FIN, RST). Probes use it to count what the wire shows.
import { connect, type Socket } from 'node:net';
import { ResponseParser, type RawResponse } from './parser.js';

export interface RequestSpec {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** the Host header (default: the address) */
  host?: string;
}

export interface CloseInfo {
  /** peer-fin: the server closed (FIN); peer-rst: the server reset; local: we closed; error: connect/IO error */
  by: 'peer-fin' | 'peer-rst' | 'local' | 'error';
  /** ms since the connection opened */
  atMs: number;
  code?: string;
}

export function encodeRequest(spec: RequestSpec, defaultHost: string): Buffer {
  const method = spec.method ?? 'GET';
  const body = spec.body === undefined ? undefined : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body);
  const headers: Record<string, string> = { Host: spec.host ?? defaultHost, ...spec.headers };
  if (body && !Object.keys(headers).some((k) => /^(content-length|transfer-encoding)$/i.test(k))) {
    headers['Content-Length'] = String(body.length);
  }
  let head = `${method} ${spec.path ?? '/'} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  head += '\r\n';
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

export class ConnectError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class RawConn {
  readonly openedAt = Date.now();
  readonly closed: Promise<CloseInfo>;
  /** responses received on this connection, in order */
  readonly responses: RawResponse[] = [];
  bytesReceived = 0;
  private closeInfo?: CloseInfo;
  private waiters: { resolve: (r: RawResponse) => void; reject: (e: Error) => void }[] = [];
  private parser: ResponseParser;
  private firstByteAt?: number;
  private sentAt?: number;

  private constructor(
    readonly socket: Socket,
    readonly hostHeader: string,
  ) {
    let resolveClosed!: (c: CloseInfo) => void;
    this.closed = new Promise((r) => (resolveClosed = r));
    const setClosed = (c: CloseInfo) => {
      if (this.closeInfo) return;
      this.closeInfo = c;
      const last = this.parser.end();
      if (last) this.deliver(last);
      for (const w of this.waiters.splice(0)) w.reject(new ConnectError(c.code ?? c.by, `connection closed (${c.by}${c.code ? ` ${c.code}` : ''})`));
      resolveClosed(c);
    };
    this.parser = new ResponseParser((r) => this.deliver(r));
    socket.on('data', (d: Buffer) => {
      this.bytesReceived += d.length;
      this.firstByteAt ??= Date.now();
      try {
        this.parser.feed(d);
      } catch (err) {
        socket.destroy();
        setClosed({ by: 'error', atMs: this.age(), code: 'EPROTO' });
        void err;
      }
    });
    socket.on('end', () => {
      setClosed({ by: 'peer-fin', atMs: this.age() });
      socket.destroy();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      setClosed({ by: err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'peer-rst' : 'error', atMs: this.age(), code: err.code });
    });
    socket.on('close', () => setClosed({ by: 'local', atMs: this.age() }));
  }

  /** Opens a connection; rejects with ConnectError (code ECONNREFUSED, ETIMEDOUT, EADDRNOTAVAIL...). */
  static open(host: string, port: number, opts: { timeoutMs?: number; localPort?: number } = {}): Promise<RawConn> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise((resolvePromise, reject) => {
      const socket = connect({ host, port, noDelay: true, ...(opts.localPort ? { localPort: opts.localPort } : {}) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectError('ETIMEDOUT', `connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolvePromise(new RawConn(socket, `${host}:${port}`));
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new ConnectError(err.code ?? 'ECONNECT', `connect to ${host}:${port}: ${err.message}`));
      });
    });
  }

  get isOpen(): boolean {
    return !this.closeInfo;
  }

  get closeState(): CloseInfo | undefined {
    return this.closeInfo;
  }

  age(): number {
    return Date.now() - this.openedAt;
  }

  /** Writes a request (or raw bytes) without waiting for the answer. */
  send(req: RequestSpec | Buffer, method = 'GET'): void {
    const bytes = Buffer.isBuffer(req) ? req : encodeRequest(req, this.hostHeader);
    this.parser.pendingMethods.push(Buffer.isBuffer(req) ? method : (req.method ?? 'GET'));
    this.sentAt = Date.now();
    this.firstByteAt = undefined;
    if (this.isOpen) this.socket.write(bytes);
  }

  /** Sends a request and waits for its response. */
  async request(req: RequestSpec, timeoutMs = 5000): Promise<RawResponse> {
    const next = this.next(timeoutMs);
    this.send(req);
    return next;
  }

  /** Waits for the next response on this connection. */
  next(timeoutMs = 5000): Promise<RawResponse> {
    return new Promise((resolvePromise, reject) => {
      if (!this.isOpen) return reject(new ConnectError(this.closeInfo!.code ?? this.closeInfo!.by, 'connection already closed'));
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new ConnectError('ETIMEDOUT', `no response within ${timeoutMs} ms`));
      }, timeoutMs);
      const w = {
        resolve: (r: RawResponse) => {
          clearTimeout(timer);
          resolvePromise(r);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(w);
    });
  }

  /**
   * Writes `bytes` a few at a time (slowloris): `chunk` bytes every `cadenceMs`.
   * Stops early when the server closes the connection or `signal` aborts. Resolves with the bytes written.
   */
  async writeSlowly(bytes: Buffer, opts: { chunk: number; cadenceMs: number; signal?: AbortSignal }): Promise<number> {
    let written = 0;
    while (written < bytes.length && this.isOpen && !opts.signal?.aborted) {
      const piece = bytes.subarray(written, written + opts.chunk);
      this.socket.write(piece);
      written += piece.length;
      if (written < bytes.length) await Promise.race([sleepUnref(opts.cadenceMs, opts.signal), this.closed]);
    }
    return written;
  }

  /** Half-close: send FIN, keep reading. */
  end(): void {
    if (this.isOpen) this.socket.end();
  }

  /** Close with FIN and forget. */
  close(): void {
    this.socket.destroy();
  }

  /** Abort with RST (SO_LINGER 0): what a crashed or impatient client does. */
  reset(): void {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  private deliver(r: RawResponse): void {
    if (this.sentAt && this.firstByteAt) r.ttfbMs = this.firstByteAt - this.sentAt;
    this.responses.push(r);
    this.waiters.shift()?.resolve(r);
  }
}

function sleepUnref(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolvePromise) => {
    const t = setTimeout(resolvePromise, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolvePromise();
    }, { once: true });
  });
}

export interface Outcome {
  ok: boolean;
  response?: RawResponse;
  /** ECONNREFUSED, ECONNRESET, ETIMEDOUT, EADDRNOTAVAIL, closed... */
  error?: string;
  ms: number;
}

/** One request on a fresh connection, then close. Never throws: failures come back as `error`. */
export async function httpRequest(host: string, port: number, req: RequestSpec = {}, timeoutMs = 5000): Promise<Outcome> {
  const t0 = Date.now();
  let conn: RawConn | undefined;
  try {
    conn = await RawConn.open(host, port, { timeoutMs });
    const response = await conn.request(req, Math.max(1, timeoutMs - (Date.now() - t0)));
    return { ok: response.complete, response, ms: Date.now() - t0, ...(response.complete ? {} : { error: 'truncated body' }) };
  } catch (err) {
    return { ok: false, error: (err as ConnectError).code ?? (err as Error).message, ms: Date.now() - t0 };
  } finally {
    conn?.close();
  }
}
