// `agent`: serves the lesson site and the runtime API, prints the URL with its token (like Jupyter).
//   tsx docker/agent/main.ts [--host H] [--port P] [--runtime native|agent] [--workspaces DIR] [--dist DIR]
// Environment: AGENT_HOST, AGENT_PORT, AGENT_TOKEN (fixed token, >= 16 characters), WORKSPACES_DIR,
// AGENT_DIST, AGENT_RUNTIME, AGENT_RUN_PORT. Flags win over the environment.
import { Command, CommanderError } from 'commander';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { onCleanup } from '../../checkers/core/cleanup.js';
import { defaultLearner, newToken } from './auth.js';
import { createAgent, type Agent } from './server.js';
import { toolchain } from './toolchain.js';

export interface MainResult {
  agent?: Agent;
  code: number;
}

function portNumber(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CommanderError(2, 'agent.usage', `${name}: "${v}" is not a port number (0 picks a free one)`);
  return n;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<MainResult> {
  const program = new Command('agent')
    .description('Go HA Labs agent: the lesson site, the workspace API and live terminals, runs and checks')
    .option('--host <host>', 'address to listen on (AGENT_HOST)', env.AGENT_HOST ?? '127.0.0.1')
    .option('--port <port>', 'port to listen on, 0 for a free one (AGENT_PORT)', env.AGENT_PORT ?? '4321')
    .option('--runtime <name>', 'native (npm start) or agent (the Docker image) (AGENT_RUNTIME)', env.AGENT_RUNTIME ?? 'native')
    .option('--workspaces <dir>', "learners' workspaces (WORKSPACES_DIR, default .workspaces/ in the repo)", env.WORKSPACES_DIR)
    .option('--dist <dir>', 'the built site (AGENT_DIST, default dist/ in the repo)', env.AGENT_DIST)
    .option('--run-port <port>', 'the port Run tries first, 0 for always a free one (AGENT_RUN_PORT)', env.AGENT_RUN_PORT ?? '8080')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let o: { host: string; port: string; runtime: string; workspaces?: string; dist?: string; runPort: string };
  try {
    program.parse(argv, { from: 'user' });
    o = program.opts();
  } catch (err) {
    if (err instanceof CommanderError) return { code: err.exitCode === 0 ? 0 : 2 };
    throw err;
  }
  try {
    if (o.runtime !== 'native' && o.runtime !== 'agent') throw new CommanderError(2, 'agent.usage', `--runtime: "${o.runtime}" is neither native nor agent`);
    const port = portNumber(o.port, '--port');
    const runPort = portNumber(o.runPort, '--run-port');
    const token = env.AGENT_TOKEN || newToken();
    if (token.length < 16) throw new CommanderError(2, 'agent.usage', 'AGENT_TOKEN must have at least 16 characters');
    const agent = await createAgent({
      host: o.host,
      port,
      runtime: o.runtime,
      tokens: { [token]: defaultLearner },
      workspacesDir: o.workspaces ? resolve(o.workspaces) : undefined,
      distDir: o.dist ? resolve(o.dist) : undefined,
      runPort,
    });
    // Ctrl-C / SIGTERM: cleanup.ts kills tracked servers; terminals are ours to kill.
    onCleanup(() => {
      for (const s of agent.sessions) s.killNow();
    });
    const go = toolchain();
    process.stdout.write(`Go HA Labs: ${agent.url}/?token=${agent.token}\n`);
    process.stdout.write(
      `  runtime ${o.runtime}, ${go.version ?? 'no Go toolchain (Run and Check need one)'}, workspaces in ${agent.workspaces.root}\n`,
    );
    return { agent, code: 0 };
  } catch (err) {
    if (err instanceof CommanderError) {
      process.stderr.write(`agent: ${err.message}\n`);
      return { code: 2 };
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      process.stderr.write(`agent: ${o.host}:${o.port} is in use (another agent?). Pass --port N, or --port 0 for a free one.\n`);
      return { code: 2 };
    }
    if (e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
      process.stderr.write(`agent: cannot listen on ${o.host}:${o.port}: ${e.message}\n`);
      return { code: 2 };
    }
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { code, agent } = await main(process.argv.slice(2));
  if (!agent) process.exit(code);
}
