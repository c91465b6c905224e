// Builds the site from the fixture labs (site/test/fixtures/labs) into a temp folder and reads the
// HTML: course order, lessons in both languages, a lab with no lesson, a lab with no translation,
// pages readable without JavaScript, and the lesson page's JavaScript budget. Takes about a minute
// (the workspace bundle, Monaco included, is built too).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measurePage } from '../bench/page-weight.js';

const root = resolve(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'ghl-site-build-'));
const out = join(work, 'dist');
let buildLog = '';

const page = (path: string) => readFileSync(join(out, path, 'index.html'), 'utf8');
/** The page without <template> and <noscript>: what a reader sees with JavaScript off... or on, before opening the workspace. */
const visible = (html: string) => html.replace(/<template[\s\S]*?<\/template>/g, '').replace(/<noscript[\s\S]*?<\/noscript>/g, '');
const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;

beforeAll(() => {
  const r = spawnSync(join(root, 'node_modules', '.bin', 'astro'), ['build'], {
    cwd: root,
    env: { ...process.env, LABS_DIR: join(root, 'site', 'test', 'fixtures', 'labs'), SITE_OUT_DIR: out, SITE_CACHE_DIR: join(work, 'cache') },
    encoding: 'utf8',
    timeout: 280_000,
  });
  buildLog = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) throw new Error(`astro build failed (${r.status ?? r.signal}):\n${buildLog.slice(-4000)}`);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('course home', () => {
  it('lists the chapters and their labs in order, in both languages', () => {
    const en = page('');
    const order = ['fx-gamma', 'fx-alpha', 'fx-beta'].map((id) => en.indexOf(`data-lab="${id}"`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(en).toContain('Chapter 5');
    expect(en).toContain('href="/reading/about/"');
    const zh = page('zh-cn');
    expect(zh).toContain('<html lang="zh-CN"');
    expect(zh).toContain('甲:有两种语言课文的实验');
    expect(zh).toContain('href="/zh-cn/labs/fx-alpha/"');
  });

  it('shows runtime badges, and leaves the browser-kept status to the script', () => {
    const en = page('');
    const beta = en.slice(en.indexOf('data-lab="fx-beta"'));
    const card = beta.slice(0, beta.indexOf('</li>', beta.indexOf('data-lab-status')) + 5);
    expect(card).toContain('badge-docker');
    expect(card).toContain('badge-kernel');
    expect(card).not.toContain('badge-browser');
    expect(card).toMatch(/data-lab-status="fx-beta"[^>]*hidden/);
  });
});

describe('lesson pages', () => {
  it('render the README without its own title, readable without JavaScript', () => {
    const html = page('labs/fx-alpha');
    expect(count(html, /<h1\b/g)).toBe(1);
    expect(html).toMatch(/<h1>Alpha: a lab with both lessons<\/h1>/);
    expect(html).not.toContain('Alpha: the README title');
    expect(visible(html)).toContain('The symptom paragraph of alpha, readable without JavaScript.');
    expect(html).toContain('class="astro-code');
    expect(html).toContain('href="#why-it-happens"');
    expect(html).not.toContain('still being written');
  });

  it('the language switch keeps the lab; the Chinese page shows the Chinese lesson', () => {
    expect(page('labs/fx-alpha')).toMatch(/<a href="\/zh-cn\/labs\/fx-alpha\/"[^>]*data-lang-link="zh-cn"/);
    const zh = page('zh-cn/labs/fx-alpha');
    expect(zh).toMatch(/<a href="\/labs\/fx-alpha\/"[^>]*data-lang-link="en"/);
    expect(visible(zh)).toContain('甲的症状段落,无需 JavaScript 即可阅读。');
    expect(zh).toContain('<div class="prose" lang="zh-CN">');
  });

  it('a lab without a translation shows the original, marked as such', () => {
    const zh = visible(page('zh-cn/labs/fx-beta'));
    expect(zh).toContain('本课尚无中文译文');
    expect(zh).toContain('<div class="prose" lang="en">');
    expect(zh).toContain('English-only lesson text.');
    expect(zh).toContain('乙需要 nftables'); // browserNote
    expect(zh).toContain('NET_ADMIN'); // kernel note
    // how to get the Docker runtime, with the capabilities a kernel lab needs
    expect(zh).toContain('本实验无法在浏览器中运行');
    expect(zh).toMatch(/<pre class="docker-commands"[^>]*><code>docker build --network host -f docker\/Dockerfile -t go-ha-labs \.\ndocker run --rm --cap-add NET_ADMIN --cap-add SYS_ADMIN -p 4321:4321 go-ha-labs<\/code><\/pre>/);
    expect(visible(page('labs/fx-beta'))).toContain('This lab does not run in the browser');
    expect(visible(page('labs/fx-alpha'))).not.toContain('docker-commands');
  });

  it('a lab without a lesson says so and shows its summary and hints', () => {
    const html = visible(page('labs/fx-gamma'));
    expect(html).toContain('still being written');
    expect(html).toContain('The fixture lab whose lesson is not written.');
    expect(html).toMatch(/<summary>Hint 1<\/summary>\s*<p>Gamma hint one.<\/p>/);
  });

  it('the workspace is an inert template, opened by a button that only scripts reveal', () => {
    const html = page('labs/fx-alpha');
    expect(html).toMatch(/<template data-workspace-template>[\s\S]*data-ref="check"[\s\S]*<\/template>/);
    expect(html).toMatch(/<div class="open-workspace"[^>]*hidden/);
    expect(html).toMatch(/<noscript>[\s\S]*needs JavaScript/);
    expect(html).toMatch(/aria-label="Close workspace"/);
    const data = JSON.parse(/<script type="application\/json" data-lab-json>([\s\S]*?)<\/script>/.exec(html)![1]!);
    expect(data).toEqual({ id: 'fx-alpha', locale: 'en', title: 'Alpha: a lab with both lessons', files: ['main.go'], runtimes: ['browser', 'docker'], kernel: false });
  });

  it('ships under 100 KB of JavaScript (gzip) before the workspace opens, and no editor', () => {
    const w = measurePage(out, 'labs/fx-alpha/');
    expect(w.initialGzip).toBeLessThan(100 * 1024);
    expect(w.initial.map((a) => a.name).join(' ')).not.toMatch(/editor|monaco|terminal|xterm|uplot|charts|webcontainer/i);
    expect(w.deferred.map((a) => a.name).join(' ')).toMatch(/editor/);
    // the in-browser runtime (the WebContainer glue and its API) comes with the workspace
    expect(w.deferred.map((a) => a.name).join(' ')).toMatch(/webcontainer/i);
    for (const a of w.initial) if (!a.name.startsWith('inline')) expect(readFileSync(join(out, a.name), 'utf8')).not.toMatch(/WebContainer|webcontainer-api\.io/);
    // and no stylesheet of the editor, terminal or charts blocks the page
    const css = [...page('labs/fx-alpha').matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
    for (const href of css) expect(readFileSync(join(out, href), 'utf8')).not.toMatch(/\.monaco-editor|\.xterm|\.uplot/);
  });
});

describe('the static build for a host', () => {
  it('carries the isolation headers (Netlify, Cloudflare Pages) and the in-browser runtime under /runtime/', () => {
    const headers = readFileSync(join(out, '_headers'), 'utf8');
    const rule = /^\/\*\n((?:[ \t]+.*\n?)*)/m.exec(headers)?.[1] ?? '';
    expect(rule).toMatch(/^\s+Cross-Origin-Opener-Policy: same-origin$/m);
    expect(rule).toMatch(/^\s+Cross-Origin-Embedder-Policy: require-corp$/m);
    const manifest = JSON.parse(readFileSync(join(out, 'runtime', 'manifest.json'), 'utf8')) as { version: number; built: boolean; files: { path: string; size: number; stored: number; gzip?: true; parts?: number }[] };
    expect(manifest.version).toBe(1);
    for (const f of manifest.files) {
      // compressed by the build where that pays (<path>.gz), in parts where over 20 MiB: static hosts cap file sizes
      const at = join(out, 'runtime', ...f.path.split('/')) + (f.gzip ? '.gz' : '');
      const pieces = f.parts ? Array.from({ length: f.parts }, (_, i) => `${at}.part${i}`) : [at];
      for (const p of pieces) expect(existsSync(p), p).toBe(true);
      expect(pieces.every((p) => statSync(p).size <= 20 * 1024 * 1024)).toBe(true);
      expect(pieces.reduce((n, p) => n + statSync(p).size, 0)).toBe(f.stored);
    }
    // the browser labs' starters; a Docker-only lab has none
    const alpha = JSON.parse(readFileSync(join(out, 'runtime', 'labs', 'fx-alpha.json'), 'utf8')) as { starter: { path: string }[] };
    expect(alpha.starter.map((f) => f.path)).toEqual(['main.go']);
    expect(existsSync(join(out, 'runtime', 'labs', 'fx-beta.json'))).toBe(false);
  });
});

describe('reading pages', () => {
  it('exist in both languages with the chapter-5 badge', () => {
    expect(existsSync(join(out, 'reading', 'about', 'index.html'))).toBe(true);
    const zh = page('zh-cn/reading/about');
    expect(zh).toContain('关于阅读材料');
    expect(zh).toContain('阅读材料,无实验');
    expect(zh).toMatch(/<a href="\/reading\/about\/"[^>]*data-lang-link="en"/);
  });
});
