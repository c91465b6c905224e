// A download client for large responses: one request on its own connection, the body streamed
// (never held whole), hashed and counted as it arrives, optionally gunzipped on the fly, and
// optionally read slowly (a client on a bad network, a browser saving to a slow disk).
// It measures time to the response head, time to the last byte, bytes on the wire and the
// decoded body's hash and line count, so a probe can compare representations byte for byte.
import { createHash } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

export interface DownloadOptions {
  host: string;
  port: number;
  path: string;
  headers?: Record<string, string>;
  /** gunzip the body when the response says Content-Encoding: gzip (default true) */
  decode?: boolean;
  /** read slowly: after every `bytes` bytes, stop reading for `pauseMs` */
  pace?: { bytes: number; pauseMs: number };
  /** stop (and close the connection) after this many body bytes: the download then counts as cut short by us */
  maxBytes?: number;
  /** give up after this long */
  timeoutMs: number;
  signal?: AbortSignal;
  /** called once when the response head arrives */
  onHead?: (res: IncomingMessage) => void;
  /** called with the body bytes received so far, after every chunk */
  onData?: (wireBytes: number) => void;
}

export interface DecodedBody {
  bytes: number;
  sha256: string;
  lines: number;
  /** the first bytes, for checking the first lines */
  head: string;
  /** the decoder's error, when the body is not valid gzip */
  error?: string;
}

export interface Download {
  ok: boolean;
  status?: number;
  headers: Record<string, string | string[] | undefined>;
  /** ms from sending the request to the response head (status line + headers) */
  headMs?: number;
  /** ms from sending the request to the last body byte (or to the end of the attempt) */
  totalMs: number;
  /** body bytes as sent (after chunked decoding, before gunzip) */
  wireBytes: number;
  /** the body, decoded when it was gzip and `decode` is on */
  body: DecodedBody;
  /** true when the body ended properly (the server finished the response) */
  complete: boolean;
  /** we stopped reading at maxBytes, or were aborted */
  stoppedByUs: boolean;
  error?: string;
}

const HEAD_BYTES = 512;

class BodySink {
  private hash = createHash('sha256');
  bytes = 0;
  lines = 0;
  head = '';
  error?: string;
  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) this.lines++;
    if (this.head.length < HEAD_BYTES) this.head += chunk.subarray(0, HEAD_BYTES - this.head.length).toString('latin1');
  }
  result(): DecodedBody {
    return { bytes: this.bytes, sha256: this.hash.digest('hex'), lines: this.lines, head: this.head, ...(this.error ? { error: this.error } : {}) };
  }
}

/** GET (or whatever `headers` imply) `path` and stream the answer. Never throws. */
export function download(opts: DownloadOptions): Promise<Download> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  return new Promise((resolvePromise) => {
    let settled = false;
    let headMs: number | undefined;
    let status: number | undefined;
    let headers: Download['headers'] = {};
    let wireBytes = 0;
    let stoppedByUs = false;
    let complete = false;
    const sink = new BodySink();
    let gunzip: ReturnType<typeof createGunzip> | undefined;
    let gunzipDone: Promise<void> = Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    let pauseTimer: NodeJS.Timeout | undefined;

    const finish = async (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(pauseTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (gunzip) {
        if (complete) gunzip.end();
        else gunzip.destroy();
        await gunzipDone;
      }
      const body = sink.result();
      resolvePromise({
        ok: !error && complete && !body.error,
        status,
        headers,
        headMs,
        totalMs: ms(),
        wireBytes,
        body,
        complete,
        stoppedByUs,
        ...(error ? { error } : {}),
      });
    };

    const req = request({
      host: opts.host,
      port: opts.port,
      path: opts.path,
      method: 'GET',
      agent: false,
      headers: { ...opts.headers },
    });
    const stop = (why: string) => {
      stoppedByUs = true;
      req.destroy();
      void finish(why);
    };
    const onAbort = () => stop('aborted by the checker');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => stop(`no complete answer within ${opts.timeoutMs} ms`), opts.timeoutMs);

    req.on('error', (err: NodeJS.ErrnoException) => void finish(err.code ?? err.message));
    req.on('response', (res) => {
      headMs = ms();
      status = res.statusCode;
      headers = res.headers;
      opts.onHead?.(res);
      const gz = (opts.decode ?? true) && /\bgzip\b/i.test(String(res.headers['content-encoding'] ?? ''));
      if (gz) {
        gunzip = createGunzip();
        gunzip.on('data', (d: Buffer) => sink.write(d));
        gunzipDone = new Promise((r) => {
          gunzip!.on('end', () => r());
          gunzip!.on('close', () => r());
          gunzip!.on('error', (err) => {
            sink.error = err.message;
            r();
          });
        });
      }
      let sincePause = 0;
      res.on('data', (chunk: Buffer) => {
        wireBytes += chunk.length;
        opts.onData?.(wireBytes);
        if (gunzip) gunzip.write(chunk);
        else sink.write(chunk);
        if (opts.maxBytes !== undefined && wireBytes >= opts.maxBytes) return stop('stopped at maxBytes');
        if (opts.pace) {
          sincePause += chunk.length;
          if (sincePause >= opts.pace.bytes) {
            sincePause = 0;
            res.pause();
            pauseTimer = setTimeout(() => res.resume(), opts.pace.pauseMs);
          }
        }
      });
      res.on('end', () => {
        complete = res.complete;
        void finish(res.complete ? undefined : 'the server closed the connection before the end of the body');
      });
      res.on('aborted', () => void finish('the server closed the connection before the end of the body'));
      res.on('error', (err: NodeJS.ErrnoException) => void finish(err.code ?? err.message));
    });
    req.end();
  });
}
