#!/usr/bin/env node
// `npm start`: the labs on this machine (the native runtime).
//   1. build the site (npx astro build) when dist/ is missing or older than site/, labs/ or
//      astro.config.mjs; with no site yet, skip it (the agent then serves a "not built" page);
//   2. check that Go is there; without it, say how to use the Docker image, and start anyway
//      (the lessons can be read);
//   3. start the agent with the native runtime (AGENT_RUNTIME=agent in the lab image):
//      it prints `Go HA Labs: http://127.0.0.1:4321/?token=...`.
// Arguments are passed to the agent (--port, --host, ...); `--no-build` skips step 1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const say = (line) => process.stdout.write(`${line}\n`);

const skipped = new Set(['test', 'bench', 'node_modules', '.astro', '.git', '.cache']);

/** The newest mtime under `path` (a file or a directory tree); 0 when it does not exist. */
function newest(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (skipped.has(entry.name)) continue;
    max = Math.max(max, newest(join(path, entry.name)));
  }
  return max;
}

async function buildSite() {
  const site = join(root, 'site');
  const config = join(root, 'astro.config.mjs');
  if (!existsSync(site) || !existsSync(config)) {
    say(
      'Go HA Labs: no site/ or astro.config.mjs, so no site build; ' +
        (existsSync(join(dist, 'index.html')) ? 'serving dist/ as it is.' : 'serving the API and a placeholder page.'),
    );
    return;
  }
  const sources = Math.max(newest(site), newest(join(root, 'labs')), newest(config));
  const built = existsSync(join(dist, 'index.html')) ? newest(dist) : 0;
  if (built >= sources) return;
  say(built ? 'Go HA Labs: the site changed since the last build; rebuilding (npx astro build)...' : 'Go HA Labs: building the site (npx astro build)...');
  const local = join(root, 'node_modules', '.bin', 'astro');
  const [cmd, argv] = existsSync(local) ? [local, ['build']] : ['npx', ['astro', 'build']];
  // Asynchronous, so that a SIGTERM (docker stop, a test harness) reaches the build too.
  const child = spawn(cmd, argv, { cwd: root, stdio: 'inherit' });
  const forward = (sig) => () => {
    child.kill(sig);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  const handlers = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((sig) => [sig, forward(sig)]);
  for (const [sig, h] of handlers) process.on(sig, h);
  const result = await new Promise((resolvePromise) => {
    child.on('error', (err) => resolvePromise(err.message));
    child.on('exit', (code, signal) => resolvePromise(code === 0 ? null : `exit ${code ?? signal}`));
  });
  for (const [sig, h] of handlers) process.off(sig, h);
  if (result) {
    say(
      `Go HA Labs: the site build failed (${result}); ` +
        (existsSync(join(dist, 'index.html')) ? 'serving the previous build.' : 'serving the API and a placeholder page.'),
    );
  }
}

function checkGo() {
  for (const go of ['go', '/usr/local/go/bin/go']) {
    const r = spawnSync(go, ['version'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } });
    if (r.status === 0) {
      if (go !== 'go') say(`Go HA Labs: using ${go} (${r.stdout.trim()}); it is not on your PATH, but the lab terminals have it.`);
      return true;
    }
  }
  say(
    [
      'Go HA Labs: Go was not found on PATH. The lessons can be read, but Run, Check and `go run .` need Go 1.26.',
      '  Install it from https://go.dev/dl/, or use the Docker image instead (Go and the kernel tools inside):',
      '    docker run --rm -p 4321:4321 go-ha-labs',
    ].join('\n'),
  );
  return false;
}

/**
 * native, unless the lab image says otherwise (AGENT_RUNTIME=agent). Not guessed from /.dockerenv:
 * development machines built from container images have one too.
 */
function runtime() {
  return process.env.AGENT_RUNTIME || 'native';
}

const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
if (!noBuild) await buildSite();
checkGo();

register();
const { main } = await import('../docker/agent/main.ts');
const agentArgs = args.filter((a) => a !== '--no-build');
if (!agentArgs.some((a) => a === '--runtime' || a.startsWith('--runtime='))) agentArgs.unshift('--runtime', runtime());
const { code, agent } = await main(agentArgs);
if (!agent) process.exit(code);
