// AgentRuntime: the Runtime served by the lab agent (docker/agent), over HTTP for files and one
// WebSocket per tab for terminals, the lab server and checks. Wire format: docker/agent/protocol.ts.
import type { ClientMessage, FileEntry, ServerMessage } from '../../docker/agent/protocol.js';
import type { CheckEvent, Verdict } from '../../checkers/core/verdict.js';
import {
  FormatError,
  RuntimeUnavailableError,
  type CheckOptions,
  type RunCallbacks,
  type Runtime,
  type RuntimeInfo,
  type TerminalSession,
} from './types.js';

export interface AgentOptions {
  /** the agent's origin, "http://127.0.0.1:4321"; the page's own origin by default */
  origin?: string;
  token: string | null;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
}

/** An HTTP error from the agent, with the agent's own sentence. */
export class AgentHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AgentHttpError';
  }
}

interface PendingCheck {
  onEvent(event: CheckEvent): void;
  onQueued?(position: number): void;
  resolve(verdict: Verdict): void;
  reject(error: Error): void;
  seenEvent: boolean;
  /** check.stop was sent: the promise rejects with AbortError when the agent confirms */
  aborting: boolean;
}

/** How long an aborted check may take to report its end before the page gives up waiting. */
const abortGraceMs = 15_000;

interface Health {
  ok: boolean;
  runtime: 'native' | 'agent';
  go: string | null;
  kernel: boolean;
}

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export class AgentRuntime implements Runtime {
  readonly info: RuntimeInfo;
  private readonly origin: string;
  private readonly token: string | null;
  private readonly fetchImpl: typeof fetch;
  private readonly WS: typeof WebSocket;
  private socket: WebSocket | null = null;
  private opened: Promise<WebSocket> | null = null;
  private readonly terminals = new Map<string, { data: Set<(d: string) => void>; exit: Set<(c: number | null) => void> }>();
  private readonly runs = new Map<string, RunCallbacks>();
  private readonly checks = new Map<string, PendingCheck>();
  private readonly disconnectListeners = new Set<(reason: string) => void>();
  private nextTerminal = 1;
  private disposed = false;

  private constructor(info: RuntimeInfo, options: AgentOptions) {
    this.info = info;
    this.origin = (options.origin ?? globalThis.location.origin).replace(/\/$/, '');
    this.token = options.token;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.WS = options.WebSocket ?? globalThis.WebSocket;
  }

  /** Asks the agent who it is; rejects with RuntimeUnavailableError when there is none or the token is wrong. */
  static async connect(options: AgentOptions): Promise<AgentRuntime> {
    const origin = (options.origin ?? globalThis.location.origin).replace(/\/$/, '');
    const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    let response: Response;
    try {
      response = await fetchImpl(`${origin}/api/health`, { headers: authHeaders(options.token) });
    } catch (err) {
      throw new RuntimeUnavailableError('no-agent', `no lab agent answers at ${origin}: ${(err as Error).message}`);
    }
    if (response.status === 401) throw new RuntimeUnavailableError('unauthorized', 'the lab agent refused the access token');
    const type = response.headers.get('content-type') ?? '';
    if (!response.ok || !type.includes('json')) {
      throw new RuntimeUnavailableError('no-agent', `no lab agent answers at ${origin} (GET /api/health: ${response.status})`);
    }
    const health = (await response.json()) as Health;
    if (!health.ok) throw new RuntimeUnavailableError('incompatible', 'the lab agent says it is not ready');
    const info: RuntimeInfo = { kind: health.runtime, go: health.go, kernel: health.kernel, docker: true };
    return new AgentRuntime(info, { ...options, origin, fetch: fetchImpl });
  }

  // ---- files ----------------------------------------------------------------------------

  listFiles(lab: string): Promise<FileEntry[]> {
    return this.json(`/api/labs/${encodeURIComponent(lab)}/files`);
  }

  readFile(lab: string, path: string): Promise<string> {
    return this.text(`/api/labs/${encodeURIComponent(lab)}/files/${encodePath(path)}`);
  }

  async writeFile(lab: string, path: string, content: string): Promise<void> {
    await this.request(`/api/labs/${encodeURIComponent(lab)}/files/${encodePath(path)}`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: content,
    });
  }

  reset(lab: string): Promise<{ backup: string }> {
    return this.json(`/api/labs/${encodeURIComponent(lab)}/reset`, { method: 'POST' });
  }

  solutionFiles(lab: string): Promise<FileEntry[]> {
    return this.json(`/api/labs/${encodeURIComponent(lab)}/solution`);
  }

  readSolutionFile(lab: string, path: string): Promise<string> {
    return this.text(`/api/labs/${encodeURIComponent(lab)}/solution/${encodePath(path)}`);
  }

  async format(source: string): Promise<string> {
    try {
      return await this.text('/api/format', { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: source });
    } catch (err) {
      if (err instanceof AgentHttpError && err.status === 422) throw new FormatError(err.message);
      throw err;
    }
  }

  // ---- live: terminal, server, check ------------------------------------------------------

  async openTerminal(lab: string, size: { cols: number; rows: number }): Promise<TerminalSession> {
    const id = `t${this.nextTerminal++}`;
    const listeners = { data: new Set<(d: string) => void>(), exit: new Set<(c: number | null) => void>() };
    this.terminals.set(id, listeners);
    await this.send({ type: 'term.open', id, lab, cols: size.cols, rows: size.rows });
    return {
      write: (data) => void this.send({ type: 'term.input', id, data }).catch(() => {}),
      resize: (cols, rows) => void this.send({ type: 'term.resize', id, cols, rows }).catch(() => {}),
      onData: (listener) => (listeners.data.add(listener), () => listeners.data.delete(listener)),
      onExit: (listener) => (listeners.exit.add(listener), () => listeners.exit.delete(listener)),
      close: () => {
        if (!this.terminals.delete(id)) return;
        if (this.socket?.readyState === 1) this.socket.send(JSON.stringify({ type: 'term.close', id } satisfies ClientMessage));
      },
    };
  }

  async run(lab: string, on: RunCallbacks): Promise<void> {
    this.runs.set(lab, on);
    await this.send({ type: 'run.start', lab });
  }

  async stop(lab: string): Promise<void> {
    await this.send({ type: 'run.stop', lab });
  }

  check(lab: string, onEvent: (event: CheckEvent) => void, options: CheckOptions = {}): Promise<Verdict> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError());
    if (this.checks.has(lab)) return Promise.reject(new Error(`a check of ${lab} is already running`));
    return new Promise<Verdict>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        if (this.checks.get(lab) === pending) this.checks.delete(lab);
      };
      const pending: PendingCheck = {
        onEvent,
        onQueued: options.onQueued,
        resolve: (v) => (settle(), pending.aborting ? reject(abortError()) : resolve(v)),
        reject: (e) => (settle(), reject(pending.aborting ? abortError() : e)),
        seenEvent: false,
        aborting: false,
      };
      const onAbort = () => {
        if (pending.aborting) return;
        pending.aborting = true;
        timer = setTimeout(() => pending.reject(abortError()), abortGraceMs);
        this.send({ type: 'check.stop', lab }).catch(() => pending.reject(abortError()));
      };
      this.checks.set(lab, pending);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.send({ type: 'check.start', lab }).catch((err: Error) => pending.reject(err));
    });
  }

  onDisconnect(listener: (reason: string) => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  dispose(): void {
    this.disposed = true;
    this.socket?.close(1000, 'workspace closed');
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = { ...authHeaders(this.token), ...(init.headers as Record<string, string> | undefined) };
    const response = await this.fetchImpl(`${this.origin}${path}`, { ...init, headers });
    if (response.ok) return response;
    let message = `${init.method ?? 'GET'} ${path}: ${response.status}`;
    try {
      const body = await response.text();
      try {
        message = (JSON.parse(body) as { error?: string }).error ?? message;
      } catch {
        if (body.trim()) message = body.trim();
      }
    } catch {
      /* keep the status line */
    }
    if (response.status === 401) throw new RuntimeUnavailableError('unauthorized', message);
    throw new AgentHttpError(response.status, message);
  }

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    return (await (await this.request(path, init)).json()) as T;
  }

  private async text(path: string, init?: RequestInit): Promise<string> {
    return (await this.request(path, init)).text();
  }

  private socketUrl(): string {
    const url = new URL('/api/ws', this.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.token) url.searchParams.set('token', this.token);
    return url.href;
  }

  private open(): Promise<WebSocket> {
    if (this.disposed) return Promise.reject(new Error('the runtime was closed'));
    if (this.opened) return this.opened;
    this.opened = new Promise<WebSocket>((resolve, reject) => {
      const socket = new this.WS(this.socketUrl());
      this.socket = socket;
      let isOpen = false;
      socket.addEventListener('open', () => {
        isOpen = true;
        resolve(socket);
      });
      socket.addEventListener('message', (e: MessageEvent) => {
        try {
          this.dispatch(JSON.parse(String(e.data)) as ServerMessage);
        } catch (err) {
          console.error('agent: bad message', err);
        }
      });
      socket.addEventListener('close', (e: CloseEvent) => {
        if (this.socket === socket) {
          this.socket = null;
          this.opened = null;
        }
        const reason = e.reason || (isOpen ? 'the connection to the lab agent was closed' : 'could not connect to the lab agent');
        if (!isOpen) reject(new Error(reason));
        this.lost(reason);
      });
    });
    return this.opened;
  }

  private async send(message: ClientMessage): Promise<void> {
    const socket = await this.open();
    socket.send(JSON.stringify(message));
  }

  private dispatch(message: ServerMessage): void {
    switch (message.type) {
      case 'term.output':
        for (const l of this.terminals.get(message.id)?.data ?? []) l(message.data);
        return;
      case 'term.exit': {
        const t = this.terminals.get(message.id);
        this.terminals.delete(message.id);
        for (const l of t?.exit ?? []) l(message.code);
        return;
      }
      case 'run.output':
        this.runs.get(message.lab)?.log(message.data);
        return;
      case 'run.state':
        this.runs.get(message.lab)?.state(message.state, { url: message.url, message: message.message, pid: message.pid, adminUrl: message.adminUrl });
        return;
      case 'check.queued':
        this.checks.get(message.lab)?.onQueued?.(message.position);
        return;
      case 'check.event': {
        const pending = this.checks.get(message.lab);
        if (!pending) return;
        pending.seenEvent = true;
        if (message.event.type === 'check-end') {
          pending.onEvent(message.event);
          pending.resolve(message.event.verdict);
        } else if (!pending.aborting) {
          pending.onEvent(message.event);
        }
        return;
      }
      case 'error':
        this.failed(message.message, message.lab, message.id);
        return;
    }
  }

  /** An error message: it names the lab or terminal it is about, when the request named one. */
  private failed(text: string, lab?: string, id?: string): void {
    if (id !== undefined) {
      const t = this.terminals.get(id);
      if (t) {
        this.terminals.delete(id);
        for (const l of t.exit) l(null);
      }
    }
    if (lab !== undefined) {
      // check.start and run.start both name the lab: a pending check is the likelier sender.
      const pending = this.checks.get(lab);
      if (pending) pending.reject(new Error(text));
      else this.runs.get(lab)?.state('failed', { message: text });
    }
    if (id === undefined && lab === undefined) {
      // An older agent names nothing: a check that has not started yet is the likely cause.
      for (const pending of [...this.checks.values()]) if (!pending.seenEvent) pending.reject(new Error(text));
    }
    console.warn('agent:', text);
  }

  private lost(reason: string): void {
    for (const pending of [...this.checks.values()]) pending.reject(new Error(reason));
    this.checks.clear();
    for (const [, t] of this.terminals) for (const l of t.exit) l(null);
    this.terminals.clear();
    for (const [, on] of this.runs) on.state('stopped', { message: reason });
    this.runs.clear();
    if (!this.disposed) for (const l of this.disconnectListeners) l(reason);
  }
}

function authHeaders(token: string | null): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

function abortError(): Error {
  const err = new Error('the check was stopped');
  err.name = 'AbortError';
  return err;
}
