// Small HTTP helpers shared by the routes: errors as values, JSON and text replies, bounded bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error the client caused (or may see): becomes `{ error }` with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Headers on every response, API or page: cross-origin isolation (SharedArrayBuffer, WebContainers), no sniffing, no referrer. */
export const isolationHeaders: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'X-Content-Type-Options': 'nosniff',
  // The start-up URL carries the token: never send it on as a Referer.
  'Referrer-Policy': 'no-referrer',
};

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(body);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(body);
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    // A refused request body may still be arriving: close the connection rather than read it.
    if (err.status === 413) res.setHeader('Connection', 'close');
    sendJson(res, err.status, { error: err.message });
    return;
  }
  sendJson(res, 500, { error: `internal error: ${(err as Error)?.message ?? String(err)}` });
}

/**
 * Reads a request body of at most `limit` bytes. Refuses with 413 as soon as the declared or the
 * received length passes the limit, without buffering the rest.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new HttpError(413, `too large: ${declared} bytes (at most ${limit})`));
  }
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        req.resume();
        reject(new HttpError(413, `too large: more than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => !failed && resolvePromise(Buffer.concat(chunks)));
    req.on('error', (err) => !failed && reject(err));
  });
}

/** UTF-8 text without NUL bytes; otherwise a 415. */
export function decodeText(body: Buffer, what: string): string {
  if (body.includes(0)) throw new HttpError(415, `${what} is not a text file (it contains NUL bytes)`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new HttpError(415, `${what} is not a text file (not valid UTF-8)`);
  }
}

/** True when the buffer looks like text (UTF-8, no NUL). */
export function isText(body: Buffer): boolean {
  if (body.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}
