// A stand-in upstream service that a lab server calls (a gateway's backend, an ingest
// service): an HTTP/1.1 server on raw sockets in the checker's process. It counts what a
// learner's server cannot fake: the TCP connections it accepted, the requests it received
// (with their bodies), and which side closed each connection.
//
// Keep-alive by default. For a request with `Connection: close` (what Transport.DisableKeepAlives
// sends) the upstream closes, as net/http's server does, and it is made deterministic that it
// closes FIRST, so the TIME_WAIT always lands on its side: that response has no Content-Length,
// its body ends with the connection (RFC 9112 section 6.3), so the client cannot see the end of
// the body before the upstream's FIN. (With a Content-Length the client may read the body and
// close in the few microseconds between the server's write and its close: a race that left
// ~7% of the TIME_WAITs on the client side under load here.)
import { createServer, type Server, type Socket } from 'node:net';
import { onCleanup } from '../cleanup.js';

export interface UpstreamRequest {
  method: string;
  path: string;
  /** header names lower-cased; repeated headers joined with ", " */
  headers: Record<string, string>;
  body: Buffer;
  /** 1 for the first connection this upstream accepted */
  connection: number;
}

export interface UpstreamReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface UpstreamOptions {
  host?: string;
  /** 0 (default) lets the kernel choose */
  port?: number;
  /**
   * how a request is answered; the default is 200 with an empty JSON object. A handler may answer
   * later (a promise: a slow upstream); replies still go out in request order on each connection
   */
  handle?: (req: UpstreamRequest) => UpstreamReply | Promise<UpstreamReply>;
  /** how many of the last requests to keep (bodies included) */
  keep?: number;
  /** largest request head and body accepted (default 1 MiB); larger gets 413 and a close */
  maxBytes?: number;
}

export interface UpstreamCounts {
  /** TCP connections accepted */
  connections: number;
  requests: number;
  /** connections the upstream closed first (after a `Connection: close` request, or a bad request) */
  closedByUpstream: number;
  /** connections the client closed (FIN or RST) */
  closedByClient: number;
}

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 400: 'Bad Request', 404: 'Not Found', 413: 'Content Too Large', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

type Parsed = { method: string; path: string; version: string; headers: Record<string, string>; body: Buffer };

/**
 * Incremental HTTP/1.1 request parser: Content-Length and chunked bodies (trailers skipped).
 * `feed` returns the complete requests found so far; it throws on a malformed or oversized request.
 */
export class RequestParser {
  private buf: Buffer = Buffer.alloc(0);
  private head?: Omit<Parsed, 'body'>;
  private need: { kind: 'length'; left: number } | { kind: 'chunked' } | undefined;
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes = 1 << 20) {}

  feed(data: Buffer): Parsed[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const out: Parsed[] = [];
    for (;;) {
      const r = this.step();
      if (!r) return out;
      out.push(r);
    }
  }

  private step(): Parsed | undefined {
    if (!this.head) {
      const end = this.buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (this.buf.length > this.maxBytes) throw new Error('request head too large');
        return undefined;
      }
      const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
      this.buf = this.buf.subarray(end + 4);
      const [method, path, version] = lines[0]!.split(' ');
      if (!method || !path || !/^HTTP\/1\.[01]$/.test(version ?? '')) throw new Error(`bad request line ${JSON.stringify(lines[0])}`);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) throw new Error(`bad header line ${JSON.stringify(line)}`);
        const k = line.slice(0, colon).trim().toLowerCase();
        const v = line.slice(colon + 1).trim();
        headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
      }
      this.head = { method, path, version: version!, headers };
      this.chunks = [];
      this.size = 0;
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) this.need = { kind: 'chunked' };
      else {
        const n = Number(headers['content-length'] ?? 0);
        if (!Number.isSafeInteger(n) || n < 0) throw new Error('bad Content-Length');
        if (n > this.maxBytes) throw new Error('request body too large');
        this.need = { kind: 'length', left: n };
      }
    }
    const need = this.need!;
    if (need.kind === 'length') {
      if (this.buf.length < need.left) return undefined;
      const body = this.buf.subarray(0, need.left);
      this.buf = this.buf.subarray(need.left);
      return this.finish([body]);
    }
    // chunked: size line, data, CRLF ... 0-size chunk, trailers, CRLF
    for (;;) {
      const eol = this.buf.indexOf(CRLF);
      if (eol < 0) return undefined;
      const n = parseInt(this.buf.subarray(0, eol).toString('latin1').split(';')[0]!.trim(), 16);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error('bad chunk size');
      if (n === 0) {
        const end = this.buf.indexOf(CRLFCRLF, eol);
        if (end === eol) {
          this.buf = this.buf.subarray(eol + 4);
          return this.finish(this.chunks);
        }
        // trailers: skip to the blank line
        const t = this.buf.indexOf(CRLFCRLF, eol + 2);
        if (t < 0) return undefined;
        this.buf = this.buf.subarray(t + 4);
        return this.finish(this.chunks);
      }
      if (this.buf.length < eol + 2 + n + 2) return undefined;
      this.size += n;
      if (this.size > this.maxBytes) throw new Error('request body too large');
      this.chunks.push(this.buf.subarray(eol + 2, eol + 2 + n));
      this.buf = this.buf.subarray(eol + 2 + n + 2);
    }
  }

  private finish(parts: Buffer[]): Parsed {
    const r = { ...this.head!, body: Buffer.concat(parts) };
    this.head = undefined;
    this.need = undefined;
    return r;
  }
}

function wantsClose(r: Parsed): boolean {
  const c = (r.headers['connection'] ?? '').toLowerCase();
  return r.version === 'HTTP/1.0' ? !/keep-alive/.test(c) : /(^|,)\s*close\s*(,|$)/.test(c);
}

function encodeReply(reply: UpstreamReply, close: boolean): Buffer {
  const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(reply.body);
  let head = `HTTP/1.1 ${reply.status} ${REASONS[reply.status] ?? 'Status'}\r\n`;
  for (const [k, v] of Object.entries(reply.headers ?? {})) {
    if (!/^(content-length|connection|transfer-encoding)$/i.test(k)) head += `${k}: ${v}\r\n`;
  }
  // a close-delimited body when closing: see the header comment
  head += close ? 'Connection: close\r\n' : `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

export class Upstream {
  /** TCP connections accepted so far */
  connections = 0;
  /** requests answered so far */
  requests = 0;
  closedByUpstream = 0;
  closedByClient = 0;
  /** the last `keep` requests, oldest first */
  readonly recent: UpstreamRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private unregister?: () => void;

  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** Connections currently open. */
  get open(): number {
    return this.sockets.size;
  }

  counts(): UpstreamCounts {
    return { connections: this.connections, requests: this.requests, closedByUpstream: this.closedByUpstream, closedByClient: this.closedByClient };
  }

  static start(opts: UpstreamOptions = {}): Promise<Upstream> {
    const host = opts.host ?? '127.0.0.1';
    const keep = opts.keep ?? 20;
    const handle = opts.handle ?? (() => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{}' }));
    let self!: Upstream;
    const server = createServer({ noDelay: true, allowHalfOpen: false }, (socket: Socket) => {
      const u = self;
      const id = ++u.connections;
      u.sockets.add(socket);
      const parser = new RequestParser(opts.maxBytes);
      let closing = false;
      // Replies a handler returns as a promise, written in request order (a synchronous reply
      // behind one waits its turn); a handler that always answers at once runs as it always did.
      let queue: Promise<void> = Promise.resolve();
      let queued = 0;
      // The response, then the FIN: the body is close-delimited, so the client waits for it.
      const closeFirst = (data: Buffer) => {
        closing = true;
        u.closedByUpstream++;
        socket.end(data);
      };
      socket.on('data', (d: Buffer) => {
        if (closing) return;
        let requests: Parsed[];
        try {
          requests = parser.feed(d);
        } catch (err) {
          closeFirst(encodeReply({ status: /too large/.test((err as Error).message) ? 413 : 400, body: `${(err as Error).message}\n` }, true));
          return;
        }
        for (const r of requests) {
          const request: UpstreamRequest = { method: r.method, path: r.path, headers: r.headers, body: r.body, connection: id };
          u.requests++;
          u.recent.push(request);
          if (u.recent.length > keep) u.recent.shift();
          let reply: UpstreamReply | Promise<UpstreamReply>;
          try {
            reply = handle(request);
          } catch (err) {
            reply = { status: 500, body: `upstream handler failed: ${(err as Error).message}\n` };
          }
          const close = wantsClose(r);
          if (reply instanceof Promise || queued > 0) {
            queued++;
            const later = Promise.resolve(reply).catch((err: Error): UpstreamReply => ({ status: 500, body: `upstream handler failed: ${err.message}\n` }));
            queue = queue.then(async () => {
              const rep = await later;
              queued--;
              if (socket.destroyed) return;
              if (close) {
                u.closedByUpstream++;
                socket.end(encodeReply(rep, true));
              } else socket.write(encodeReply(rep, false));
            });
            if (close) {
              closing = true; // read nothing more: the reply and the FIN follow
              return;
            }
            continue;
          }
          const data = encodeReply(reply, close);
          if (close) {
            closeFirst(data);
            return;
          }
          socket.write(data);
        }
      });
      socket.on('end', () => {
        if (!closing) u.closedByClient++;
        closing = true;
        socket.end();
      });
      socket.on('error', () => {
        if (!closing) u.closedByClient++;
        closing = true;
      });
      socket.on('close', () => u.sockets.delete(socket));
    });
    return new Promise((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen({ port: opts.port ?? 0, host, backlog: 1024 }, () => {
        server.off('error', reject);
        const addr = server.address();
        const port = typeof addr === 'object' && addr ? addr.port : 0;
        self = new Upstream(server, host, port);
        // the process may end without a close(): make sure the listener goes with it
        self.unregister = onCleanup(() => self.closeNow());
        resolvePromise(self);
      });
    });
  }

  /** Stop listening and destroy every connection (synchronous). */
  closeNow(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.unregister?.();
    this.unregister = undefined;
    await new Promise<void>((resolvePromise) => {
      this.server.close(() => resolvePromise());
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
    });
  }
}
