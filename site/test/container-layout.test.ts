// Everything under the WebContainer glue, for real, under plain Node: the container's working
// directory laid out on disk exactly as the glue mounts it, then the commands the glue spawns.
// No host Go on PATH, no checkout, no node_modules: the `go` wrapper, the toolchain shim (compiler
// and linker in WebAssembly), the launcher and the bundled checker must carry everything.
// Skipped (with the reason) when the runtime is not built: npm run runtime:build.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../../checkers/core/net.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckStream } from '../runtime/browser/check-stream.js';
import { checkSpawn, parseGoVersion, runSpawn, searchPath, versionSpawn } from '../runtime/browser/layout.js';
import { killGroup, layoutUnavailable, spawnInLayout, writeContainerLayout } from '../bench/container-layout.js';
import type { CheckEvent, Verdict } from '../../checkers/core/verdict.js';

const skip = layoutUnavailable();
const lab = 'slowloris';
const root = resolve(import.meta.dirname, '..', '..');

describe.skipIf(skip !== null)(`the container layout under plain Node${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let wd: string;
  beforeAll(() => {
    wd = mkdtempSync(join(tmpdir(), 'ghl-container-'));
    writeContainerLayout(wd, lab);
  }, 60_000);
  afterAll(() => rmSync(wd, { recursive: true, force: true }));

  it('`go` on the shell PATH is the toolchain shim', () => {
    const r = spawnSync('sh', ['-c', 'command -v go && go version'], { cwd: join(wd, 'work', lab), env: { PATH: searchPath(wd, '/usr/bin:/bin'), HOME: wd }, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toBe(join(wd, 'bin', 'go'));
    expect(parseGoVersion(r.stdout)).toMatch(/^go1\.\d+/);
    const v = spawnSync(process.execPath, versionSpawn(wd, '').args, { encoding: 'utf8', timeout: 30_000 });
    expect(parseGoVersion(v.stdout)).toBe(parseGoVersion(r.stdout));
  });

  it('Run: `go run .` builds with the in-tab compiler and the server answers on ADDR', async () => {
    const port = await freePort();
    const child = spawnInLayout(wd, runSpawn(wd, '', lab), { ADDR: `127.0.0.1:${port}`, ADMIN_ADDR: '' });
    let log = '';
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    try {
      const deadline = Date.now() + 90_000;
      let status = 0;
      while (Date.now() < deadline && child.exitCode === null) {
        status = await fetch(`http://127.0.0.1:${port}/products`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status, () => 0);
        if (status) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(status, log).toBe(200);
      expect(log).toContain(`listening on 127.0.0.1:${port}`);
    } finally {
      killGroup(child);
    }
  }, 120_000);

  it('Check: the bundled checker grades the starter in wasm, and it fails exactly its stated probes', async () => {
    const child = spawnInLayout(wd, checkSpawn(wd, '', lab));
    const events: CheckEvent[] = [];
    const stream = new CheckStream((e) => events.push(e));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => stream.push(d));
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => killGroup(child), 240_000);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    clearTimeout(timer);
    const result = stream.end(code);
    expect(result, stderr).not.toBeInstanceOf(Error);
    const verdict = result as Verdict;
    expect(verdict.runtime).toBe('browser');
    expect(events[0]!.type).toBe('check-start');
    expect(events.some((e) => e.type === 'phase' && /GOOS=js GOARCH=wasm/.test(e.message))).toBe(true);
    const starterFails = (JSON.parse(readFileSync(join(root, 'labs', lab, 'lab.json'), 'utf8')) as { starterFails: string[] }).starterFails;
    expect(verdict.probes.filter((p) => p.status === 'failed').map((p) => p.id).sort()).toEqual([...starterFails].sort());
    expect(code).toBe(1);
  }, 300_000);
});
