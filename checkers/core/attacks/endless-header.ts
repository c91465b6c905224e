// An oversized request head: a request line, then header line after header line, never the
// blank line that would end the head. Written as fast as the connection takes it (with
// backpressure), up to a cap, and stopped as soon as the server answers or closes. A server
// with a header limit answers 431 once its limit is crossed; one that reads the head into
// memory until it ends (and checks the size then) never answers: the head never ends.
import { once } from 'node:events';
import { RawConn, type CloseInfo } from '../http/conn.js';
import type { RawResponse } from '../http/parser.js';

export interface EndlessHeaderOptions {
  host: string;
  port: number;
  /** stop writing after this many bytes (the server has had every chance to answer) */
  maxBytes: number;
  /** bytes per write (default 16 KiB) */
  chunkBytes?: number;
  /**
   * pause after each write (default 2 ms). It lets the answer be read before the next write:
   * a server that answers and closes at once resets the connection (it leaves our bytes
   * unread), and a write that meets the reset destroys the socket with the answer unread.
   */
  pauseMs?: number;
  /** once writing has stopped, wait this long for an answer or a close */
  answerTimeoutMs: number;
  signal?: AbortSignal;
  path?: string;
}

export interface EndlessHeaderResult {
  /** bytes of the head written (accepted by the local socket) before the first answer byte, a close, or the cap */
  sentBytes: number;
  /** the first response, when one arrived (a close-delimited one is complete at the close) */
  response?: RawResponse;
  /** how the connection ended, if it did */
  closed?: CloseInfo;
  /** bytes written when the first response byte arrived */
  answeredAtBytes?: number;
  /** the writes stopped because the server stopped reading (no drain within answerTimeoutMs) */
  stalled: boolean;
  connectError?: string;
}

export async function sendEndlessHeader(opts: EndlessHeaderOptions): Promise<EndlessHeaderResult> {
  const chunkBytes = opts.chunkBytes ?? 16 << 10;
  let conn: RawConn;
  try {
    conn = await RawConn.open(opts.host, opts.port, { timeoutMs: 3000 });
  } catch (err) {
    return { sentBytes: 0, stalled: false, connectError: (err as { code?: string }).code ?? String(err) };
  }
  const result: EndlessHeaderResult = { sentBytes: 0, stalled: false };
  let answered = false;
  conn.socket.once('data', () => {
    answered = true;
    result.answeredAtBytes = result.sentBytes;
  });
  const answer = conn.next(3_600_000).catch(() => undefined);
  try {
    const head = Buffer.from(`GET ${opts.path ?? '/'} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\n`, 'latin1');
    conn.send(head);
    result.sentBytes = head.length;
    let line = 0;
    const nextChunk = () => {
      const lines: string[] = [];
      let size = 0;
      while (size < chunkBytes) {
        const l = `X-Filler-${String(line++).padStart(6, '0')}: ${'a'.repeat(1000)}\r\n`;
        lines.push(l);
        size += l.length;
      }
      return Buffer.from(lines.join(''), 'latin1');
    };
    while (result.sentBytes < opts.maxBytes && conn.isOpen && !answered && !opts.signal?.aborted) {
      const chunk = nextChunk();
      // Let the event loop poll the socket right before the write: an answer (or a reset) that
      // has arrived is read first, and the loop stops instead of writing into a reset.
      await new Promise<void>((resolvePromise) => setImmediate(resolvePromise));
      if (!conn.isOpen || answered) break;
      conn.socket.write(chunk);
      result.sentBytes += chunk.length;
      await delay(opts.pauseMs ?? 2, opts.signal);
      if (conn.socket.writableNeedDrain && conn.isOpen && !answered) {
        const drained = await Promise.race([
          once(conn.socket, 'drain').then(() => true, () => false),
          conn.closed.then(() => false),
          delay(opts.answerTimeoutMs, opts.signal).then(() => false),
        ]);
        if (!drained && conn.isOpen && !answered) {
          result.stalled = true;
          break;
        }
      }
    }
    // Writing is over: wait for the answer (or the close) a bounded time.
    const r = await Promise.race([answer, conn.closed.then(() => answer), delay(opts.answerTimeoutMs, opts.signal).then(() => undefined)]);
    if (r) result.response = r;
    if (!conn.isOpen) result.closed = conn.closeState;
    return result;
  } finally {
    conn.close();
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolvePromise) => {
    const t = setTimeout(resolvePromise, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolvePromise();
      },
      { once: true },
    );
  });
}
