// The in-tab Go toolchain (runtime/toolchain): compile.wasm + link.wasm + the package pack, driven
// by the `go` shim go.mjs under plain Node, as a WebContainer's shell runs it. Everything is real:
// the wasm compiler builds the program, A's launcher runs it, real sockets reach it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tryConnect } from '../../checkers/core/net.js';
import { generateOverlay } from '../overlay/generate.js';
import { buildToolchain, defaultDist } from '../toolchain/build.js';
import { evalBuildExpr, goodFileName, jsWasmTags, parseHeader, selectPackageFiles } from '../toolchain/lib/gosrc.mjs';
import { langVersion, parseGoMod, providingModule } from '../toolchain/lib/gomod.mjs';

const repo = resolve(import.meta.dirname, '..', '..');
const goMjs = join(repo, 'runtime', 'toolchain', 'go.mjs');
const launcher = join(repo, 'runtime', 'launcher', 'run-wasm.mjs');
const goBin = ['go', '/usr/local/go/bin/go'].find((go) => spawnSync(go, ['version'], { stdio: 'ignore' }).status === 0);
const prebuilt = existsSync(join(defaultDist, 'toolchain', 'pack.json'));
const skipReason = !goBin && !prebuilt ? 'no Go toolchain and no runtime/dist/toolchain: run npm run runtime:build where Go 1.26 is installed' : '';

const work = mkdtempSync(join(tmpdir(), 'ghl-toolchain-test-'));
const cache = join(work, 'cache');
const children = new Set<ChildProcess>();

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function goShim(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): Promise<Run> {
  return run(process.execPath, [goMjs, ...args], cwd, { ...process.env, GHL_GO_CACHE: cache, ...env }, timeoutMs);
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** The host's go, cross-building for js/wasm (the reference the shim must match). */
function nativeGo(args: string[], cwd: string): Run {
  const r = spawnSync(goBin!, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GOOS: 'js', GOARCH: 'wasm', CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' },
    timeout: 600_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function module(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'go.mod'), `module example.com/${name}\n\ngo 1.26\n`);
  for (const [f, src] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), src);
  }
  return dir;
}

async function get(url: string, deadlineMs: number): Promise<{ status: number; body: string }> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

beforeAll(async () => {
  if (skipReason || !goBin) return;
  // runtime:build's two steps, idempotent: nothing happens when the overlay and the labs are unchanged.
  const overlay = generateOverlay();
  await buildToolchain({ overlay: overlay.overlayJson, log: () => {} });
}, 1_800_000);

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('Go source headers (go/build semantics for js/wasm)', () => {
  const has = jsWasmTags('go1.26.8');

  it('evaluates //go:build expressions for js/wasm', () => {
    expect(evalBuildExpr('js && wasm', has)).toBe(true);
    expect(evalBuildExpr('linux || darwin', has)).toBe(false);
    expect(evalBuildExpr('!unix', has)).toBe(true);
    expect(evalBuildExpr('(js || linux) && !cgo', has)).toBe(true);
    expect(evalBuildExpr('go1.26 && !go1.27', has)).toBe(true);
    expect(evalBuildExpr('ignore', has)).toBe(false);
    expect(() => evalBuildExpr('js &&', has)).toThrow(/go:build/);
  });

  it('reads file-name constraints as go/build does', () => {
    expect(goodFileName('main.go')).toBe(true);
    expect(goodFileName('conn_js.go')).toBe(true);
    expect(goodFileName('conn_linux.go')).toBe(false);
    expect(goodFileName('x_js_wasm.go')).toBe(true);
    expect(goodFileName('x_linux_amd64.go')).toBe(false);
    expect(goodFileName('x_amd64.go')).toBe(false);
    expect(goodFileName('main_test.go')).toBe(false);
    expect(goodFileName('_scratch.go')).toBe(false);
    expect(goodFileName('js.go')).toBe(true);
  });

  it('finds imports with the positions go reports', () => {
    const h = parseHeader('// doc\n//go:build !linux\n\npackage main\n\nimport "fmt"\nimport (\n\tstdlog "log"\n\t_ `net/http`\n)\n\nfunc main() {}\n');
    expect(h.packageName).toBe('main');
    expect(h.goBuild).toBe('!linux');
    expect(h.imports).toEqual([
      { path: 'fmt', line: 6, col: 8 },
      { path: 'log', line: 8, col: 9 },
      { path: 'net/http', line: 9, col: 4 },
    ]);
  });

  it('selects the package files for js/wasm and reports mixed packages', () => {
    const sel = selectPackageFiles(
      [
        { name: 'main.go', source: 'package main\n' },
        { name: 'only_linux.go', source: '//go:build linux\n\npackage main\n' },
        { name: 'cgo.go', source: 'package main\n\nimport "C"\n' },
        { name: 'main_test.go', source: 'package main\n' },
      ],
      'go1.26.8',
    );
    expect(sel.files.map((f) => f.name)).toEqual(['main.go']);
    expect(sel.ignored.sort()).toEqual(['cgo.go', 'only_linux.go']);
    const mixed = selectPackageFiles([{ name: 'a.go', source: 'package main\n' }, { name: 'b.go', source: 'package util\n' }], 'go1.26.8');
    expect(mixed.errors).toEqual(['found packages main (a.go) and util (b.go)']);
  });

  it('reads go.mod: module, -lang and the module that provides an import', () => {
    const mod = parseGoMod('module example.com/orders\n\ngo 1.26.0\n\nrequire github.com/prometheus/client_golang v1.25.0\n\nrequire (\n\tgithub.com/beorn7/perks v1.0.1 // indirect\n)\n');
    expect(mod.module).toBe('example.com/orders');
    expect(langVersion(mod.go)).toBe('go1.26');
    expect(providingModule('github.com/prometheus/client_golang/prometheus/promhttp', mod.requires)?.version).toBe('v1.25.0');
    expect(mod.requires[1]).toEqual({ path: 'github.com/beorn7/perks', version: 'v1.0.1', indirect: true });
  });
});

describe.skipIf(Boolean(skipReason))(`go.mjs, the go command of the browser runtime${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('says what it is: go version, go env', async () => {
    const dir = module('envcheck', { 'main.go': 'package main\n\nfunc main() {}\n' });
    const v = await goShim(['version'], dir);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^go version go1\.26(\.\d+)? js\/wasm\n$/);
    const e = await goShim(['env', 'GOOS', 'GOARCH', 'GOVERSION', 'GOMOD'], dir);
    expect(e.stdout.split('\n')).toEqual(['js', 'wasm', v.stdout.split(' ')[2], join(dir, 'go.mod'), '']);
  });

  it('builds a net/http program that serves real requests through the launcher, and forwards SIGTERM', async () => {
    const dir = module('hello', {
      'main.go': `package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s/%s at %s", runtime.GOOS, runtime.GOARCH, r.URL.Path)
	})
	log.Printf("listening on %s", os.Getenv("ADDR"))
	log.Fatal(http.ListenAndServe(os.Getenv("ADDR"), nil))
}
`,
    });
    const port = await freePort();
    const child = spawn(process.execPath, [goMjs, 'run', '.'], {
      cwd: dir,
      env: { ...process.env, GHL_GO_CACHE: cache, ADDR: `127.0.0.1:${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const res = await get(`http://127.0.0.1:${port}/wasm`, 120_000);
      expect(res).toEqual({ status: 200, body: 'hello from js/wasm at /wasm' });
      expect(stderr).toContain(`listening on 127.0.0.1:${port}`);
    } finally {
      child.kill('SIGTERM');
    }
    // go run's report of a program killed by a signal, and nothing left listening.
    expect(await exited).toBe(1);
    children.delete(child);
    expect(stderr).toContain('signal: terminated');
    expect(await tryConnect('127.0.0.1', port, 1000)).toBe(false);
  }, 240_000);

  it("prints compiler errors exactly as go does, with go's exit code", async () => {
    const dir = module('broken', {
      'main.go': 'package main\n\nimport "example.com/broken/util"\n\nfunc main() {\n\tutil.F()\n\tx := \n}\n',
      'util/u.go': 'package util\n\nfunc F() { y := 1 }\n',
    });
    // the local package first: its type error, named relative to the current directory
    const sub = await goShim(['build', '.'], dir);
    expect(sub.code).toBe(1);
    expect(sub.stderr).toBe('# example.com/broken/util\nutil/u.go:3:12: declared and not used: y\n');
    writeFileSync(join(dir, 'util/u.go'), 'package util\n\nfunc F() {}\n');
    const syntax = await goShim(['build', '.'], dir);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toBe('# example.com/broken\n./main.go:8:1: syntax error: unexpected }, expected expression\n');
    const viaRun = await goShim(['run', '.'], dir);
    expect(viaRun.code).toBe(1);
    expect(viaRun.stderr).toBe(syntax.stderr);
    if (goBin) expect(nativeGo(['build', '-o', join(work, 'broken.out'), '.'], dir).stderr).toBe(syntax.stderr);
  }, 240_000);

  it('names an import outside the pack and the runtimes that have it', async () => {
    const dir = module('outside', {
      'main.go': 'package main\n\nimport (\n\t"database/sql"\n\t"fmt"\n\n\t"github.com/jackc/pgx/v5"\n)\n\nfunc main() { fmt.Println(sql.Drivers(), pgx.TextFormatCode) }\n',
    });
    const r = await goShim(['build', '.'], dir);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^main\.go:4:2: package database\/sql is not in the browser runtime, .*Docker or native runtime/);
    expect(lines[1]).toMatch(/^main\.go:7:2: package github\.com\/jackc\/pgx\/v5 is not in the browser runtime, .*github\.com\/go-chi\/chi\/v5.*Docker or native runtime/);
    const typo = module('typo', { 'main.go': 'package main\n\nimport "net/htp"\n\nfunc main() {}\n' });
    expect((await goShim(['build', '.'], typo)).stderr).toBe('main.go:3:8: package net/htp is not in std\n');
  }, 60_000);

  it('answers a warm build from its cache, and rebuilds when a file changes', async () => {
    const dir = module('warm', { 'main.go': 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("one") }\n' });
    const first = await goShim(['build', '-x', '-o', 'app', '.'], dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^compile /m);
    expect(first.stderr).toMatch(/^link /m);
    const warm = await goShim(['build', '-x', '-o', 'app2', '.'], dir);
    expect(warm.code).toBe(0);
    expect(warm.stderr).toBe(''); // no compile, no link
    expect(readFileSync(join(dir, 'app2')).equals(readFileSync(join(dir, 'app')))).toBe(true);
    writeFileSync(join(dir, 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("two") }\n');
    const changed = await goShim(['run', '-x', '.'], dir);
    expect(changed.stderr).toMatch(/^compile /m);
    expect(changed.stdout).toBe('two\n');
    const again = await goShim(['run', '-x', '.'], dir);
    expect(again.stdout).toBe('two\n');
    expect(again.stderr).toBe('');
  }, 240_000);

  it('exits like go run: exit status N and 1', async () => {
    const dir = module('exit3', { 'main.go': 'package main\n\nimport "os"\n\nfunc main() { os.Exit(3) }\n' });
    const r = await goShim(['run', '.'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('exit status 3\n');
  }, 120_000);

  it('formats like gofmt: go fmt rewrites and names files, a parse error is reported as gofmt does', async () => {
    const dir = module('fmtme', { 'a.go': 'package main\nfunc main(){\n}\n', 'b.go': 'package main\n\nfunc f() {}\n' });
    const r = await goShim(['fmt'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('a.go\n');
    expect(readFileSync(join(dir, 'a.go'), 'utf8')).toBe('package main\n\nfunc main() {\n}\n');
    writeFileSync(join(dir, 'a.go'), "package main\nfunc main(){\nx:=\n}\n");
    const bad = await goShim(['fmt'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("a.go:4:1: expected operand, found '}'\nexit status 2\n");
    const vet = await goShim(['vet'], dir);
    expect(vet.code).toBe(2);
    expect(vet.stderr).toMatch(/go vet is not available in the browser runtime.*Docker or native runtime/);
  }, 60_000);

  // slowloris: std only; observability: client_golang and its seven modules (build info with their sums, go 1.26.0)
  it.skipIf(!goBin).each(['slowloris', 'observability'])('builds the %s solution byte for byte as the native cross build (-trimpath)', async (lab) => {
    const dir = join(work, `${lab}-solution`);
    cpSync(join(repo, 'labs', lab), dir, { recursive: true, filter: (p) => !p.endsWith('.md') });
    cpSync(join(repo, 'solutions', lab), dir, { recursive: true });
    const oursFile = join(work, `${lab}-wasm-toolchain.wasm`);
    const nativeFile = join(work, `${lab}-native.wasm`);
    const ours = await goShim(['build', '-trimpath', '-o', oursFile, '.'], dir);
    expect(ours.code, ours.stderr).toBe(0);
    const native = nativeGo(['build', '-trimpath', '-overlay', join(defaultDist, 'overlay.json'), '-ldflags=-buildid=', '-o', nativeFile, '.'], dir);
    expect(native.code, native.stderr).toBe(0);
    const a = readFileSync(oursFile);
    const b = readFileSync(nativeFile);
    expect(a.length).toBe(b.length);
    expect(a.equals(b)).toBe(true);
    if (lab !== 'slowloris') return;
    // and what it does: the same answer from both, through the launcher
    for (const wasm of [oursFile, nativeFile]) {
      const port = await freePort();
      const adminPort = await freePort();
      const child = spawn(process.execPath, [launcher, wasm], {
        cwd: dir,
        env: { ...process.env, ADDR: `127.0.0.1:${port}`, ADMIN_ADDR: `127.0.0.1:${adminPort}` },
        stdio: 'ignore',
      });
      children.add(child);
      try {
        const res = await get(`http://127.0.0.1:${port}/products`, 30_000);
        expect(res.status).toBe(200);
        expect(res.body.length).toBeGreaterThan(0);
      } finally {
        child.kill('SIGKILL');
        children.delete(child);
      }
    }
  }, 600_000);
});
