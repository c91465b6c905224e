// Small socket helpers: free ports, waiting for a listener.
import { createServer, connect } from 'node:net';

/** A free TCP port on 127.0.0.1 (the kernel picks it; we release it at once). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePromise(port));
    });
  });
}

/** Resolves once a TCP connect to host:port succeeds; rejects on timeout or when `abort` settles first. */
export async function waitForListen(host: string, port: number, timeoutMs: number, abort?: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let aborted = false;
  abort?.then(() => (aborted = true));
  while (!aborted) {
    if (await tryConnect(host, port, 500)) return;
    if (aborted) break;
    if (Date.now() > deadline) throw new Error(`did not accept on ${host}:${port}`);
    await sleep(25);
  }
  throw new Error('process exited');
}

export function tryConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const s = connect({ host, port });
    const t = setTimeout(() => done(false), timeoutMs);
    function done(ok: boolean) {
      clearTimeout(t);
      s.destroy();
      resolvePromise(ok);
    }
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolvePromise) => {
    if (signal?.aborted) return resolvePromise();
    const onAbort = () => {
      clearTimeout(t);
      resolvePromise();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolvePromise();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
