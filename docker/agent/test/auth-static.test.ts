// The token guards /api and the WebSocket; pages and assets are public; every response is
// cross-origin isolated (COOP/COEP).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, startAgent, tempDir, upgradeStatus, type TestAgent } from './helpers.js';

let agent: TestAgent;
let dist: string;
const bigJs = `export const lessons = ${JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ id: i, text: 'slowloris '.repeat(5) })))};\n`;

beforeAll(async () => {
  dist = tempDir('ghl-agent-dist-');
  mkdirSync(join(dist, '_astro'));
  mkdirSync(join(dist, 'labs', 'slowloris'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Go HA Labs</title><h1>Lessons</h1>');
  writeFileSync(join(dist, 'labs', 'slowloris', 'index.html'), '<!doctype html><title>slowloris</title>');
  writeFileSync(join(dist, '_astro', 'app.abc123.js'), bigJs);
  writeFileSync(join(dist, 'go.wasm'), Buffer.alloc(4096, 1));
  // a precompressed sibling wins over on-the-fly compression
  writeFileSync(join(dist, 'pre.css'), 'body{color:red}'.repeat(200));
  writeFileSync(join(dist, 'pre.css.br'), brotliCompressSync(Buffer.from('/* from the .br file */')));
  agent = await startAgent({ dist });
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  rmSync(dist, { recursive: true, force: true });
});

describe('token', () => {
  it('refuses /api without a token, with a wrong one, and accepts the printed one (header or ?token=)', async () => {
    const none = await fetch(`${agent.url}/api/health`);
    expect(none.status).toBe(401);
    expect(await none.json()).toHaveProperty('error');
    const wrong = await fetch(`${agent.url}/api/health`, { headers: { Authorization: `Bearer ${'x'.repeat(43)}` } });
    expect(wrong.status).toBe(401);
    const wrongQuery = await fetch(`${agent.url}/api/labs?token=nope`);
    expect(wrongQuery.status).toBe(401);
    const prefix = await fetch(`${agent.url}/api/health`, { headers: { Authorization: `Bearer ${agent.token.slice(0, -1)}` } });
    expect(prefix.status).toBe(401);

    const ok = await fetch(`${agent.url}/api/health`, { headers: agent.auth() });
    expect(ok.status).toBe(200);
    const health = await ok.json();
    expect(health).toMatchObject({ ok: true, runtime: 'native' });
    expect(health.go).toMatch(/^go1\./);
    expect(typeof health.kernel).toBe('boolean');
    const viaQuery = await fetch(`${agent.url}/api/labs?token=${agent.token}`);
    expect(viaQuery.status).toBe(200);
    const labs = await viaQuery.json();
    expect(labs.map((l: { id: string }) => l.id)).toContain('slowloris');
  }, 15_000);

  it('refuses the WebSocket upgrade without the token or with a wrong one', async () => {
    const ws = agent.url.replace('http', 'ws');
    expect(await upgradeStatus(`${ws}/api/ws`)).toBe(401);
    expect(await upgradeStatus(`${ws}/api/ws?token=wrong-token-wrong-token`)).toBe(401);
    expect(await upgradeStatus(`${ws}/api/ws?token=${agent.token}`)).toBe(101);
    expect(await upgradeStatus(`${ws}/elsewhere?token=${agent.token}`)).toBe(404);
  }, 15_000);
});

describe('static site', () => {
  it('serves pages and assets without a token, with COOP/COEP and content types', async () => {
    const home = await fetch(`${agent.url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(home.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(home.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await home.text()).toContain('<h1>Lessons</h1>');

    const lesson = await fetch(`${agent.url}/labs/slowloris`);
    expect(lesson.status).toBe(200);
    expect(await lesson.text()).toContain('<title>slowloris</title>');

    const wasm = await fetch(`${agent.url}/go.wasm`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');

    const missing = await fetch(`${agent.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cross-origin-embedder-policy')).toBe('require-corp');

    // API errors carry the headers too
    const api = await fetch(`${agent.url}/api/labs`);
    expect(api.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  });

  it('compresses on the fly (br, gzip), prefers a precompressed sibling, answers 304 to a matching ETag', async () => {
    const { request } = await import('node:http');
    const get = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolvePromise, reject) => {
        const u = new URL(agent.url);
        request({ host: u.hostname, port: Number(u.port), path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolvePromise({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        })
          .on('error', reject)
          .end();
      });
    const br = await get('/_astro/app.abc123.js', { 'Accept-Encoding': 'gzip, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(br.headers['cache-control']).toContain('immutable');
    expect(brotliDecompressSync(br.body).toString()).toBe(bigJs);
    expect(br.body.length).toBeLessThan(bigJs.length / 4);

    const gz = await get('/_astro/app.abc123.js', { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(bigJs);

    const plain = await get('/_astro/app.abc123.js', {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(bigJs);

    const pre = await get('/pre.css', { 'Accept-Encoding': 'br' });
    expect(pre.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(pre.body).toString()).toBe('/* from the .br file */');

    const again = await get('/_astro/app.abc123.js', { 'Accept-Encoding': 'br', 'If-None-Match': String(br.headers.etag) });
    expect(again.status).toBe(304);
  });

  it('refuses traversal out of dist/', async () => {
    const r = await raw(agent, 'GET', '/../../../etc/passwd', { token: null });
    expect([400, 404]).toContain(r.status);
    expect(r.body).not.toContain('root:');
    const enc = await raw(agent, 'GET', '/%2e%2e/%2e%2e/etc/passwd', { token: null });
    expect([400, 404]).toContain(enc.status);
    expect(enc.body).not.toContain('root:');
  });

  it('without a built site, serves a page that says so and keeps the API', async () => {
    const bare = await startAgent();
    try {
      const home = await fetch(`${bare.url}/`);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('not built');
      expect(home.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      const health = await fetch(`${bare.url}/api/health`, { headers: bare.auth() });
      expect(health.status).toBe(200);
    } finally {
      await bare.stop();
    }
  }, 30_000);
});
