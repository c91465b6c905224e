// Check: the engine's runCheck on the learner's workspace (target kind 'dir'), every CheckEvent
// sent as check.event. check.stop or a closed socket aborts it. Checks attack real servers and
// measure them, so the agent runs one at a time (a class on one machine queues, and is told so).
import { realpathSync } from 'node:fs';
import type { Lab } from '../../checkers/core/manifest.js';
import { runCheck } from '../../checkers/core/runner.js';
import type { Capabilities } from '../../checkers/core/spec.js';
import type { CheckEvent, Verdict } from '../../checkers/core/verdict.js';
import { killTree, ownChildrenMatching } from './procs.js';
import type { ServerMessage } from './protocol.js';

type Send = (msg: ServerMessage) => void;

/** A FIFO of one: the machine has two cores, two concurrent checks would judge each other's load. */
export class CheckQueue {
  private running = false;
  private readonly waiting: { go: () => void; signal: AbortSignal; onMove: (position: number) => void }[] = [];

  get length(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  /** Resolves when it is this caller's turn (false if aborted while waiting). Call the returned release when done. */
  async acquire(signal: AbortSignal, onQueued: (position: number) => void): Promise<(() => void) | undefined> {
    if (!this.running && !this.waiting.length) {
      this.running = true;
      return () => this.release();
    }
    const turn = await new Promise<boolean>((resolvePromise) => {
      const entry = { go: () => resolvePromise(true), signal, onMove: onQueued };
      this.waiting.push(entry);
      onQueued(this.waiting.length);
      signal.addEventListener(
        'abort',
        () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            this.announce(i);
            resolvePromise(false);
          }
        },
        { once: true },
      );
    });
    return turn ? () => this.release() : undefined;
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) {
      this.announce(0);
      next.go(); // `running` stays true: handed over
    } else {
      this.running = false;
    }
  }

  /** Tells the waiting entries from index `from` on their new place. */
  private announce(from: number): void {
    for (let i = from; i < this.waiting.length; i++) this.waiting[i]!.onMove(i + 1);
  }
}

export interface CheckOptions {
  lab: Lab;
  workspace: string;
  caps: Partial<Capabilities>;
  queue: CheckQueue;
  send: Send;
}

/** One running (or queued) check. */
export class LabCheck {
  private readonly ac = new AbortController();
  /** the servers the runner started (from its server-start events) */
  private readonly serverPids = new Set<number>();
  private running = false;
  readonly done: Promise<Verdict | undefined>;

  constructor(private readonly opts: CheckOptions) {
    this.done = this.run();
  }

  private async run(): Promise<Verdict | undefined> {
    const { lab, send } = this.opts;
    const release = await this.opts.queue.acquire(this.ac.signal, (position) => send({ type: 'check.queued', lab: lab.id, position }));
    if (!release || this.ac.signal.aborted) {
      release?.();
      // Stopped before it started: every check.start still gets its check-end.
      const verdict: Verdict = {
        lab: lab.id,
        passed: false,
        status: 'skipped',
        durationMs: 0,
        target: `workspace/${lab.id}`,
        runtime: this.opts.caps.runtime ?? 'native',
        error: { kind: 'skipped', message: 'the check was stopped before it started' },
        probes: [],
      };
      send({ type: 'check.event', lab: lab.id, event: { type: 'check-end', verdict } });
      return verdict;
    }
    // The runner reports check-end before its cleanup phase; the wire keeps check-end last, sent
    // once the servers are really gone, so that the page can offer Check again at that moment.
    let end: CheckEvent | undefined;
    try {
      this.running = true;
      const verdict = await runCheck({
        lab,
        target: { kind: 'dir', dir: this.opts.workspace, label: `workspace/${lab.id}` },
        sink: (event: CheckEvent) => {
          if (event.type === 'server-start') this.serverPids.add(event.pid);
          if (event.type === 'check-end') end = event;
          else send({ type: 'check.event', lab: lab.id, event });
        },
        caps: this.opts.caps,
        signal: this.ac.signal,
      });
      // A stopped check proves nothing: the runner counts skipped probes as passing, so a stop
      // after the first probe passed would read "passed". Say "skipped" instead.
      let final = end?.type === 'check-end' ? end.verdict : verdict;
      if (this.ac.signal.aborted && final.passed) {
        final = { ...final, passed: false, status: 'skipped', error: final.error ?? { kind: 'skipped', message: 'the check was stopped' } };
      }
      send({ type: 'check.event', lab: lab.id, event: { type: 'check-end', verdict: final } });
      end = undefined;
      return final;
    } catch (err) {
      // The page waits for a check-end: give it one that says what went wrong.
      const verdict: Verdict =
        end?.type === 'check-end'
          ? end.verdict
          : {
              lab: lab.id,
              passed: false,
              status: 'error',
              durationMs: 0,
              target: `workspace/${lab.id}`,
              runtime: this.opts.caps.runtime ?? 'native',
              error: { kind: 'environment', message: `the check could not run: ${(err as Error).message}` },
              probes: [],
            };
      send({ type: 'check.event', lab: lab.id, event: { type: 'check-end', verdict } });
      return verdict;
    } finally {
      this.running = false;
      release();
    }
  }

  get aborted(): boolean {
    return this.ac.signal.aborted;
  }

  /**
   * Stops the check now. The runner notices an abort between scenarios and passes it to the
   * running one, but a probe may not watch it: kill the servers it started (and a build still
   * running) so that nothing waits on them. The runner then reports the rest as skipped.
   */
  abort(): void {
    if (this.ac.signal.aborted) return;
    this.ac.abort();
    if (!this.running) return;
    for (const pid of this.serverPids) killTree(pid, { session: true });
    // The runner's `go build` in this workspace (Run's own builds write to ghl-run-* and are left
    // alone). A kernel lab's check runs in a namespace child that the runner itself interrupts.
    let cwd = this.opts.workspace;
    try {
      cwd = realpathSync(cwd);
    } catch {
      /* keep it as given */
    }
    for (const pid of ownChildrenMatching((cmd) => cmd.includes('build') && !cmd.includes('/ghl-run-'), cwd)) killTree(pid);
  }
}
