// Test helpers: a real agent process on a free port with a temp WORKSPACES_DIR, and a WebSocket
// client that collects messages and waits for the one a test needs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { ClientMessage, ServerMessage } from '../protocol.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const mainTs = join(repoRoot, 'docker', 'agent', 'main.ts');

export interface TestAgent {
  url: string;
  token: string;
  pid: number;
  workspaces: string;
  child: ChildProcess;
  output(): string;
  auth(): Record<string, string>;
  stop(): Promise<void>;
}

/** The Go caches of this machine, so that an agent with a temp HOME still builds warm. */
function goCaches(): Record<string, string> {
  for (const go of ['go', '/usr/local/go/bin/go']) {
    const r = spawnSync(go, ['env', 'GOCACHE', 'GOPATH', 'GOMODCACHE'], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const [GOCACHE, GOPATH, GOMODCACHE] = r.stdout.trim().split('\n');
    return { GOCACHE: GOCACHE!, GOPATH: GOPATH!, GOMODCACHE: GOMODCACHE! };
  }
  return {};
}

/**
 * A real agent process (`node --import tsx docker/agent/main.ts --port 0`). Its HOME is a temp
 * directory: the shells it opens must not run this machine's ~/.bashrc (pyenv's rehash lock once
 * stalled every new shell for a minute).
 */
export async function startAgent(opts: { dist?: string; env?: Record<string, string>; args?: string[] } = {}): Promise<TestAgent> {
  const workspaces = mkdtempSync(join(tmpdir(), 'ghl-agent-test-ws-'));
  const home = join(workspaces, 'home');
  mkdirSync(home);
  const child = spawn(process.execPath, ['--import', 'tsx', mainTs, '--port', '0', '--run-port', '0', ...(opts.args ?? [])], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...goCaches(),
      HOME: home,
      WORKSPACES_DIR: join(workspaces, 'ws'),
      AGENT_DIST: opts.dist ?? join(workspaces, 'no-dist'),
      AGENT_TOKEN: '',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const line = await new Promise<string>((resolvePromise, reject) => {
    const t = setTimeout(() => reject(new Error(`agent did not start within 20 s:\n${out}`)), 20_000);
    const onData = () => {
      const m = /Go HA Labs: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        child.stdout!.off('data', onData);
        resolvePromise(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`agent exited (${code}) before it printed its URL:\n${out}`));
    });
  });
  const u = new URL(line);
  const token = u.searchParams.get('token')!;
  const url = `${u.protocol}//${u.host}`;
  return {
    url,
    token,
    pid: child.pid!,
    workspaces: join(workspaces, 'ws'),
    child,
    output: () => out,
    auth: () => ({ Authorization: `Bearer ${token}` }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(workspaces, { recursive: true, force: true });
    },
  };
}

export class WsClient {
  readonly messages: ServerMessage[] = [];
  private waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as ServerMessage;
      this.messages.push(m);
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
  }

  static open(agent: TestAgent, token = agent.token): Promise<WsClient> {
    const ws = new WebSocket(`${agent.url.replace('http', 'ws')}/api/ws?token=${encodeURIComponent(token)}`);
    return new Promise((resolvePromise, reject) => {
      ws.once('open', () => resolvePromise(new WsClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  send(msg: ClientMessage): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** The first message (already received or still to come) that satisfies `pred`. */
  waitFor<T extends ServerMessage = ServerMessage>(pred: (m: ServerMessage) => boolean, timeoutMs: number, what = 'a message'): Promise<T> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen as T);
    return new Promise((resolvePromise, reject) => {
      const w = {
        pred,
        resolve: (m: ServerMessage) => {
          clearTimeout(t);
          resolvePromise(m as T);
        },
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got: ${JSON.stringify(this.messages.slice(-8)).slice(0, 2000)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Everything a terminal printed so far. */
  termText(id: string): string {
    return this.messages
      .filter((m): m is Extract<ServerMessage, { type: 'term.output' }> => m.type === 'term.output' && m.id === id)
      .map((m) => m.data)
      .join('');
  }

  /** Waits until the terminal's output matches. */
  async termMatch(id: string, re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.termText(id));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`terminal ${id} never matched ${re}; output:\n${this.termText(id).slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): Promise<void> {
    return new Promise((resolvePromise) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolvePromise();
      this.ws.once('close', () => resolvePromise());
      this.ws.close();
    });
  }
}

/** The status of a WebSocket upgrade attempt (101 when accepted). */
export function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      ws.terminate();
      resolvePromise(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolvePromise(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

/** A raw HTTP request (no URL normalisation: "../" reaches the server as written). */
export async function raw(
  agent: TestAgent,
  method: string,
  path: string,
  opts: { body?: string | Buffer; token?: string | null } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { request } = await import('node:http');
  const u = new URL(agent.url);
  const token = opts.token === undefined ? agent.token : opts.token;
  return new Promise((resolvePromise, reject) => {
    const req = request(
      { host: u.hostname, port: Number(u.port), method, path, headers: token ? { Authorization: `Bearer ${token}` } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** True when the process is gone (kill(pid, 0) fails with ESRCH). Zombies count as alive. */
export function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves to the connect error code ('ECONNREFUSED') or 'connected'. */
export function connectOutcome(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolvePromise) => {
    const s = connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      resolvePromise('timeout');
    }, 2000);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolvePromise('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolvePromise(err.code ?? err.message);
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
