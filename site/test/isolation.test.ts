// Cross-origin isolation (COOP + COEP), which the in-browser runtime needs, everywhere the site is
// served: astro dev and preview (astro.config.mjs), the agent (docker/agent/test), Netlify and
// Cloudflare Pages (site/public/_headers, copied into the build: site/test/build.test.ts), Vercel
// (vercel.json). And the Docker commands the pages show, which must be the README's.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerCommands } from '../lib/docker-commands.js';

const root = resolve(import.meta.dirname, '..', '..');
const required = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

/** Netlify / Cloudflare Pages _headers: "path" lines, then indented "Name: value" lines. */
function parseHeadersFile(text: string): Map<string, Record<string, string>> {
  const rules = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      current = {};
      rules.set(line.trim(), current);
      continue;
    }
    const m = /^\s+([^:]+):\s*(.*)$/.exec(line);
    if (!m || !current) throw new Error(`_headers: cannot read "${line}"`);
    current[m[1]!.trim().toLowerCase()] = m[2]!.trim();
  }
  return rules;
}

describe('cross-origin isolation', () => {
  it('astro dev and astro preview send COOP and COEP', async () => {
    const config = (await import('../../astro.config.mjs')).default as {
      server?: { headers?: Record<string, string> };
      vite?: { server?: { headers?: Record<string, string> }; preview?: { headers?: Record<string, string> } };
    };
    for (const headers of [config.server?.headers, config.vite?.server?.headers, config.vite?.preview?.headers]) {
      expect(lower(headers ?? {})).toMatchObject(required);
    }
  });

  it('site/public/_headers isolates every path (Netlify, Cloudflare Pages)', () => {
    const rules = parseHeadersFile(readFileSync(join(root, 'site', 'public', '_headers'), 'utf8'));
    expect(rules.get('/*')).toMatchObject(required);
  });

  it('vercel.json isolates every path', () => {
    const vercel = JSON.parse(readFileSync(join(root, 'vercel.json'), 'utf8')) as { outputDirectory: string; headers: { source: string; headers: { key: string; value: string }[] }[] };
    expect(vercel.outputDirectory).toBe('dist');
    const all = vercel.headers.find((h) => h.source === '/(.*)');
    expect(lower(Object.fromEntries(all!.headers.map((h) => [h.key, h.value])))).toMatchObject(required);
  });
});

describe('the Docker commands on the pages', () => {
  it("are the README's", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const lines = readme.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim());
    for (const kernel of [false, true]) for (const cmd of dockerCommands(kernel)) expect(lines, cmd).toContain(cmd);
    expect(dockerCommands(true)[1]).toContain('--cap-add NET_ADMIN --cap-add SYS_ADMIN');
    expect(dockerCommands(false)[1]).not.toContain('--cap-add');
  });
});
