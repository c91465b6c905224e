// The agent's wire protocol: HTTP for files, one WebSocket per browser tab for everything live.
// Shared by the agent (docker/agent) and the browser's AgentRuntime (site/runtime/agent.ts).
// Import it with `import type` from the site so no server code reaches the browser bundle.
import type { CheckEvent } from '../../checkers/core/verdict.js';

/**
 * Authentication: every /api call carries the token printed at start-up, as
 * `Authorization: Bearer <token>` or, for the WebSocket, `?token=<token>`.
 * Lesson pages and static assets need no token.
 *
 * HTTP (JSON unless said otherwise), all under /api:
 *   GET  /api/health                          -> { ok: true, runtime: 'native' | 'agent', go: string | null, kernel: boolean }
 *   GET  /api/labs                            -> LabSummary[]
 *   GET  /api/labs/:lab/files                 -> FileEntry[]   (creates the workspace from the starter on first use)
 *   GET  /api/labs/:lab/files/<path>          -> text/plain file content
 *   PUT  /api/labs/:lab/files/<path>          <- text/plain body (at most maxFileBytes) -> FileEntry
 *   POST /api/labs/:lab/reset                 -> { backup: string }  (the old workspace is kept under that name)
 *   GET  /api/labs/:lab/solution              -> FileEntry[]   (files of starter + solution overlay)
 *   GET  /api/labs/:lab/solution/<path>       -> text/plain
 *   POST /api/format                          <- text/plain Go source -> text/plain formatted source (422 + message on syntax error)
 * Errors: { error: string } with 400 (bad path), 401 (token), 404, 405 (wrong method), 413 (too large),
 * 415 (not a text file), 422, 500, 503 (no gofmt at all).
 * (The agent also accepts `?token=` on HTTP calls, for links such as a file download.)
 *
 * WebSocket /api/ws?token=...: JSON messages, ClientMessage up, ServerMessage down.
 * When the socket closes, every process it started (shell, server, check) is killed.
 * `run.output` data is plain text with "\n" line ends (xterm: set convertEol); `term.output` is raw pty output.
 * A socket has at most `maxTerminalsPerSocket` terminals; a further term.open gets an `error` message.
 * A check's events start with check-start and end with check-end, sent once its servers are gone.
 * The agent runs one check at a time; a check that waits gets `check.queued` until it starts.
 */

export const maxFileBytes = 256 * 1024;
export const maxTerminalsPerSocket = 4;

export interface LabSummary {
  id: string;
  chapter: number;
  order: number;
  title: { en: string; 'zh-CN': string };
  runtimes: ('browser' | 'docker')[];
  kernel: boolean;
  files: string[];
}

export interface FileEntry {
  path: string;
  size: number;
  mtimeMs: number;
}

export type ClientMessage =
  | { type: 'term.open'; id: string; lab: string; cols: number; rows: number }
  | { type: 'term.input'; id: string; data: string }
  | { type: 'term.resize'; id: string; cols: number; rows: number }
  | { type: 'term.close'; id: string }
  | { type: 'run.start'; lab: string }
  | { type: 'run.stop'; lab: string }
  | { type: 'check.start'; lab: string }
  | { type: 'check.stop'; lab: string };

export type ServerMessage =
  | { type: 'term.output'; id: string; data: string }
  | { type: 'term.exit'; id: string; code: number | null }
  | {
      type: 'run.state';
      lab: string;
      state: 'building' | 'running' | 'stopped' | 'failed';
      url?: string;
      message?: string;
      /** (added) with state 'running': the server's process id and its admin listener (pprof, expvar) */
      pid?: number;
      adminUrl?: string;
    }
  | { type: 'run.output'; lab: string; data: string }
  | { type: 'check.event'; lab: string; event: CheckEvent }
  /** (added) another check holds the machine: this one starts when it ends (position 1 = next) */
  | { type: 'check.queued'; lab: string; position: number }
  /** (added) `id` / `lab`: the terminal or lab the failed request named, when it named one */
  | { type: 'error'; message: string; id?: string; lab?: string };
