// The agent: node:http for the file API and the built site, ws for the live channel.
// Routes (see protocol.ts): /api/* needs the token, everything else is the static site.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Lab } from '../../checkers/core/manifest.js';
import { repoRoot } from '../../checkers/core/paths.js';
import type { Capabilities } from '../../checkers/core/spec.js';
import { Auth, defaultLearner, newToken } from './auth.js';
import { CheckQueue } from './check.js';
import { listTextFiles, readTextFile, safeRelPath, writeTextFile } from './files.js';
import { formatGo } from './format.js';
import { maxFileBytes, type FileEntry, type LabSummary } from './protocol.js';
import { HttpError, isolationHeaders, readBody, sendError, sendJson, sendText } from './respond.js';
import { Session } from './session.js';
import { StaticSite } from './static.js';
import { toolchain } from './toolchain.js';
import { Workspaces, isLessonFile } from './workspace.js';

export interface AgentOptions {
  host?: string;
  /** 0 picks a free port */
  port?: number;
  /** token -> learner id; default: one random token for the learner "default" */
  tokens?: Record<string, string>;
  /** WORKSPACES_DIR (default <repo>/.workspaces) */
  workspacesDir?: string;
  /** the built site (default <repo>/dist) */
  distDir?: string;
  /** where the labs are (default <repo>/labs, or LABS_DIR) */
  labsDir?: string;
  /** what /api/health and the checker call this runtime */
  runtime?: 'native' | 'agent';
  /** whether kernel labs can run; default: probed once (root + namespaces), lazily */
  kernel?: boolean;
  /** the port Run tries first; default 8080 (the labs' documented ADDR), 0 for always-free */
  runPort?: number;
  maxFileBytes?: number;
  maxTerminalsPerSocket?: number;
}

export interface Agent {
  url: string;
  host: string;
  port: number;
  /** the first token (the one to print) */
  token: string;
  server: Server;
  sessions: Set<Session>;
  workspaces: Workspaces;
  close(): Promise<void>;
}

export async function createAgent(options: AgentOptions = {}): Promise<Agent> {
  const host = options.host ?? '127.0.0.1';
  const tokens = options.tokens ?? { [newToken()]: defaultLearner };
  const auth = new Auth(tokens);
  const workspaces = new Workspaces(options.workspacesDir ?? join(repoRoot, '.workspaces'), options.labsDir);
  const site = new StaticSite(options.distDir ?? join(repoRoot, 'dist'));
  const runtime = options.runtime ?? 'native';
  const fileLimit = options.maxFileBytes ?? maxFileBytes;
  const queue = new CheckQueue();
  const sessions = new Set<Session>();

  let kernel = options.kernel;
  const kernelOk = async (): Promise<boolean> => {
    if (kernel === undefined) {
      try {
        const { kernelCapability } = await import('../../checkers/core/netns/capabilities.js');
        kernel = kernelCapability().ok;
      } catch {
        kernel = false;
      }
    }
    return kernel;
  };
  // The runner probes the kernel tooling itself when a lab needs it; only a forced value is passed.
  const caps = (): Partial<Capabilities> => ({ runtime, ...(options.kernel !== undefined ? { kernel: options.kernel } : {}) });

  const api = async (req: IncomingMessage, res: ServerResponse, learner: string): Promise<void> => {
    const method = req.method ?? 'GET';
    // Routed on the raw path: URL parsing would fold "../" and "%2e%2e/" away before we could refuse them.
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/api/health' && method === 'GET') {
      return sendJson(res, 200, { ok: true, runtime, go: toolchain().version, kernel: await kernelOk() });
    }
    if (path === '/api/labs' && method === 'GET') return sendJson(res, 200, labSummaries(workspaces));
    if (path === '/api/format' && method === 'POST') {
      const body = await readBody(req, fileLimit);
      const source = body.toString('utf8');
      return sendText(res, 200, await formatGo(source));
    }
    const m = /^\/api\/labs\/([^/]+)\/(files|solution|reset)(?:\/(.*))?$/.exec(path);
    if (!m) throw new HttpError(404, `no route ${method} ${path}`);
    const [, labId, kind, rest] = m;
    let id: string;
    try {
      id = decodeURIComponent(labId!);
    } catch {
      throw new HttpError(400, 'bad lab id');
    }
    const lab = workspaces.lab(id);
    if (kind === 'reset') {
      if (method !== 'POST' || rest !== undefined) throw new HttpError(404, `no route ${method} ${path}`);
      const { backup } = workspaces.reset(learner, lab);
      return sendJson(res, 200, { backup });
    }
    if (kind === 'files') {
      const dir = workspaces.ensure(learner, lab);
      if (rest === undefined || rest === '') {
        if (method !== 'GET') throw new HttpError(405, 'use GET to list files');
        return sendJson(res, 200, orderFiles(await listTextFiles(dir), lab));
      }
      const rel = safeRelPath(rest);
      if (method === 'GET') return sendText(res, 200, await readTextFile(dir, rel, fileLimit));
      if (method === 'PUT') {
        const body = await readBody(req, fileLimit);
        const entry = await writeTextFile(dir, rel, body, fileLimit);
        return sendJson(res, 200, entry);
      }
      throw new HttpError(405, `use GET or PUT on a file`);
    }
    // solution: the starter with the solution overlay, read-only
    if (method !== 'GET') throw new HttpError(405, 'the solution is read-only');
    if (rest === undefined || rest === '') return sendJson(res, 200, orderFiles(await solutionFiles(lab), lab));
    const rel = safeRelPath(rest);
    if (isLessonFile(rel)) throw new HttpError(404, `no such file: ${rel}`);
    try {
      return sendText(res, 200, await readTextFile(lab.solutionDir, rel, fileLimit));
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 404) throw err;
    }
    return sendText(res, 200, await readTextFile(lab.dir, rel, fileLimit));
  };

  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://agent.invalid');
    } catch {
      return sendError(res, new HttpError(400, 'bad URL'));
    }
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const isApi = (p: string) => p === '/api' || p.startsWith('/api/');
    if (isApi(rawPath) || isApi(url.pathname)) {
      const learner = auth.learnerFor(Auth.tokenOf(req, url));
      if (!learner) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        return sendError(res, new HttpError(401, 'a valid token is required: open the URL the agent printed at start-up (…/?token=…)'));
      }
      api(req, res, learner).catch((err) => sendError(res, err));
      return;
    }
    site.handle(req, res, url).catch((err) => sendError(res, err));
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://agent.invalid');
    } catch {
      return refuseUpgrade(socket, 400, 'Bad Request');
    }
    if (url.pathname !== '/api/ws') return refuseUpgrade(socket, 404, 'Not Found');
    const learner = auth.learnerFor(Auth.tokenOf(req, url));
    if (!learner) return refuseUpgrade(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, learner));
  });
  wss.on('headers', (headers) => {
    for (const [k, v] of Object.entries(isolationHeaders)) headers.push(`${k}: ${v}`);
  });

  const attach = (ws: WebSocket, learner: string) => {
    void kernelOk(); // probe before the first check needs it
    const session = new Session(ws, {
      learner,
      workspaces,
      queue,
      caps,
      runPort: options.runPort ?? 8080,
      maxTerminals: options.maxTerminalsPerSocket,
    });
    sessions.add(session);
    let alive = true;
    ws.on('pong', () => (alive = true));
    const heartbeat = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, 30_000);
    heartbeat.unref();
    // Messages are handled in order: a term.input must not overtake its term.open.
    let chain = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      if (isBinary) return session.send({ type: 'error', message: 'messages are JSON text' });
      const text = data.toString();
      chain = chain.then(() => session.handle(text));
    });
    const gone = () => {
      clearInterval(heartbeat);
      sessions.delete(session);
      void session.close();
    };
    ws.on('close', gone);
    ws.on('error', gone);
  };

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4321, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}`,
    host,
    port,
    token: Object.keys(tokens)[0]!,
    server,
    sessions,
    workspaces,
    async close() {
      await Promise.all([...sessions].map((s) => s.close()));
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function refuseUpgrade(socket: Socket, status: number, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\n` +
      Object.entries(isolationHeaders).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function labSummaries(workspaces: Workspaces): LabSummary[] {
  const labs: Lab[] = [];
  for (const id of workspaces.labIds()) {
    try {
      labs.push(workspaces.lab(id));
    } catch (err) {
      // One malformed manifest (a lab in progress) must not hide the others.
      process.stderr.write(`agent: skipping lab ${id}: ${(err as Error).message}\n`);
    }
  }
  labs.sort((a, b) => a.chapter - b.chapter || a.order - b.order || a.id.localeCompare(b.id));
  return labs.map((l) => ({ id: l.id, chapter: l.chapter, order: l.order, title: l.title, runtimes: l.runtimes, kernel: l.kernel, files: l.files }));
}

/** The manifest's `files` first (the ones to edit), in its order; then the rest by path. */
function orderFiles(entries: FileEntry[], lab: Lab): FileEntry[] {
  const rank = (p: string) => {
    const i = lab.files.indexOf(p);
    return i < 0 ? lab.files.length : i;
  };
  return [...entries].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
}

async function solutionFiles(lab: Lab): Promise<FileEntry[]> {
  const byPath = new Map<string, FileEntry>();
  for (const e of await listTextFiles(lab.dir, { exclude: isLessonFile })) byPath.set(e.path, e);
  for (const e of await listTextFiles(lab.solutionDir, { exclude: isLessonFile })) byPath.set(e.path, e);
  return [...byPath.values()];
}
