// AgentRuntime, the thin glue between the Runtime interface and the agent's wire protocol,
// against a fake fetch and a fake WebSocket (the real agent is exercised by the e2e test).
import { describe, expect, it } from 'vitest';
import type { ClientMessage, ServerMessage } from '../../docker/agent/protocol.js';
import type { CheckEvent, Verdict } from '../../checkers/core/verdict.js';
import { AgentRuntime } from '../runtime/agent.js';
import { FormatError, RuntimeUnavailableError } from '../runtime/types.js';

type Route = (url: URL, init: RequestInit) => Response | Promise<Response>;

const json = (value: unknown, status = 200) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });
const health = { ok: true, runtime: 'agent', go: 'go1.26.8', kernel: true };

function fakeFetch(routes: Record<string, Route>, log: { url: URL; init: RequestInit }[] = []): typeof fetch {
  return (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input));
    log.push({ url, init });
    const key = `${init.method ?? 'GET'} ${url.pathname}`;
    const route = routes[key];
    if (!route) return json({ error: `no route ${key}` }, 404);
    return route(url, init);
  }) as typeof fetch;
}

class FakeSocket extends EventTarget {
  static last: FakeSocket | null = null;
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: ClientMessage[] = [];
  constructor(readonly url: string) {
    super();
    FakeSocket.last = this;
    FakeSocket.all.push(this);
    queueMicrotask(() => {
      this.readyState = 1;
      this.dispatchEvent(new Event('open'));
    });
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as ClientMessage);
  }
  close(code = 1000, reason = '') {
    this.readyState = 3;
    const e = new Event('close') as Event & { code: number; reason: string };
    Object.assign(e, { code, reason });
    this.dispatchEvent(e);
  }
  /** the agent sends a message */
  push(message: ServerMessage) {
    const e = new Event('message') as Event & { data: string };
    Object.assign(e, { data: JSON.stringify(message) });
    this.dispatchEvent(e);
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

async function connected(routes: Record<string, Route> = {}, log?: { url: URL; init: RequestInit }[]) {
  const runtime = await AgentRuntime.connect({
    origin: 'http://127.0.0.1:4321',
    token: 'tok',
    fetch: fakeFetch({ 'GET /api/health': () => json(health), ...routes }, log),
    WebSocket: FakeSocket as unknown as typeof WebSocket,
  });
  return runtime;
}

const verdict: Verdict = { lab: 'slowloris', passed: true, status: 'passed', durationMs: 5, target: 'workspace/slowloris', runtime: 'agent', probes: [] };

describe('AgentRuntime.connect', () => {
  it('reads the runtime from /api/health, with the bearer token', async () => {
    const log: { url: URL; init: RequestInit }[] = [];
    const rt = await connected({}, log);
    expect(rt.info).toEqual({ kind: 'agent', go: 'go1.26.8', kernel: true, docker: true });
    expect((log[0]!.init.headers as Record<string, string>).authorization).toBe('Bearer tok');
  });

  it('says why there is no runtime', async () => {
    const attempt = (f: typeof fetch) => AgentRuntime.connect({ origin: 'http://h', token: null, fetch: f, WebSocket: FakeSocket as unknown as typeof WebSocket });
    await expect(attempt((async () => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch)).rejects.toMatchObject({ reason: 'no-agent' });
    await expect(attempt(fakeFetch({ 'GET /api/health': () => json({ error: 'token' }, 401) }))).rejects.toMatchObject({ reason: 'unauthorized' });
    // `astro preview` or a static host: an HTML 404, not an agent
    await expect(attempt(fakeFetch({ 'GET /api/health': () => new Response('<html>', { status: 404, headers: { 'content-type': 'text/html' } }) }))).rejects.toBeInstanceOf(RuntimeUnavailableError);
  });
});

describe('files over HTTP', () => {
  it('lists, reads and writes with encoded paths', async () => {
    const log: { url: URL; init: RequestInit }[] = [];
    const rt = await connected(
      {
        'GET /api/labs/slowloris/files': () => json([{ path: 'main.go', size: 3, mtimeMs: 1 }]),
        'GET /api/labs/slowloris/files/cmd/my%20file.go': () => new Response('package main'),
        'PUT /api/labs/slowloris/files/main.go': () => json({ path: 'main.go', size: 5, mtimeMs: 2 }),
        'POST /api/labs/slowloris/reset': () => json({ backup: 'b1' }),
        'GET /api/labs/slowloris/solution': () => json([{ path: 'main.go', size: 3, mtimeMs: 1 }]),
        'GET /api/labs/slowloris/solution/main.go': () => new Response('solved'),
      },
      log,
    );
    expect(await rt.listFiles('slowloris')).toEqual([{ path: 'main.go', size: 3, mtimeMs: 1 }]);
    expect(await rt.readFile('slowloris', 'cmd/my file.go')).toBe('package main');
    await rt.writeFile('slowloris', 'main.go', 'hello');
    const put = log.find((l) => l.init.method === 'PUT')!;
    expect(put.init.body).toBe('hello');
    expect((put.init.headers as Record<string, string>).authorization).toBe('Bearer tok');
    expect(await rt.reset('slowloris')).toEqual({ backup: 'b1' });
    expect(await rt.readSolutionFile('slowloris', 'main.go')).toBe('solved');
  });

  it("surfaces the agent's error sentence, and 422 from format as FormatError", async () => {
    const rt = await connected({
      'PUT /api/labs/x/files/big.go': () => json({ error: 'main.go is larger than 256 KiB' }, 413),
      'POST /api/format': () => json({ error: '3:1: expected declaration' }, 422),
    });
    await expect(rt.writeFile('x', 'big.go', 'x')).rejects.toThrow('main.go is larger than 256 KiB');
    const err = await rt.format('func {').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toBe('3:1: expected declaration');
  });
});

describe('the live channel', () => {
  it('opens one socket with the token, and routes check events to the right check', async () => {
    const rt = await connected();
    const events: CheckEvent[] = [];
    const done = rt.check('slowloris', (e) => events.push(e));
    await tick();
    const ws = FakeSocket.last!;
    expect(ws.url).toBe('ws://127.0.0.1:4321/api/ws?token=tok');
    expect(ws.sent).toEqual([{ type: 'check.start', lab: 'slowloris' }]);
    ws.push({ type: 'check.event', lab: 'other', event: { type: 'phase', phase: 'build', message: 'not ours' } });
    ws.push({ type: 'check.event', lab: 'slowloris', event: { type: 'phase', phase: 'build', message: 'go build' } });
    ws.push({ type: 'check.event', lab: 'slowloris', event: { type: 'check-end', verdict } });
    await expect(done).resolves.toEqual(verdict);
    expect(events.map((e) => e.type)).toEqual(['phase', 'check-end']);
  });

  it('reports the queue position', async () => {
    const rt = await connected();
    const positions: number[] = [];
    const done = rt.check('slowloris', () => {}, { onQueued: (p) => positions.push(p) });
    await tick();
    FakeSocket.last!.push({ type: 'check.queued', lab: 'slowloris', position: 2 });
    FakeSocket.last!.push({ type: 'check.queued', lab: 'slowloris', position: 1 });
    FakeSocket.last!.push({ type: 'check.event', lab: 'slowloris', event: { type: 'check-end', verdict } });
    await done;
    expect(positions).toEqual([2, 1]);
  });

  it('stop: sends check.stop and rejects with AbortError once the agent reports the end', async () => {
    const rt = await connected();
    const ac = new AbortController();
    const seen: string[] = [];
    const done = rt.check('slowloris', (e) => seen.push(e.type), { signal: ac.signal });
    await tick();
    ac.abort();
    await tick();
    const ws = FakeSocket.last!;
    expect(ws.sent.at(-1)).toEqual({ type: 'check.stop', lab: 'slowloris' });
    let settled = false;
    done.catch(() => (settled = true));
    ws.push({ type: 'check.event', lab: 'slowloris', event: { type: 'probe-start', id: 'a', title: 'A' } });
    await tick();
    expect(settled).toBe(false);
    ws.push({ type: 'check.event', lab: 'slowloris', event: { type: 'check-end', verdict: { ...verdict, passed: false, status: 'skipped' } } });
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual(['check-end']);
  });

  it('an error naming the lab fails its check; a second check of the same lab is refused', async () => {
    const rt = await connected();
    const first = rt.check('slowloris', () => {});
    await expect(rt.check('slowloris', () => {})).rejects.toThrow(/already running/);
    await tick();
    FakeSocket.last!.push({ type: 'error', lab: 'slowloris', message: 'the check could not run: go: not found' });
    await expect(first).rejects.toThrow('go: not found');
  });

  it('terminals: output and exit reach the right session, input and resize go up', async () => {
    const rt = await connected();
    const term = await rt.openTerminal('slowloris', { cols: 80, rows: 24 });
    const ws = FakeSocket.last!;
    const open = ws.sent[0] as Extract<ClientMessage, { type: 'term.open' }>;
    expect(open).toMatchObject({ type: 'term.open', lab: 'slowloris', cols: 80, rows: 24 });
    const out: string[] = [];
    const exits: (number | null)[] = [];
    term.onData((d) => out.push(d));
    term.onExit((c) => exits.push(c));
    term.write('go version\r');
    term.resize(100, 30);
    ws.push({ type: 'term.output', id: open.id, data: 'go version go1.26.8\r\n' });
    ws.push({ type: 'term.output', id: 'someone-else', data: 'no' });
    await tick();
    expect(out).toEqual(['go version go1.26.8\r\n']);
    expect(ws.sent.slice(1)).toEqual([
      { type: 'term.input', id: open.id, data: 'go version\r' },
      { type: 'term.resize', id: open.id, cols: 100, rows: 30 },
    ]);
    ws.push({ type: 'term.exit', id: open.id, code: 0 });
    expect(exits).toEqual([0]);
  });

  it('run: output and state callbacks, per lab', async () => {
    const rt = await connected();
    const log: string[] = [];
    const states: string[] = [];
    await rt.run('slowloris', { log: (d) => log.push(d), state: (s, d) => states.push(`${s}${d.url ? ` ${d.url}` : ''}`) });
    const ws = FakeSocket.last!;
    expect(ws.sent).toEqual([{ type: 'run.start', lab: 'slowloris' }]);
    ws.push({ type: 'run.state', lab: 'slowloris', state: 'building' });
    ws.push({ type: 'run.output', lab: 'slowloris', data: '$ go build .\n' });
    ws.push({ type: 'run.state', lab: 'slowloris', state: 'running', url: 'http://127.0.0.1:8080', pid: 42 });
    await rt.stop('slowloris');
    expect(ws.sent.at(-1)).toEqual({ type: 'run.stop', lab: 'slowloris' });
    expect(log).toEqual(['$ go build .\n']);
    expect(states).toEqual(['building', 'running http://127.0.0.1:8080']);
  });

  it('a lost socket fails what is pending, tells the page, and the next call reconnects', async () => {
    const rt = await connected();
    const reasons: string[] = [];
    rt.onDisconnect((r) => reasons.push(r));
    const check = rt.check('slowloris', () => {});
    const term = await rt.openTerminal('slowloris', { cols: 80, rows: 24 });
    const exits: (number | null)[] = [];
    term.onExit((c) => exits.push(c));
    const first = FakeSocket.last!;
    first.close(1006, 'agent stopped');
    await expect(check).rejects.toThrow('agent stopped');
    expect(exits).toEqual([null]);
    expect(reasons).toEqual(['agent stopped']);
    await rt.run('slowloris', { log: () => {}, state: () => {} });
    expect(FakeSocket.last).not.toBe(first);
    expect(FakeSocket.last!.sent).toEqual([{ type: 'run.start', lab: 'slowloris' }]);
  });
});
