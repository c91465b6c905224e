// Load generator strength: the raw-socket closed-loop generator against `wrk -t1`, both on one
// core, against a Go hello-world server pinned to the other core. Prints requests/s and the ratio.
//   npx tsx checkers/bench/loadgen.ts [--seconds 5] [--connections 50]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedLoop } from '../core/load/closed.js';
import { freePort, sleep, waitForListen } from '../core/net.js';
import { repoRoot } from '../core/paths.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
const seconds = opt('--seconds', 5);
const connections = opt('--connections', 50);

if (process.env.GHL_LOADGEN_CHILD) {
  // The measured client, pinned to core 1 by the parent.
  const port = Number(process.env.PORT);
  await closedLoop({ host: '127.0.0.1', port, connections, durationMs: 1000, request: { path: '/' } }); // warm-up
  const r = await closedLoop({ host: '127.0.0.1', port, connections, durationMs: seconds * 1000, request: { path: '/' } });
  process.stdout.write(JSON.stringify({ rps: r.rps, sent: r.sent, ok: r.ok, errors: r.errors, p99: r.latency.p99Ms }) + '\n');
  process.exit(0);
}

if (spawnSync('wrk', ['--version']).error) {
  console.error('wrk is not installed: apt-get install wrk');
  process.exit(2);
}
const tmp = mkdtempSync(join(tmpdir(), 'ghl-bench-'));
const port = await freePort();
spawnSync('go', ['build', '-o', join(tmp, 'hello'), '.'], { cwd: join(repoRoot, 'checkers', 'bench', 'hello'), stdio: 'inherit' });
const server = spawn('taskset', ['-c', '0', join(tmp, 'hello')], { env: { ...process.env, ADDR: `127.0.0.1:${port}`, GOMAXPROCS: '1' }, stdio: 'ignore' });
try {
  await waitForListen('127.0.0.1', port, 5000);
  const rounds = 3;
  const wrkRps: number[] = [];
  const oursRps: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const wrk = spawnSync('taskset', ['-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
    const m = /Requests\/sec:\s+([\d.]+)/.exec(wrk.stdout);
    if (!m) throw new Error(`wrk printed no rate: ${wrk.stdout}${wrk.stderr}`);
    wrkRps.push(Number(m[1]));
    await sleep(500);
    const ours = spawnSync('taskset', ['-c', '1', process.execPath, '--import', 'tsx', import.meta.filename, '--seconds', String(seconds), '--connections', String(connections)], {
      encoding: 'utf8',
      env: { ...process.env, GHL_LOADGEN_CHILD: '1', PORT: String(port) },
    });
    const line = ours.stdout.trim().split('\n').pop() ?? '';
    oursRps.push(JSON.parse(line).rps);
    console.log(`round ${i + 1}: wrk ${Math.round(wrkRps[i]!)} req/s, closedLoop ${oursRps[i]} req/s (${line})`);
    await sleep(500);
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const ratio = median(oursRps) / median(wrkRps);
  console.log(`\nmedian wrk -t1 -c${connections}: ${Math.round(median(wrkRps))} req/s; closedLoop: ${median(oursRps)} req/s; ratio ${ratio.toFixed(2)}`);
} finally {
  server.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
