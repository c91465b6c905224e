// The checker bundle (runtime/bundle.ts): one file that plain Node runs with no node_modules and
// no checkout. Copied alone into an empty folder, it grades the slowloris solution natively.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleChecker, embeddedFiles, patchRunner, repoRoot, type BundleResult } from '../bundle.js';
import { extractLabs } from '../checker/extract.js';

const goBin = ['go', '/usr/local/go/bin/go'].find((go) => spawnSync(go, ['version'], { stdio: 'ignore' }).status === 0);
const work = mkdtempSync(join(tmpdir(), 'ghl-bundle-test-'));
let bundle: BundleResult;
let alone: string;

beforeAll(async () => {
  bundle = await bundleChecker({ outFile: join(work, 'build', 'checker.mjs') });
  // a folder with the bundle and nothing else: no node_modules, no labs, no checkers
  alone = join(work, 'alone');
  mkdirSync(alone);
  copyFileSync(bundle.outFile, join(alone, 'checker.mjs'));
  rmSync(join(work, 'build'), { recursive: true, force: true });
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the bundle from its lonely folder, with an environment that knows nothing about this checkout. */
function runAlone(args: string[], timeoutMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    PATH: ['/usr/local/go/bin', process.env.PATH ?? ''].join(':'),
    HOME: process.env.HOME,
    GOCACHE: process.env.GOCACHE,
    GOMODCACHE: process.env.GOMODCACHE,
    GOPATH: process.env.GOPATH,
    GOFLAGS: process.env.GOFLAGS,
    GOPROXY: process.env.GOPROXY,
    TMPDIR: work,
    NO_COLOR: '1',
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(alone, 'checker.mjs'), ...args], { cwd: alone, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

describe('the checker bundle', () => {
  it('is one ES module with every lab that has a checker, lessons left out', () => {
    expect(bundle.labs).toContain('slowloris');
    expect(bundle.labs).toContain('goroutine-leak');
    expect(bundle.bytes).toBeGreaterThan(100_000);
    const files = embeddedFiles(repoRoot, ['slowloris']).map((f) => f.path);
    expect(files).toContain('labs/slowloris/lab.json');
    expect(files).toContain('labs/slowloris/main.go');
    expect(files).toContain('solutions/slowloris/main.go');
    expect(files.some((f) => /README/i.test(f))).toBe(false);
  });

  it('lists the labs from its own copy of them, in an empty folder', async () => {
    const r = await runAlone(['list', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const labs = JSON.parse(r.stdout) as { id: string }[];
    expect(labs.map((l) => l.id)).toEqual(expect.arrayContaining(['slowloris', 'goroutine-leak', 'panic-recovery']));
    // the labs were written next to the bundle, once
    expect(readdirSync(alone).filter((n) => n.startsWith('checker-labs-'))).toHaveLength(1);
  });

  it.skipIf(!goBin)('grades the slowloris solution natively and prints a passing verdict', async () => {
    const r = await runAlone(['check', 'slowloris', '--solution', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const verdict = JSON.parse(r.stdout) as { lab: string; passed: boolean; status: string; probes: { id: string; status: string }[] };
    expect(verdict).toMatchObject({ lab: 'slowloris', passed: true, status: 'passed' });
    expect(verdict.probes.map((p) => p.id)).toEqual(['serves', 'slow-headers-closed', 'keepalive-slow-headers-closed', 'available-under-attack']);
    expect(verdict.probes.every((p) => p.status === 'passed')).toBe(true);
  });

  it('says which lab is unknown, with exit code 2', async () => {
    const r = await runAlone(['check', 'no-such-lab', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/there is no lab "no-such-lab"; known labs: .*slowloris/);
  });
});

describe('bundle steps', () => {
  it('answers loadChecker from the static table, and refuses a runner it does not recognise', async () => {
    const runner = await readFile(join(repoRoot, 'checkers', 'core', 'runner.ts'), 'utf8');
    const patched = patchRunner(runner);
    expect(patched).toMatch(/return __ghlLoadChecker\(labId\);/);
    expect(patched).not.toMatch(/await import\(pathToFileURL\(file\)\.href\)/);
    expect(() => patchRunner('export function somethingElse() {}')).toThrow(/loadChecker/);
  });

  it('extracts the labs once, atomically, and keeps an existing extraction', () => {
    const root = join(work, 'extract');
    extractLabs(root, [
      { path: 'labs/x/lab.json', contents: '{}' },
      { path: 'labs/x/data.bin', contents: Buffer.from([0, 1, 2]).toString('base64'), binary: true },
    ]);
    expect(existsSync(join(root, 'labs', 'x', 'lab.json'))).toBe(true);
    expect([...readFileSync(join(root, 'labs', 'x', 'data.bin'))]).toEqual([0, 1, 2]);
    extractLabs(root, [{ path: 'labs/y/lab.json', contents: '{}' }]);
    expect(existsSync(join(root, 'labs', 'y'))).toBe(false);
    expect(readdirSync(work).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
