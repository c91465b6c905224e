// One WebSocket = one session: the learner's terminals, lab servers and checks. Messages are
// validated (zod) before they touch anything. When the socket closes, everything it started dies.
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Capabilities } from '../../checkers/core/spec.js';
import { CheckQueue, LabCheck } from './check.js';
import { maxTerminalsPerSocket, type ClientMessage, type ServerMessage } from './protocol.js';
import { HttpError } from './respond.js';
import { LabRun } from './run.js';
import { Terminal } from './terminal.js';
import type { Workspaces } from './workspace.js';

const id = z.string().min(1).max(64);
const lab = z.string().min(1).max(64);
const size = z.number().int().min(1).max(1000);

export const clientMessageSchema: z.ZodType<ClientMessage> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('term.open'), id, lab, cols: size, rows: size }),
  z.object({ type: z.literal('term.input'), id, data: z.string().max(64 * 1024) }),
  z.object({ type: z.literal('term.resize'), id, cols: size, rows: size }),
  z.object({ type: z.literal('term.close'), id }),
  z.object({ type: z.literal('run.start'), lab }),
  z.object({ type: z.literal('run.stop'), lab }),
  z.object({ type: z.literal('check.start'), lab }),
  z.object({ type: z.literal('check.stop'), lab }),
]);

export interface SessionContext {
  learner: string;
  workspaces: Workspaces;
  queue: CheckQueue;
  caps: () => Partial<Capabilities>;
  /** the port Run tries first (0: always a free one) */
  runPort: number;
  maxTerminals?: number;
}

/** Bytes queued on the socket above which terminal output is paused. */
const highWater = 1024 * 1024;

export class Session {
  readonly terminals = new Map<string, Terminal>();
  readonly runs = new Map<string, LabRun>();
  readonly checks = new Map<string, LabCheck>();
  private closed = false;
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: SessionContext,
  ) {}

  send(msg: ServerMessage): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(msg));
    if (this.ws.bufferedAmount > highWater) this.throttle();
  }

  /** Pause every pty until the socket has drained (a `yes` in the terminal must not eat our memory). */
  private throttle(): void {
    if (this.drainTimer) return;
    for (const t of this.terminals.values()) t.pause();
    this.drainTimer = setInterval(() => {
      if (this.closed || this.ws.bufferedAmount < highWater / 4) {
        clearInterval(this.drainTimer);
        this.drainTimer = undefined;
        for (const t of this.terminals.values()) t.resume();
      }
    }, 20);
  }

  async handle(raw: string): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return this.send({ type: 'error', message: 'messages are JSON' });
    }
    const parsed = clientMessageSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.send({ type: 'error', message: `bad message: ${issue ? `${issue.path.join('.') || 'type'}: ${issue.message}` : 'invalid'}` });
    }
    const msg = parsed.data;
    try {
      await this.dispatch(msg);
    } catch (err) {
      const message = err instanceof HttpError || err instanceof Error ? err.message : String(err);
      this.send({
        type: 'error',
        message,
        ...('id' in msg ? { id: msg.id } : {}),
        ...('lab' in msg ? { lab: msg.lab } : {}),
      });
    }
  }

  private async dispatch(msg: ClientMessage): Promise<void> {
    if (this.closed) return;
    const { workspaces, learner } = this.ctx;
    switch (msg.type) {
      case 'term.open': {
        if (this.terminals.has(msg.id)) throw new Error(`terminal "${msg.id}" is already open`);
        const max = this.ctx.maxTerminals ?? maxTerminalsPerSocket;
        if (this.terminals.size >= max) throw new Error(`at most ${max} terminals per tab: close one first`);
        const l = workspaces.lab(msg.lab);
        const cwd = workspaces.ensure(learner, l);
        const term = new Terminal({
          cwd,
          cols: msg.cols,
          rows: msg.rows,
          env: { GHL_LAB: l.id, GHL_LEARNER: learner },
          onData: (data) => this.send({ type: 'term.output', id: msg.id, data }),
          onExit: (code) => {
            if (this.terminals.get(msg.id) === term) this.terminals.delete(msg.id);
            this.send({ type: 'term.exit', id: msg.id, code });
          },
        });
        this.terminals.set(msg.id, term);
        return;
      }
      case 'term.input':
        return this.terminal(msg.id).write(msg.data);
      case 'term.resize':
        return this.terminal(msg.id).resize(msg.cols, msg.rows);
      case 'term.close': {
        const t = this.terminals.get(msg.id);
        if (!t) return; // already gone: closing is idempotent
        this.terminals.delete(msg.id);
        void t.close();
        this.send({ type: 'term.exit', id: msg.id, code: null });
        return;
      }
      case 'run.start': {
        const l = workspaces.lab(msg.lab);
        const dir = workspaces.ensure(learner, l);
        let run = this.runs.get(l.id);
        if (!run) {
          run = new LabRun(l, dir, (m) => this.send(m), { preferredPort: this.ctx.runPort });
          this.runs.set(l.id, run);
        }
        // Not awaited: a build takes seconds, and the terminal must keep answering meanwhile.
        return this.background(run.start(), msg.lab);
      }
      case 'run.stop': {
        const run = this.runs.get(msg.lab);
        if (!run) return this.send({ type: 'run.state', lab: msg.lab, state: 'stopped', message: 'not running' });
        return this.background(run.stop(), msg.lab);
      }
      case 'check.start': {
        const l = workspaces.lab(msg.lab);
        const dir = workspaces.ensure(learner, l);
        const current = this.checks.get(l.id);
        if (current && !current.aborted) throw new Error(`a check of ${l.id} is already running: stop it first`);
        const check = new LabCheck({ lab: l, workspace: dir, caps: this.ctx.caps(), queue: this.ctx.queue, send: (m) => this.send(m) });
        this.checks.set(l.id, check);
        void check.done.finally(() => {
          if (this.checks.get(l.id) === check) this.checks.delete(l.id);
        });
        return;
      }
      case 'check.stop': {
        this.checks.get(msg.lab)?.abort();
        return;
      }
    }
  }

  private background(p: Promise<void>, lab: string): void {
    p.catch((err: Error) => this.send({ type: 'error', lab, message: err.message }));
  }

  private terminal(id: string): Terminal {
    const t = this.terminals.get(id);
    if (!t) throw new Error(`no terminal "${id}"`);
    return t;
  }

  /**
   * Synchronous last resort (process exit): hang up the terminals, give them 150 ms, SIGKILL
   * them and the servers; no messages.
   */
  killNow(): void {
    this.closed = true;
    for (const t of this.terminals.values()) t.hangUpNow();
    if (this.terminals.size) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
    for (const t of this.terminals.values()) t.killNow();
    for (const c of this.checks.values()) c.abort();
    for (const r of this.runs.values()) r.killNow();
  }

  /** The socket went away: kill every process this session started. Resolves when they are gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.drainTimer) clearInterval(this.drainTimer);
    const shells = [...this.terminals.values()].map((t) => t.close());
    this.terminals.clear();
    for (const c of this.checks.values()) c.abort();
    await Promise.all([...this.runs.values()].map((r) => r.halt()));
    await Promise.all(shells);
    this.runs.clear();
    await Promise.all([...this.checks.values()].map((c) => c.done.catch(() => undefined)));
    this.checks.clear();
  }
}
