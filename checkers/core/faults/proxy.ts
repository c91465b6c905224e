// A TCP fault proxy in the spirit of toxiproxy: it sits between a client and a server and
// applies toxics per direction (latency, bandwidth, slicer, reset_peer, timeout, slow_close,
// limit_data). Randomness (jitter, toxicity, slice sizes) comes from a seed, so a run replays.
// The toxic list can change while connections are open: data toxics apply to the next chunk.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { seededRandom, type Direction, type Toxic } from './toxics.js';

export interface FaultProxyOptions {
  /** where the proxy listens (port 0: a free one) */
  listen?: { host?: string; port?: number };
  /** where it forwards to */
  target: { host: string; port: number };
  toxics?: Toxic[];
  seed?: number;
}

export interface ProxyStats {
  connections: number;
  active: number;
  bytesUpstream: number;
  bytesDownstream: number;
  /** connections ended by each toxic kind (reset_peer, timeout, limit_data) */
  endedBy: Record<string, number>;
  /** connections that could not reach the target */
  upstreamErrors: number;
}

const HIGH_WATER = 256 * 1024;

export class FaultProxy {
  private server!: Server;
  private conns = new Set<Conn>();
  private toxicList: Toxic[];
  readonly random: () => number;
  readonly counters: ProxyStats = { connections: 0, active: 0, bytesUpstream: 0, bytesDownstream: 0, endedBy: {}, upstreamErrors: 0 };
  host = '127.0.0.1';
  port = 0;

  private constructor(readonly opts: FaultProxyOptions) {
    this.toxicList = [...(opts.toxics ?? [])];
    this.random = seededRandom(opts.seed ?? 1);
  }

  static async start(opts: FaultProxyOptions): Promise<FaultProxy> {
    const p = new FaultProxy(opts);
    await p.listen();
    return p;
  }

  get toxics(): readonly Toxic[] {
    return this.toxicList;
  }

  /** Replace the toxics; data toxics apply to open connections from their next chunk on. */
  setToxics(toxics: Toxic[]): void {
    this.toxicList = [...toxics];
    for (const c of this.conns) c.armTimers();
  }

  addToxic(t: Toxic): void {
    this.setToxics([...this.toxicList, t]);
  }

  stats(): ProxyStats {
    return { ...this.counters, active: this.conns.size, endedBy: { ...this.counters.endedBy } };
  }

  /** Close the listener and destroy every connection. */
  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private listen(): Promise<void> {
    // allowHalfOpen: a client's FIN must not cut the server's answer (we forward the FIN ourselves).
    this.server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
      const c = new Conn(this, client, () => this.conns.delete(c));
      this.conns.add(c);
      this.counters.connections++;
    });
    return new Promise((resolvePromise, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.listen?.port ?? 0, this.opts.listen?.host ?? '127.0.0.1', () => {
        const a = this.server.address();
        if (a && typeof a === 'object') {
          this.host = a.address;
          this.port = a.port;
        }
        resolvePromise();
      });
    });
  }
}

/** One proxied connection: two links (upstream, downstream) and the timers of end-toxics. */
class Conn {
  readonly server: Socket;
  private readonly active = new WeakMap<Toxic, boolean>();
  private timers = new Map<Toxic, NodeJS.Timeout>();
  private dead = false;
  readonly openedAt = Date.now();

  constructor(
    readonly proxy: FaultProxy,
    readonly client: Socket,
    private readonly onGone: () => void,
  ) {
    client.pause();
    this.server = connect({ host: proxy.opts.target.host, port: proxy.opts.target.port, noDelay: true, allowHalfOpen: true });
    let connected = false;
    this.server.once('connect', () => {
      connected = true;
      client.resume();
    });
    this.server.once('error', () => {
      if (!connected) proxy.counters.upstreamErrors++;
    });
    new Link(this, 'upstream', client, this.server);
    new Link(this, 'downstream', this.server, client);
    for (const s of [client, this.server]) {
      s.on('error', () => this.destroy());
      s.on('close', () => {
        // When one side is fully gone and the other has finished too, forget the connection.
        if (client.destroyed && this.server.destroyed) this.gone();
      });
    }
    this.armTimers();
  }

  /** Is toxic `t` active on this connection? Decided once per connection, from the seed. */
  isActive(t: Toxic): boolean {
    let a = this.active.get(t);
    if (a === undefined) {
      a = t.toxicity === undefined || t.toxicity >= 1 || this.proxy.random() < t.toxicity;
      this.active.set(t, a);
    }
    return a;
  }

  toxics(direction: Direction): Toxic[] {
    return this.proxy.toxics.filter((t) => t.direction === direction && this.isActive(t));
  }

  /** reset_peer and timeout with a positive timeout end the connection on a timer. */
  armTimers(): void {
    for (const t of this.proxy.toxics) {
      if ((t.kind === 'reset_peer' || t.kind === 'timeout') && t.timeoutMs > 0 && !this.timers.has(t) && this.isActive(t)) {
        const left = Math.max(0, t.timeoutMs - (Date.now() - this.openedAt));
        this.timers.set(
          t,
          setTimeout(() => (t.kind === 'reset_peer' ? this.reset('reset_peer') : this.end('timeout')), left),
        );
      }
    }
  }

  /** RST on both sides: what a crashed peer or a middlebox does. */
  reset(by: string): void {
    if (this.dead) return;
    this.count(by);
    this.client.resetAndDestroy();
    this.server.resetAndDestroy();
    this.gone();
  }

  /** Close both sides (FIN). */
  end(by: string): void {
    if (this.dead) return;
    this.count(by);
    this.destroy();
  }

  destroy(): void {
    this.client.destroy();
    this.server.destroy();
    this.gone();
  }

  private count(by: string): void {
    this.proxy.counters.endedBy[by] = (this.proxy.counters.endedBy[by] ?? 0) + 1;
  }

  private gone(): void {
    if (this.dead) return;
    this.dead = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.onGone();
  }

  get isDead(): boolean {
    return this.dead;
  }
}

/** One direction of a connection: queue chunks with their arrival time, apply toxics in order. */
class Link {
  private queue: { data: Buffer; at: number }[] = [];
  private queued = 0;
  private ended = false;
  private pumping = false;
  private forwarded = 0;
  private nextFree = 0; // bandwidth: when the link is free again

  constructor(
    private readonly conn: Conn,
    private readonly direction: Direction,
    private readonly src: Socket,
    private readonly dst: Socket,
  ) {
    src.on('data', (data: Buffer) => {
      this.queue.push({ data, at: performance.now() });
      this.queued += data.length;
      if (this.queued > HIGH_WATER) src.pause();
      void this.pump();
    });
    src.on('end', () => {
      this.ended = true;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length && !this.conn.isDead) {
        const item = this.queue.shift()!;
        this.queued -= item.data.length;
        if (this.queued <= HIGH_WATER / 2 && this.src.isPaused()) this.src.resume();
        await this.apply(item.data, item.at);
      }
      if (this.ended && !this.queue.length && !this.conn.isDead) {
        const slow = this.conn.toxics(this.direction).find((t) => t.kind === 'slow_close');
        if (slow && slow.kind === 'slow_close') await sleep(slow.delayMs);
        if (!this.dst.destroyed) this.dst.end();
      }
    } finally {
      this.pumping = false;
    }
  }

  private async apply(data: Buffer, at: number): Promise<void> {
    const toxics = this.conn.toxics(this.direction);
    const rnd = this.conn.proxy.random;
    for (const t of toxics) {
      if (t.kind === 'reset_peer' && t.timeoutMs === 0) return this.conn.reset('reset_peer');
      if (t.kind === 'timeout') return; // swallowed
    }
    let pieces = [data];
    for (const t of toxics) {
      if (t.kind === 'latency') {
        const jitter = t.jitterMs ? (rnd() * 2 - 1) * t.jitterMs : 0;
        await sleepUntil(at + Math.max(0, t.latencyMs + jitter));
      } else if (t.kind === 'slicer') {
        const out: Buffer[] = [];
        for (const p of pieces) {
          let i = 0;
          while (i < p.length) {
            const v = t.sizeVariation ?? 0;
            const size = Math.max(1, Math.round(t.avgSize + (rnd() * 2 - 1) * v));
            out.push(p.subarray(i, i + size));
            i += size;
          }
        }
        pieces = out;
      }
    }
    const slicer = toxics.find((t) => t.kind === 'slicer');
    const bandwidth = toxics.find((t) => t.kind === 'bandwidth');
    const limit = toxics.find((t) => t.kind === 'limit_data');
    for (let i = 0; i < pieces.length; i++) {
      let piece = pieces[i]!;
      if (bandwidth && bandwidth.kind === 'bandwidth') {
        // Pace in pieces of about 10 ms worth of bytes.
        const bytesPerMs = (bandwidth.rateKBps * 1024) / 1000;
        const step = Math.max(1, Math.round(bytesPerMs * 10));
        for (let off = 0; off < piece.length; off += step) {
          const part = piece.subarray(off, off + step);
          this.nextFree = Math.max(this.nextFree, performance.now()) + part.length / bytesPerMs;
          if (!(await this.write(part, limit))) return;
          await sleepUntil(this.nextFree);
        }
        continue;
      }
      if (!(await this.write(piece, limit))) return;
      if (slicer && slicer.kind === 'slicer' && slicer.delayMs && i < pieces.length - 1) await sleep(slicer.delayMs);
    }
  }

  /** Writes with backpressure; honours limit_data. Returns false when the connection ended. */
  private async write(piece: Buffer, limit: Toxic | undefined): Promise<boolean> {
    if (this.conn.isDead || this.dst.destroyed) return false;
    if (limit && limit.kind === 'limit_data' && this.forwarded + piece.length >= limit.bytes) {
      const allowed = piece.subarray(0, Math.max(0, limit.bytes - this.forwarded));
      this.forwarded += allowed.length;
      this.countBytes(allowed.length);
      if (allowed.length) await new Promise<void>((r) => this.dst.write(allowed, () => r()));
      this.conn.end('limit_data');
      return false;
    }
    this.forwarded += piece.length;
    this.countBytes(piece.length);
    if (!this.dst.write(piece)) {
      await new Promise<void>((r) => {
        const done = () => {
          this.dst.off('drain', done);
          this.dst.off('close', done);
          r();
        };
        this.dst.on('drain', done);
        this.dst.on('close', done);
      });
    }
    return !this.conn.isDead;
  }

  private countBytes(n: number): void {
    if (this.direction === 'upstream') this.conn.proxy.counters.bytesUpstream += n;
    else this.conn.proxy.counters.bytesDownstream += n;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function sleepUntil(t: number): Promise<void> {
  const ms = t - performance.now();
  return ms > 0 ? sleep(ms) : Promise.resolve();
}
