// An incremental HTTP/1.1 response parser for raw sockets.
// Knows Content-Length, chunked transfer coding, and close-delimited bodies;
// keeps the raw bytes counted so probes can compare what the wire carried.

export interface RawResponse {
  status: number;
  reason: string;
  /** header names lower-cased; repeated headers joined with ", " */
  headers: Record<string, string>;
  body: Buffer;
  /** true when the body ended properly (length reached, last chunk seen, or close for close-delimited) */
  complete: boolean;
  /** ms from the request's first byte to the response's first byte */
  ttfbMs?: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

type State =
  | { kind: 'head' }
  | { kind: 'length'; left: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'chunk-crlf' }
  | { kind: 'trailers' }
  | { kind: 'until-close' };

export class ResponseParser {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = { kind: 'head' };
  private current?: { status: number; reason: string; headers: Record<string, string>; chunks: Buffer[] };
  /** methods of the requests sent, in order (HEAD responses carry no body) */
  readonly pendingMethods: string[] = [];

  constructor(private readonly onResponse: (r: RawResponse) => void) {}

  feed(data: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    for (;;) {
      if (!this.step()) return;
    }
  }

  /** The connection ended: finish a close-delimited body; report a truncated one as incomplete. */
  end(): RawResponse | undefined {
    if (!this.current) return undefined;
    const complete = this.state.kind === 'until-close';
    if (this.state.kind === 'until-close' && this.buf.length) this.current.chunks.push(this.buf);
    const r = this.build(complete);
    this.current = undefined;
    this.state = { kind: 'head' };
    return r;
  }

  /** bytes of the body received so far for the response being read */
  partialBodyBytes(): number {
    return this.current ? this.current.chunks.reduce((n, c) => n + c.length, 0) : 0;
  }

  private step(): boolean {
    const s = this.state;
    switch (s.kind) {
      case 'head': {
        const end = this.buf.indexOf(CRLFCRLF);
        if (end < 0) return false;
        const head = this.buf.subarray(0, end).toString('latin1');
        this.buf = this.buf.subarray(end + 4);
        const [statusLine, ...lines] = head.split('\r\n');
        const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine ?? '');
        if (!m) throw new Error(`not an HTTP response: ${JSON.stringify((statusLine ?? '').slice(0, 60))}`);
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const i = line.indexOf(':');
          if (i <= 0) continue;
          const k = line.slice(0, i).trim().toLowerCase();
          const v = line.slice(i + 1).trim();
          headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
        }
        const status = Number(m[1]);
        if (status >= 100 && status < 200 && status !== 101) return true; // 1xx: skip, keep reading
        const method = this.pendingMethods.shift() ?? 'GET';
        this.current = { status, reason: m[2] ?? '', headers, chunks: [] };
        if (method === 'HEAD' || status === 204 || status === 304) return this.emit(true);
        if (/chunked/i.test(headers['transfer-encoding'] ?? '')) this.state = { kind: 'chunk-size' };
        else if (headers['content-length'] !== undefined) {
          const left = Number(headers['content-length']);
          if (left === 0) return this.emit(true);
          this.state = { kind: 'length', left };
        } else this.state = { kind: 'until-close' };
        return true;
      }
      case 'length': {
        if (!this.buf.length) return false;
        const take = Math.min(s.left, this.buf.length);
        this.current!.chunks.push(this.buf.subarray(0, take));
        this.buf = this.buf.subarray(take);
        s.left -= take;
        if (s.left === 0) return this.emit(true);
        return this.buf.length > 0;
      }
      case 'chunk-size': {
        const nl = this.buf.indexOf('\r\n');
        if (nl < 0) return false;
        const size = parseInt(this.buf.subarray(0, nl).toString('latin1').split(';')[0]!.trim(), 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size');
        this.buf = this.buf.subarray(nl + 2);
        this.state = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', left: size };
        return true;
      }
      case 'chunk-data': {
        if (!this.buf.length) return false;
        const take = Math.min(s.left, this.buf.length);
        this.current!.chunks.push(this.buf.subarray(0, take));
        this.buf = this.buf.subarray(take);
        s.left -= take;
        if (s.left === 0) this.state = { kind: 'chunk-crlf' };
        return true;
      }
      case 'chunk-crlf': {
        if (this.buf.length < 2) return false;
        this.buf = this.buf.subarray(2);
        this.state = { kind: 'chunk-size' };
        return true;
      }
      case 'trailers': {
        const nl = this.buf.indexOf('\r\n');
        if (nl < 0) return false;
        this.buf = this.buf.subarray(nl + 2);
        if (nl === 0) return this.emit(true);
        return true;
      }
      case 'until-close': {
        if (this.buf.length) {
          this.current!.chunks.push(this.buf);
          this.buf = Buffer.alloc(0);
        }
        return false;
      }
    }
  }

  private build(complete: boolean): RawResponse {
    const c = this.current!;
    return { status: c.status, reason: c.reason, headers: c.headers, body: Buffer.concat(c.chunks), complete };
  }

  private emit(complete: boolean): boolean {
    const r = this.build(complete);
    this.current = undefined;
    this.state = { kind: 'head' };
    this.onResponse(r);
    return true;
  }
}
