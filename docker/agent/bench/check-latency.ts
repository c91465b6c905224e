// Time from pressing Check to the first probe result, through the agent: a WebSocket client sends
// check.start for a lab workspace and times the first check-start, the first probe-start and the
// first probe-end. Cold = the first check after the agent started (the Go build cache is warm, the
// workspace is new); warm = the next ones.
//   npx tsx docker/agent/bench/check-latency.ts [--lab slowloris] [--runs 3]
import type { ServerMessage } from '../protocol.js';
import { WsClient, startAgent } from '../test/helpers.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const lab = arg('lab', 'slowloris');
const runs = Number(arg('runs', '3'));

const agent = await startAgent();
try {
  const ws = await WsClient.open(agent);
  await fetch(`${agent.url}/api/labs/${lab}/files`, { headers: agent.auth() });
  for (let i = 0; i < runs; i++) {
    const seen = ws.messages.length;
    const after = (pred: (m: ServerMessage) => boolean) => (m: ServerMessage) => ws.messages.indexOf(m) >= seen && pred(m);
    const isEvent = (type: string) => after((m) => m.type === 'check.event' && m.lab === lab && m.event.type === type);
    const t0 = performance.now();
    ws.send({ type: 'check.start', lab });
    await ws.waitFor(isEvent('check-start'), 30_000, 'check-start');
    const tStart = performance.now() - t0;
    await ws.waitFor(isEvent('probe-start'), 60_000, 'probe-start');
    const tProbe = performance.now() - t0;
    await ws.waitFor(isEvent('probe-end'), 60_000, 'probe-end');
    const tFirst = performance.now() - t0;
    await ws.waitFor(isEvent('check-end'), 120_000, 'check-end');
    const tEnd = performance.now() - t0;
    console.log(
      `${i === 0 ? 'cold' : 'warm'} check ${i + 1}: check-start ${tStart.toFixed(0)} ms, first probe running ${tProbe.toFixed(0)} ms, ` +
        `first probe result ${tFirst.toFixed(0)} ms, verdict ${(tEnd / 1000).toFixed(1)} s`,
    );
  }
  await ws.close();
} finally {
  await agent.stop();
}
