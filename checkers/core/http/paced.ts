// Legitimate slow traffic: an upload whose body is written at a fixed pace (a phone on a slow
// link), and a download whose response the server streams over a long time. Both never throw:
// what happened comes back as a record the checker can judge and explain.
import { RawConn, type CloseInfo, type RequestSpec } from './conn.js';
import type { RawResponse } from './parser.js';

export interface PacedUploadOptions {
  host: string;
  port: number;
  /** method, path and extra headers; Content-Length is set from `body` */
  request: RequestSpec;
  body: Buffer;
  /** bytes per write and the pause between writes: body.length / chunk writes in all */
  chunk: number;
  cadenceMs: number;
  /** how long to wait for the answer after the last byte */
  answerTimeoutMs: number;
  signal: AbortSignal;
}

export interface PacedUploadResult {
  /** body bytes handed to the socket before the server closed (or we stopped) */
  bytesSent: number;
  totalBytes: number;
  /** ms from connect to the last body byte written (when all were written) */
  sendMs?: number;
  response?: RawResponse;
  /** ms from connect to the complete answer */
  answeredAtMs?: number;
  /** how the connection ended, when the server ended it */
  closedByServer?: CloseInfo;
  error?: string;
}

/** Sends the head at once, then the body `chunk` bytes every `cadenceMs`, then waits for the answer. */
export async function pacedUpload(o: PacedUploadOptions): Promise<PacedUploadResult> {
  const result: PacedUploadResult = { bytesSent: 0, totalBytes: o.body.length };
  let conn: RawConn;
  try {
    conn = await RawConn.open(o.host, o.port, { timeoutMs: 3000 });
  } catch (err) {
    return { ...result, error: (err as { code?: string }).code ?? String(err) };
  }
  conn.closed.then((c) => {
    if (c.by === 'peer-fin' || c.by === 'peer-rst') result.closedByServer = c;
  });
  const maxMs = (o.body.length / o.chunk) * o.cadenceMs + o.answerTimeoutMs;
  const answer = conn.next(maxMs).then(
    (r) => {
      result.response = r;
      result.answeredAtMs = conn.age();
    },
    (err: { code?: string; message?: string }) => {
      result.error = err.code ?? err.message ?? String(err);
    },
  );
  try {
    conn.send({ ...o.request, headers: { ...o.request.headers, 'Content-Length': String(o.body.length) } });
    result.bytesSent = await conn.writeSlowly(o.body, { chunk: o.chunk, cadenceMs: o.cadenceMs, signal: o.signal });
    if (result.bytesSent === o.body.length && conn.isOpen) result.sendMs = conn.age();
    await Promise.race([answer, abortPromise(o.signal)]);
  } finally {
    conn.close();
  }
  await answer;
  return result;
}

export interface StreamedDownloadOptions {
  host: string;
  port: number;
  request: RequestSpec;
  timeoutMs: number;
  signal: AbortSignal;
}

export interface StreamedDownloadResult {
  response?: RawResponse;
  /** ms from sending the request to the first response byte */
  ttfbMs?: number;
  /** ms from sending the request to the end of the response (complete or cut) */
  doneMs?: number;
  closedByServer?: CloseInfo;
  error?: string;
}

/**
 * Sends one request and reads the response as fast as it comes. A response whose connection
 * is closed before its end comes back with `complete: false` and the body received so far.
 */
export async function streamedDownload(o: StreamedDownloadOptions): Promise<StreamedDownloadResult> {
  const result: StreamedDownloadResult = {};
  let conn: RawConn;
  try {
    conn = await RawConn.open(o.host, o.port, { timeoutMs: 3000 });
  } catch (err) {
    return { error: (err as { code?: string }).code ?? String(err) };
  }
  conn.closed.then((c) => {
    if (c.by === 'peer-fin' || c.by === 'peer-rst') result.closedByServer = c;
  });
  const t0 = Date.now();
  let firstByteAt: number | undefined;
  conn.socket.once('data', () => (firstByteAt = Date.now()));
  const answer = conn.request(o.request, o.timeoutMs).then(
    (r) => {
      result.response = r;
      result.doneMs = Date.now() - t0;
    },
    (err: { code?: string; message?: string }) => {
      result.error = err.code ?? err.message ?? String(err);
      result.doneMs = Date.now() - t0;
    },
  );
  try {
    await Promise.race([answer, abortPromise(o.signal)]);
  } finally {
    conn.close();
  }
  await answer;
  if (firstByteAt !== undefined) result.ttfbMs = firstByteAt - t0;
  return result;
}

function abortPromise(signal: AbortSignal): Promise<void> {
  return new Promise((resolvePromise) => {
    if (signal.aborted) return resolvePromise();
    signal.addEventListener('abort', () => resolvePromise(), { once: true });
  });
}
