// The Runtime: everything the workspace needs from "somewhere that can run Go".
// Tiny and typed on purpose (learn.svelte.dev's Adapter): the UI talks only to this interface,
// and runtime/index.ts picks the implementation (the agent, or a WebContainer in the tab).
// Types only: the wire protocol and the verdict model are imported as types, never as code.
import type { FileEntry } from '../../docker/agent/protocol.js';
import type { CheckEvent, Verdict } from '../../checkers/core/verdict.js';

export type { FileEntry, CheckEvent, Verdict };

export type RuntimeKind = 'agent' | 'native' | 'browser';

export interface RuntimeInfo {
  kind: RuntimeKind;
  /** the Go toolchain, as `go version` names it ("go1.26.8"), when known */
  go: string | null;
  /** can run labs that need the kernel tooling (network namespaces, nftables) */
  kernel: boolean;
  /** can run labs whose runtimes include "docker" (native Go) */
  docker: boolean;
}

export type RunState = 'building' | 'running' | 'stopped' | 'failed';

export interface RunCallbacks {
  /** raw output of the build and of the server (may hold partial lines and ANSI codes) */
  log(data: string): void;
  state(state: RunState, detail: { url?: string; message?: string; pid?: number; adminUrl?: string }): void;
}

export interface TerminalSession {
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** returns an unsubscribe function */
  onData(listener: (data: string) => void): () => void;
  onExit(listener: (code: number | null) => void): () => void;
  close(): void;
}

export interface CheckOptions {
  /**
   * Aborting stops the check on the runtime; the promise rejects with an AbortError once the
   * runtime has cleaned up (its servers are gone), so Check can be pressed again at once.
   */
  signal?: AbortSignal;
  /** another check holds the machine: this one waits (position 1 = next) */
  onQueued?(position: number): void;
}

export interface Runtime {
  readonly info: RuntimeInfo;

  /** the learner's copy of the lab (created from the starter on first use) */
  listFiles(lab: string): Promise<FileEntry[]>;
  readFile(lab: string, path: string): Promise<string>;
  writeFile(lab: string, path: string, content: string): Promise<void>;
  /** back to the starter; the runtime keeps the old files and names the backup */
  reset(lab: string): Promise<{ backup: string }>;
  /** the reference solution: starter files with the solution laid over them */
  solutionFiles(lab: string): Promise<FileEntry[]>;
  readSolutionFile(lab: string, path: string): Promise<string>;

  /** gofmt; rejects with FormatError when the source does not parse */
  format(source: string): Promise<string>;

  openTerminal(lab: string, size: { cols: number; rows: number }): Promise<TerminalSession>;

  /** builds and starts the lab server; output and state changes arrive through the callbacks */
  run(lab: string, on: RunCallbacks): Promise<void>;
  stop(lab: string): Promise<void>;

  /** runs the lab's checker against the learner's files; every event is passed to onEvent */
  check(lab: string, onEvent: (event: CheckEvent) => void, options?: CheckOptions): Promise<Verdict>;

  /** a lost connection: every process the runtime started for this tab is gone */
  onDisconnect(listener: (reason: string) => void): () => void;
  dispose(): void;
}

/** The Go source does not parse; message is gofmt's. */
export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

/** No runtime could be reached; reason says which fix applies. */
export class RuntimeUnavailableError extends Error {
  constructor(
    /** browser: the in-browser runtime (WebContainer) could not start, or this site has none */
    readonly reason: 'no-agent' | 'unauthorized' | 'incompatible' | 'browser',
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeUnavailableError';
  }
}
