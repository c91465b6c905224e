// The Node side of the js/wasm TCP bridge. The patched net package (runtime/overlay/net) finds
// this object at globalThis.__ghlNet and drives real Node sockets through it: a Go listener is a
// Node net.Server on the same host:port, a Go dial is a Node net.connect, and every socket event
// comes back into Go through one dispatcher function that Go registers. Nothing here runs Go code
// synchronously from a call that Go made (events are emitted from Node's own callbacks), so Go
// never re-enters itself while it holds a lock.
import net from 'node:net';

/** Event codes shared with net_node_js.go (keep in sync). */
export const NetEvent = Object.freeze({
  LISTENING: 1, // serverId, port, address
  LISTEN_ERROR: 2, // serverId, code
  CONN: 3, // serverId, sockId, localAddress, localPort, remoteAddress, remotePort
  CONNECTED: 4, // sockId, localAddress, localPort, remoteAddress, remotePort
  CONNECT_ERROR: 5, // sockId, code
  DATA: 6, // sockId, Buffer
  END: 7, // sockId
  ERROR: 8, // sockId, code
  CLOSE: 9, // sockId
  DRAIN: 10, // sockId
});

/** Write results (keep in sync with net_node_js.go). */
const WRITE_OK = 1;
const WRITE_WAIT_DRAIN = 0;
const WRITE_GONE = -1;

/** How long a socket Go closed may take to flush what it still had to send (a peer that never reads). */
const LINGER_FLUSH_MS = 30_000;

/** Go copies what it writes into this buffer, in pieces of at most this size. */
const SCRATCH_BYTES = 256 * 1024;

/**
 * Installs globalThis.__ghlNet.
 * @param {{ maxFiles?: number }} options maxFiles: the open-files limit the Go program sees (RLIMIT_NOFILE emulation)
 */
export function installNodeNet(options = {}) {
  /** @type {Map<number, net.Server>} */
  const servers = new Map();
  /** @type {Map<number, { s: net.Socket, goClosed: boolean }>} */
  const socks = new Map();
  let nextId = 1;
  /** @type {(code: number, id: number, ...args: unknown[]) => void} */
  let emit = () => {};

  const async = (fn) => process.nextTick(fn);

  function wire(id, s) {
    const entry = { s, goClosed: false };
    socks.set(id, entry);
    s.on('data', (d) => {
      // Data for a socket Go has closed: the kernel would answer it with a reset.
      if (entry.goClosed) return void s.resetAndDestroy();
      emit(NetEvent.DATA, id, d);
    });
    s.on('end', () => entry.goClosed || emit(NetEvent.END, id));
    s.on('drain', () => entry.goClosed || emit(NetEvent.DRAIN, id));
    s.on('error', (err) => entry.goClosed || emit(NetEvent.ERROR, id, err.code ?? 'EIO'));
    s.on('close', () => {
      socks.delete(id);
      if (!entry.goClosed) emit(NetEvent.CLOSE, id);
    });
    return entry;
  }

  const scratch = new Uint8Array(SCRATCH_BYTES);

  const bridge = {
    scratch,

    /** RLIMIT_NOFILE as the Go program should see it (0: unlimited) */
    maxFiles: Number(options.maxFiles) > 0 ? Number(options.maxFiles) : 0,

    /** Go registers its dispatcher once. */
    setDispatcher(fn) {
      emit = fn;
    },

    listen(host, port, ipv6Only, backlog) {
      const id = nextId++;
      const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 15_000 });
      servers.set(id, server);
      server.on('connection', (s) => {
        if (!servers.has(id)) return void s.resetAndDestroy();
        const sid = nextId++;
        wire(sid, s);
        emit(NetEvent.CONN, id, sid, s.localAddress ?? '', s.localPort ?? 0, s.remoteAddress ?? '', s.remotePort ?? 0);
      });
      let listening = false;
      server.on('error', (err) => {
        if (listening) return; // after listen, errors surface on the sockets
        servers.delete(id);
        emit(NetEvent.LISTEN_ERROR, id, err.code ?? 'EINVAL');
      });
      server.on('listening', () => {
        listening = true;
        const a = server.address();
        emit(NetEvent.LISTENING, id, a.port, a.address);
      });
      try {
        server.listen({ host: host || undefined, port, ipv6Only: Boolean(ipv6Only), backlog, exclusive: true });
      } catch (err) {
        servers.delete(id);
        async(() => emit(NetEvent.LISTEN_ERROR, id, err.code ?? 'EINVAL'));
      }
      return id;
    },

    closeServer(id) {
      const server = servers.get(id);
      if (!server) return;
      servers.delete(id);
      server.close();
    },

    connect(host, port, localAddress) {
      const id = nextId++;
      let s;
      try {
        s = net.connect({ host, port, localAddress: localAddress || undefined, allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 15_000 });
      } catch (err) {
        async(() => emit(NetEvent.CONNECT_ERROR, id, err.code ?? 'EINVAL'));
        return id;
      }
      const early = { s, goClosed: false };
      socks.set(id, early);
      const onError = (err) => {
        socks.delete(id);
        if (!early.goClosed) emit(NetEvent.CONNECT_ERROR, id, err.code ?? 'ECONNREFUSED');
      };
      s.once('error', onError);
      s.once('connect', () => {
        s.off('error', onError);
        if (early.goClosed) return void s.destroy();
        wire(id, s);
        emit(NetEvent.CONNECTED, id, s.localAddress ?? '', s.localPort ?? 0, s.remoteAddress ?? '', s.remotePort ?? 0);
      });
      return id;
    },

    /** writes the first n bytes of scratch (copied: Go reuses scratch at once) */
    write(id, n) {
      const e = socks.get(id);
      if (!e || e.s.destroyed || e.s.writableEnded) return WRITE_GONE;
      return e.s.write(Buffer.from(scratch.subarray(0, n))) ? WRITE_OK : WRITE_WAIT_DRAIN;
    },

    /** CloseWrite: FIN after what is queued. */
    end(id) {
      socks.get(id)?.s.end();
    },

    /** Close: flush what is queued, then FIN (like close(2) on a socket with unsent data). */
    close(id) {
      const e = socks.get(id);
      if (!e) return;
      e.goClosed = true;
      const s = e.s;
      if (s.connecting || s.writableLength > 0) {
        const t = setTimeout(() => s.destroy(), LINGER_FLUSH_MS);
        t.unref();
        s.once('close', () => clearTimeout(t));
        s.once('finish', () => s.destroy());
        s.end();
      } else {
        s.destroy();
      }
    },

    /** Close with SO_LINGER 0 (or unread data): RST. */
    reset(id) {
      const e = socks.get(id);
      if (!e) return;
      e.goClosed = true;
      if (e.s.connecting) e.s.destroy();
      else e.s.resetAndDestroy();
    },

    pause(id) {
      socks.get(id)?.s.pause();
    },

    resume(id) {
      socks.get(id)?.s.resume();
    },

    /** counts, for tests */
    stats() {
      return { servers: servers.size, sockets: socks.size };
    },
  };
  globalThis.__ghlNet = bridge;
  return bridge;
}
