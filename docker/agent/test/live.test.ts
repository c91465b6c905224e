// The WebSocket: terminals, Run, Check, and nothing left behind when the tab goes away.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../../checkers/core/manifest.js';
import type { ServerMessage } from '../protocol.js';
import { connectOutcome, gone, startAgent, waitUntil, WsClient, type TestAgent } from './helpers.js';

type RunState = Extract<ServerMessage, { type: 'run.state' }>;
type CheckMsg = Extract<ServerMessage, { type: 'check.event' }>;

let agent: TestAgent;

beforeAll(async () => {
  agent = await startAgent();
}, 30_000);

afterAll(async () => {
  await agent?.stop();
});

describe('terminal', () => {
  it('runs echo and go version in the lab workspace', async () => {
    const c = await WsClient.open(agent);
    try {
      c.send({ type: 'term.open', id: 't1', lab: 'slowloris', cols: 120, rows: 30 });
      c.send({ type: 'term.input', id: 't1', data: 'echo "hello $((6*7))"; pwd\r' });
      await c.termMatch('t1', /hello 42/, 10_000);
      await c.termMatch('t1', /default\/slowloris/, 5_000);
      c.send({ type: 'term.input', id: 't1', data: 'go version\r' });
      await c.termMatch('t1', /go version go1\.\d+/, 15_000);
      c.send({ type: 'term.input', id: 't1', data: 'exit 3\r' });
      const exit = await c.waitFor((m) => m.type === 'term.exit' && m.id === 't1', 5000, 'term.exit');
      expect(exit).toEqual({ type: 'term.exit', id: 't1', code: 3 });
    } finally {
      await c.close();
    }
  }, 40_000);

  it(`caps terminals per socket, and resize / close work`, async () => {
    const c = await WsClient.open(agent);
    try {
      for (let i = 0; i < 5; i++) c.send({ type: 'term.open', id: `t${i}`, lab: 'slowloris', cols: 80, rows: 24 });
      const err = await c.waitFor((m) => m.type === 'error' && m.id === 't4', 5000, 'the cap error');
      expect(err.type === 'error' && err.message).toMatch(/at most 4 terminals/);
      c.send({ type: 'term.resize', id: 't0', cols: 100, rows: 40 });
      c.send({ type: 'term.input', id: 't0', data: 'stty size\r' });
      await c.termMatch('t0', /40 100/, 10_000);
      c.send({ type: 'term.close', id: 't0' });
      await c.waitFor((m) => m.type === 'term.exit' && m.id === 't0', 5000, 'term.exit');
      c.send({ type: 'term.open', id: 't5', lab: 'slowloris', cols: 80, rows: 24 });
      c.send({ type: 'term.input', id: 't5', data: 'echo fifth-ok\r' });
      await c.termMatch('t5', /fifth-ok/, 10_000);
      // bad messages are answered, not fatal
      c.ws.send('not json');
      c.send({ type: 'term.open', id: 'x', lab: '../../etc', cols: 80, rows: 24 });
      await c.waitFor((m) => m.type === 'error' && m.id === 'x', 5000, 'an error for a bad lab');
      expect(c.messages.some((m) => m.type === 'error' && /JSON/.test(m.message))).toBe(true);
    } finally {
      await c.close();
    }
  }, 40_000);
});

describe('run and check', () => {
  it('run.start builds and runs the slowloris starter, and it answers HTTP', async () => {
    const c = await WsClient.open(agent);
    try {
      c.send({ type: 'run.start', lab: 'slowloris' });
      await c.waitFor((m) => m.type === 'run.state' && m.state === 'building', 5000, 'building');
      const running = await c.waitFor<RunState>((m) => m.type === 'run.state' && (m.state === 'running' || m.state === 'failed'), 60_000, 'running');
      expect(running.state, running.message).toBe('running');
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(running.pid).toBeGreaterThan(0);
      const res = await fetch(`${running.url}/products`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'keyboard' })]));
      // its log line arrives as run.output
      await c.waitFor((m) => m.type === 'run.output' && /listening on 127\.0\.0\.1:\d+/.test(m.data), 5000, 'the log line');

      c.send({ type: 'run.stop', lab: 'slowloris' });
      await c.waitFor((m) => m.type === 'run.state' && m.state === 'stopped', 10_000, 'stopped');
      await waitUntil(() => gone(running.pid!), 5000, 'the server process to exit');
      expect(await connectOutcome(Number(new URL(running.url!).port))).toBe('ECONNREFUSED');
    } finally {
      await c.close();
    }
  }, 90_000);

  it('reports a compiler error as failed, with the output', async () => {
    const c = await WsClient.open(agent);
    try {
      const put = await fetch(`${agent.url}/api/labs/slowloris/files/broken.go`, {
        method: 'PUT',
        headers: agent.auth(),
        body: 'package main\n\nfunc broken() { return 1 }\n',
      });
      expect(put.status).toBe(200);
      c.send({ type: 'run.start', lab: 'slowloris' });
      const failed = await c.waitFor<RunState>((m) => m.type === 'run.state' && (m.state === 'failed' || m.state === 'running'), 60_000, 'failed');
      expect(failed.state).toBe('failed');
      expect(failed.message).toMatch(/broken\.go:3/);
      expect(c.messages.some((m) => m.type === 'run.output' && m.data.includes('broken.go:3'))).toBe(true);
    } finally {
      await fetch(`${agent.url}/api/labs/slowloris/reset`, { method: 'POST', headers: agent.auth() });
      await c.close();
    }
  }, 90_000);

  it('check.start streams check-start ... check-end for the workspace', async () => {
    const c = await WsClient.open(agent);
    try {
      c.send({ type: 'check.start', lab: 'slowloris' });
      const end = await c.waitFor<CheckMsg>((m) => m.type === 'check.event' && m.event.type === 'check-end', 60_000, 'check-end');
      const events = c.messages.filter((m): m is CheckMsg => m.type === 'check.event' && m.lab === 'slowloris').map((m) => m.event);
      expect(events[0]!.type).toBe('check-start');
      expect(events.at(-1)!.type).toBe('check-end');
      expect(events.some((e) => e.type === 'probe-end')).toBe(true);
      if (end.event.type !== 'check-end') throw new Error('unreachable');
      const v = end.event.verdict;
      expect(v.lab).toBe('slowloris');
      expect(v.runtime).toBe('native');
      expect(v.target).toBe('workspace/slowloris');
      // the workspace is the starter: it fails in exactly the lab's stated ways
      const failed = v.probes.filter((p) => p.status === 'failed').map((p) => p.id).sort();
      expect(failed).toEqual([...loadLab('slowloris').starterFails].sort());
    } finally {
      await c.close();
    }
  }, 90_000);

  it('check.stop aborts a running check', async () => {
    const c = await WsClient.open(agent);
    try {
      c.send({ type: 'check.start', lab: 'slowloris' });
      await c.waitFor((m) => m.type === 'check.event' && m.event.type === 'phase' && m.event.phase === 'probes', 60_000, 'probes phase');
      const t0 = Date.now();
      c.send({ type: 'check.stop', lab: 'slowloris' });
      const end = await c.waitFor<CheckMsg>((m) => m.type === 'check.event' && m.event.type === 'check-end', 20_000, 'check-end');
      // The agent kills the check's server, so even a probe that ignores the abort returns at once.
      expect(Date.now() - t0).toBeLessThan(3000);
      if (end.event.type !== 'check-end') throw new Error('unreachable');
      expect(end.event.verdict.probes.some((p) => p.status === 'skipped' && /stopped/.test(p.measured))).toBe(true);
      expect(end.event.verdict.passed).toBe(false);
    } finally {
      await c.close();
    }
  }, 90_000);
});

describe('check queue', () => {
  it('runs one check at a time across sockets; the waiting one is told, then runs', async () => {
    const a = await WsClient.open(agent);
    const b = await WsClient.open(agent);
    try {
      a.send({ type: 'check.start', lab: 'slowloris' });
      await a.waitFor((m) => m.type === 'check.event' && m.event.type === 'check-start', 30_000, 'A starts');
      b.send({ type: 'check.start', lab: 'slowloris' });
      const queued = await b.waitFor((m) => m.type === 'check.queued', 5000, 'B queued');
      expect(queued).toEqual({ type: 'check.queued', lab: 'slowloris', position: 1 });
      expect(b.messages.some((m) => m.type === 'check.event')).toBe(false);
      a.send({ type: 'check.stop', lab: 'slowloris' });
      await a.waitFor((m) => m.type === 'check.event' && m.event.type === 'check-end', 20_000, 'A ends');
      await b.waitFor((m) => m.type === 'check.event' && m.event.type === 'check-start', 20_000, 'B starts');
      b.send({ type: 'check.stop', lab: 'slowloris' });
      await b.waitFor((m) => m.type === 'check.event' && m.event.type === 'check-end', 20_000, 'B ends');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 90_000);
});

describe('cleanup', () => {
  it('kills the shell (and its jobs), the lab server and frees its port when the client disconnects', async () => {
    const c = await WsClient.open(agent);
    c.send({ type: 'term.open', id: 'sh', lab: 'slowloris', cols: 120, rows: 30 });
    // the shell's pid, and a background job in its own process group
    c.send({ type: 'term.input', id: 'sh', data: 'echo "shell=$$"; sleep 300 & echo "job=$!"\r' });
    const shell = Number((await c.termMatch('sh', /shell=(\d+)/, 10_000))[1]);
    const job = Number((await c.termMatch('sh', /job=(\d+)/, 10_000))[1]);
    c.send({ type: 'run.start', lab: 'slowloris' });
    const running = await c.waitFor<RunState>((m) => m.type === 'run.state' && (m.state === 'running' || m.state === 'failed'), 60_000, 'running');
    expect(running.state, running.message).toBe('running');
    const port = Number(new URL(running.url!).port);
    // and a check, in the middle of its attack
    c.send({ type: 'check.start', lab: 'slowloris' });
    const started = await c.waitFor<CheckMsg>((m) => m.type === 'check.event' && m.event.type === 'server-start', 60_000, 'the check server');
    if (started.event.type !== 'server-start') throw new Error('unreachable');
    const checkPid = started.event.pid;
    const checkPort = Number(new URL(started.event.url).port);
    await c.waitFor((m) => m.type === 'check.event' && m.event.type === 'probe-start' && m.event.id === 'slow-headers-closed', 20_000, 'the attack');
    expect(gone(checkPid)).toBe(false);
    expect(gone(shell)).toBe(false);
    expect(gone(job)).toBe(false);
    expect(gone(running.pid!)).toBe(false);
    expect(await connectOutcome(port)).toBe('connected');

    c.ws.terminate(); // the tab is gone, no goodbye
    const t0 = Date.now();
    await waitUntil(() => gone(shell) && gone(job) && gone(running.pid!) && gone(checkPid), 10_000, 'shell, job and servers to exit');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(() => process.kill(checkPid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(await connectOutcome(checkPort)).toBe('ECONNREFUSED');
    expect(() => process.kill(shell, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(() => process.kill(job, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(() => process.kill(running.pid!, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    // the agent itself is fine
    expect((await fetch(`${agent.url}/api/health`, { headers: agent.auth() })).status).toBe(200);
  }, 90_000);
});
