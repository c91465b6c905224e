// Memory of the agent: idle, then with N learners' tabs open (a WebSocket each, a terminal open in
// the lab workspace, the workspace created and listed). Prints RSS of the agent process and of
// everything under it (shells included).
//   npx tsx docker/agent/bench/memory.ts [--clients 10] [--lab slowloris]
import { readFileSync, readdirSync } from 'node:fs';
import { WsClient, startAgent } from '../test/helpers.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const clients = Number(arg('clients', '10'));
const lab = arg('lab', 'slowloris');

function status(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
  return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
}

/** pid and every descendant, with RSS and command name. */
function tree(root: number): { pid: number; comm: string; rss: number }[] {
  const parent = new Map<number, number>();
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const st = readFileSync(`/proc/${n}/stat`, 'utf8');
      parent.set(Number(n), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const found = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) if (!found.has(pid) && found.has(ppid)) (found.add(pid), (grew = true));
  }
  const out = [];
  for (const pid of found) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      out.push({ pid, comm, rss: status(pid).rss });
    } catch {
      /* gone */
    }
  }
  return out;
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function report(label: string, pid: number): { agent: number; total: number } {
  const t = tree(pid);
  const agent = status(pid).rss;
  const total = t.reduce((a, p) => a + p.rss, 0);
  const byComm = new Map<string, { n: number; rss: number }>();
  for (const p of t) {
    const e = byComm.get(p.comm) ?? { n: 0, rss: 0 };
    e.n++;
    e.rss += p.rss;
    byComm.set(p.comm, e);
  }
  const parts = [...byComm].map(([c, e]) => `${c}×${e.n} ${mb(e.rss)}`).join(', ');
  process.stdout.write(`${label.padEnd(34)} agent RSS ${mb(agent).padStart(9)}   with children ${mb(total).padStart(9)}   (${parts})\n`);
  return { agent, total };
}

const agent = await startAgent();
try {
  process.stdout.write(`agent pid ${agent.pid}, node ${process.version}, ${clients} clients, lab ${lab}\n`);
  await sleep(1500);
  const idle = report('idle (no client)', agent.pid);

  // Warm-up: one client through the whole path, so that module loading is not counted per client.
  const warm = await WsClient.open(agent);
  warm.send({ type: 'term.open', id: 'w', lab, cols: 120, rows: 30 });
  await warm.termMatch('w', /\$ $|# $/m, 10_000).catch(() => undefined);
  await warm.close();
  await sleep(1000);
  const warmed = report('after one client came and went', agent.pid);

  const open: WsClient[] = [];
  for (let i = 0; i < clients; i++) {
    const c = await WsClient.open(agent);
    const files = await fetch(`${agent.url}/api/labs/${lab}/files`, { headers: agent.auth() });
    if (!files.ok) throw new Error(`list files: ${files.status}`);
    c.send({ type: 'term.open', id: 't', lab, cols: 120, rows: 30 });
    c.send({ type: 'term.input', id: 't', data: `echo ready-${i}\r` });
    await c.termMatch('t', new RegExp(`ready-${i}\\r?\\n`), 10_000);
    open.push(c);
  }
  await sleep(1500);
  const busy = report(`${clients} clients, a terminal each`, agent.pid);
  process.stdout.write(
    `per client: agent +${mb((busy.agent - warmed.agent) / clients)}, with its shell +${mb((busy.total - warmed.total) / clients)}\n`,
  );
  await Promise.all(open.map((c) => c.close()));
  await sleep(1500);
  report('after they all disconnected', agent.pid);
  process.stdout.write(`peak agent RSS (VmHWM) ${mb(status(agent.pid).hwm)}; idle baseline ${mb(idle.agent)}\n`);
} finally {
  await agent.stop();
}
