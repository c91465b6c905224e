// The file API: workspaces made from the starter, path safety, size and text limits, reset with
// a backup, and gofmt.
import { existsSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../../checkers/core/manifest.js';
import { maxFileBytes } from '../protocol.js';
import { raw, startAgent, tempDir, type TestAgent } from './helpers.js';

let agent: TestAgent;
let outside: string;
const api = (p: string) => `/api/labs/slowloris/${p}`;
const ws = () => join(agent.workspaces, 'default', 'slowloris');

beforeAll(async () => {
  agent = await startAgent();
  outside = tempDir('ghl-agent-outside-');
  writeFileSync(join(outside, 'secret.txt'), 'top secret\n');
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  rmSync(outside, { recursive: true, force: true });
});

describe('workspace files', () => {
  it('lists, reads, writes and resets, keeping a backup', async () => {
    const list = await raw(agent, 'GET', api('files'));
    expect(list.status).toBe(200);
    const files = JSON.parse(list.body) as { path: string; size: number; mtimeMs: number }[];
    const manifestFiles = loadLab('slowloris').files;
    expect(files.map((f) => f.path).slice(0, manifestFiles.length)).toEqual(manifestFiles); // the files to edit first
    expect(files.map((f) => f.path)).toContain('go.mod');
    expect(files.map((f) => f.path)).not.toContain('lab.json');
    expect(existsSync(join(ws(), 'main.go'))).toBe(true);

    const read = await raw(agent, 'GET', api('files/main.go'));
    expect(read.status).toBe(200);
    expect(read.headers['content-type']).toContain('text/plain');
    const starter = readFileSync(join(ws(), 'main.go'), 'utf8');
    expect(read.body).toBe(starter);

    const edited = starter.replace('No timeouts at all', 'Edited by the test');
    const put = await raw(agent, 'PUT', api('files/main.go'), { body: edited });
    expect(put.status).toBe(200);
    expect(JSON.parse(put.body)).toMatchObject({ path: 'main.go', size: Buffer.byteLength(edited) });
    expect((await raw(agent, 'GET', api('files/main.go'))).body).toBe(edited);

    // new file in a new directory
    const created = await raw(agent, 'PUT', api('files/notes/todo.txt'), { body: 'fix ReadHeaderTimeout\n' });
    expect(created.status).toBe(200);
    expect(readFileSync(join(ws(), 'notes', 'todo.txt'), 'utf8')).toBe('fix ReadHeaderTimeout\n');

    const reset = await raw(agent, 'POST', api('reset'));
    expect(reset.status).toBe(200);
    const { backup } = JSON.parse(reset.body) as { backup: string };
    expect(backup).toMatch(/^slowloris\.backup-\d{8}T\d+Z/);
    const backupDir = join(agent.workspaces, 'default', backup);
    expect(readFileSync(join(backupDir, 'main.go'), 'utf8')).toBe(edited);
    expect(existsSync(join(backupDir, 'notes', 'todo.txt'))).toBe(true);
    expect((await raw(agent, 'GET', api('files/main.go'))).body).toBe(starter);
    expect(existsSync(join(ws(), 'notes'))).toBe(false);
    expect(readdirSync(join(agent.workspaces, 'default')).sort()).toEqual([backup, 'slowloris'].sort());
  });

  it('serves the solution read-only: starter files with the overlay on top', async () => {
    const list = JSON.parse((await raw(agent, 'GET', api('solution'))).body) as { path: string }[];
    expect(list.map((f) => f.path)).toEqual(expect.arrayContaining(['main.go', 'admin.go', 'go.mod']));
    const main = await raw(agent, 'GET', api('solution/main.go'));
    expect(main.body).toContain('ReadHeaderTimeout');
    expect((await raw(agent, 'GET', api('solution/admin.go'))).status).toBe(200);
    expect((await raw(agent, 'PUT', api('solution/main.go'), { body: 'x' })).status).toBe(405);
    expect((await raw(agent, 'GET', api('solution/../../../etc/passwd'))).status).toBe(400);
  });

  it('answers 404 for an unknown lab or file', async () => {
    expect((await raw(agent, 'GET', '/api/labs/no-such-lab/files')).status).toBe(404);
    expect((await raw(agent, 'GET', '/api/labs/..%2F..%2Fetc/files')).status).toBe(404);
    expect((await raw(agent, 'GET', api('files/nope.go'))).status).toBe(404);
  });
});

describe('path safety', () => {
  it.each([
    ['../', 'files/../../../etc/passwd'],
    ['../ after a name', 'files/main.go/../../x'],
    ['%2e%2e/', 'files/%2e%2e/%2e%2e/etc/passwd'],
    ['%2E%2E%2F', 'files/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd'],
    ['absolute', 'files//etc/passwd'],
    ['absolute, encoded', 'files/%2Fetc%2Fpasswd'],
    ['NUL byte', 'files/main.go%00.txt'],
    ['backslash', 'files/..%5C..%5Cetc%5Cpasswd'],
  ])('refuses %s for read and write', async (_name, path) => {
    const r = await raw(agent, 'GET', api(path));
    expect(r.status).toBe(400);
    expect(r.body).not.toContain('root:');
    const w = await raw(agent, 'PUT', api(path), { body: 'pwned' });
    expect(w.status).toBe(400);
  });

  it('refuses a symlink in the workspace that points outside, for read and write', async () => {
    await raw(agent, 'GET', api('files')); // make sure the workspace exists
    symlinkSync(join(outside, 'secret.txt'), join(ws(), 'leak.txt'));
    symlinkSync(outside, join(ws(), 'outdir'));
    try {
      const r = await raw(agent, 'GET', api('files/leak.txt'));
      expect(r.status).toBe(400);
      expect(r.body).not.toContain('top secret');
      expect((await raw(agent, 'PUT', api('files/leak.txt'), { body: 'overwritten' })).status).toBe(400);

      expect((await raw(agent, 'GET', api('files/outdir/secret.txt'))).status).toBe(400);
      expect((await raw(agent, 'PUT', api('files/outdir/secret.txt'), { body: 'overwritten' })).status).toBe(400);
      expect((await raw(agent, 'PUT', api('files/outdir/new.txt'), { body: 'planted' })).status).toBe(400);

      expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('top secret\n');
      expect(existsSync(join(outside, 'new.txt'))).toBe(false);
      // the listing does not follow them either
      const list = JSON.parse((await raw(agent, 'GET', api('files'))).body) as { path: string }[];
      expect(list.map((f) => f.path).filter((p) => p.includes('secret') || p.includes('leak'))).toEqual([]);
    } finally {
      rmSync(join(ws(), 'leak.txt'));
      rmSync(join(ws(), 'outdir'));
    }
  });

  it('allows a symlink that stays inside the workspace', async () => {
    mkdirSync(join(ws(), 'sub'), { recursive: true });
    symlinkSync(join(ws(), 'main.go'), join(ws(), 'sub', 'link.go'));
    try {
      const r = await raw(agent, 'GET', api('files/sub/link.go'));
      expect(r.status).toBe(200);
      expect(r.body).toContain('package main');
    } finally {
      rmSync(join(ws(), 'sub'), { recursive: true });
    }
  });

  it('refuses an oversized write with 413 and leaves the file unchanged', async () => {
    const before = readFileSync(join(ws(), 'main.go'), 'utf8');
    const big = 'x'.repeat(maxFileBytes + 1);
    const r = await raw(agent, 'PUT', api('files/main.go'), { body: big });
    expect(r.status).toBe(413);
    expect(readFileSync(join(ws(), 'main.go'), 'utf8')).toBe(before);
    // exactly at the limit is fine
    const atLimit = await raw(agent, 'PUT', api('files/limit.txt'), { body: 'y'.repeat(maxFileBytes) });
    expect(atLimit.status).toBe(200);
    rmSync(join(ws(), 'limit.txt'));
    // an oversized file on disk is not read either
    writeFileSync(join(ws(), 'huge.txt'), big);
    expect((await raw(agent, 'GET', api('files/huge.txt'))).status).toBe(413);
    rmSync(join(ws(), 'huge.txt'));
  });

  it('only handles text: binary content is refused (415) and binaries are not listed', async () => {
    const bin = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]);
    const w = await raw(agent, 'PUT', api('files/server.bin'), { body: bin });
    expect(w.status).toBe(415);
    expect(existsSync(join(ws(), 'server.bin'))).toBe(false);
    writeFileSync(join(ws(), 'slowloris'), bin); // what `go build` in the terminal leaves
    expect((await raw(agent, 'GET', api('files/slowloris'))).status).toBe(415);
    const list = JSON.parse((await raw(agent, 'GET', api('files'))).body) as { path: string }[];
    expect(list.map((f) => f.path)).not.toContain('slowloris');
    rmSync(join(ws(), 'slowloris'));
  });
});

describe('format', () => {
  it('formats Go source with gofmt', async () => {
    const r = await raw(agent, 'POST', '/api/format', { body: 'package main\nimport "fmt"\nfunc main(){fmt.Println( "hi" )}\n' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n');
  });

  it('reports a syntax error with 422 and the position', async () => {
    const r = await raw(agent, 'POST', '/api/format', { body: 'package main\nfunc main() {\n' });
    expect(r.status).toBe(422);
    const { error } = JSON.parse(r.body) as { error: string };
    expect(error).toMatch(/^\d+:\d+: /);
    expect(error).not.toContain('<standard input>');
  });

  it('needs the token', async () => {
    expect((await raw(agent, 'POST', '/api/format', { body: 'package main\n', token: null })).status).toBe(401);
  });
});
