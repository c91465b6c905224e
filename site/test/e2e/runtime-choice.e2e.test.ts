// Which runtime a page picks, in a real browser against the real agent, without the agent's token:
// a browser lab goes to the in-browser runtime (the agent's pages are cross-origin isolated, the
// WebContainer code loads only with the workspace); a kernel lab shows the Docker commands.
//
// The WebContainer itself boots from StackBlitz's servers, which this machine must not reach: the
// browser resolves no name but loopback and every other request is aborted, so the boot fails and
// the page must say so (with the Docker commands) instead of waiting for ever.
// Needs: bin/start.mjs, Go (the agent), Chromium at /usr/bin/chromium (or CHROMIUM=...).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../../../checkers/core/net.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';

const root = resolve(import.meta.dirname, '..', '..', '..');
const artifacts = join(root, 'test-artifacts', 'e2e');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const goAvailable = ['go', '/usr/local/go/bin/go'].some((go) => spawnSync(go, ['version'], { stdio: 'ignore' }).status === 0);
const skipReason = !existsSync(join(root, 'bin', 'start.mjs'))
  ? 'no bin/start.mjs'
  : !existsSync(chromiumPath)
    ? `no Chromium at ${chromiumPath} (set CHROMIUM; this test never downloads one)`
    : !goAvailable
      ? 'no Go toolchain (the agent needs it)'
      : null;

describe.skipIf(skipReason !== null)(`runtime choice without an agent token${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let agent: ChildProcess;
  let origin: string;
  let context: BrowserContext;
  let page: Page;
  let userData: string;
  let workspaces: string;
  const refused: string[] = [];

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    workspaces = mkdtempSync(join(tmpdir(), 'ghl-e2e-choice-ws-'));
    userData = mkdtempSync(join(tmpdir(), 'ghl-e2e-choice-chromium-'));
    const port = await freePort();
    agent = spawn(process.execPath, [join(root, 'bin', 'start.mjs'), '--port', String(port), '--run-port', '0', '--workspaces', workspaces], {
      cwd: root,
      env: { ...process.env, AGENT_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    agent.stdout!.on('data', (d) => (out += d));
    agent.stderr!.on('data', (d) => (out += d));
    origin = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`the agent printed no URL within 240 s:\n${out.slice(-3000)}`)), 240_000);
      const look = () => {
        const m = /Go HA Labs: (http:\/\/[^/\s]+)\//.exec(out);
        if (!m) return;
        clearTimeout(timer);
        resolveUrl(m[1]!);
      };
      agent.stdout!.on('data', look);
      agent.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the agent exited (${code}):\n${out.slice(-3000)}`));
      });
    });
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(userData, {
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // no name resolves but loopback: nothing leaves this machine
        '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      ],
      viewport: { width: 1400, height: 900 },
    });
    await context.route(
      (url) => url.hostname !== '127.0.0.1',
      (route) => {
        refused.push(route.request().url());
        return route.abort();
      },
    );
    page = context.pages()[0] ?? (await context.newPage());
    page.on('dialog', (d) => void d.accept());
  }, 300_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    if (agent?.pid) {
      try {
        process.kill(-agent.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      await new Promise((r) => (agent.exitCode !== null ? r(null) : agent.once('exit', r)));
    }
    for (const dir of [userData, workspaces]) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('a browser lab: the page is cross-origin isolated and the workspace starts the in-browser runtime', async () => {
    const requests: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(`${origin}/labs/slowloris/`);
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    // the lesson page loads no runtime code
    expect(requests.filter((p) => /webcontainer|agent\./i.test(p))).toEqual([]);
    await page.getByRole('button', { name: 'Open workspace' }).click();
    // the container boots while the toolchain downloads; once downloaded, the line says it still waits for the boot
    await expect.poll(() => page.locator('[data-ref="runtime"]').textContent(), { timeout: 30_000 }).toMatch(/Downloading Go for the browser: [\d.]+ of [\d.]+ MB/);
    await expect.poll(() => page.locator('[data-ref="runtime"]').textContent(), { timeout: 60_000 }).toMatch(/Starting the in-browser runtime/);
    expect(requests.some((p) => /\/_astro\/webcontainer\.[\w-]+\.js$/.test(p))).toBe(true);
    expect(requests).toContain('/runtime/manifest.json');
    expect(requests.some((p) => p.startsWith('/api/'))).toBe(false); // no token: the agent is not asked
    await page.screenshot({ path: join(artifacts, 'choice-01-browser-booting.png') });

    // StackBlitz is out of reach: the boot gives up and the page says what to do instead
    const notice = page.locator('[data-ref="notices"] .notice');
    await notice.first().waitFor({ timeout: 90_000 });
    await expect(notice.first().textContent()).resolves.toMatch(/The in-browser runtime could not start: .*Every lab also runs in the Docker lab image/s);
    await expect(notice.locator('pre.docker-commands').textContent()).resolves.toBe('docker build --network host -f docker/Dockerfile -t go-ha-labs .\ndocker run --rm -p 4321:4321 go-ha-labs');
    await expect(page.locator('[data-ref="runtime"]').textContent()).resolves.toBe('Runtime: –');
    expect(refused.length).toBeGreaterThan(0); // the boot did try StackBlitz, and was stopped here
    // the toolchain downloaded from this site while the container tried to boot (in parallel: a
    // first visit waits for the longer of the two, not their sum)
    expect(requests.some((p) => p.startsWith('/runtime/dist/toolchain/'))).toBe(true);
    await page.screenshot({ path: join(artifacts, 'choice-02-browser-unavailable.png') });
  }, 180_000);

  it('a kernel lab: the lesson shows the Docker commands with the capabilities, and the workspace asks for the token', async () => {
    await page.goto(`${origin}/labs/port-exhaustion/`);
    const commands = page.locator('.lesson pre.docker-commands');
    await expect(commands.textContent()).resolves.toBe('docker build --network host -f docker/Dockerfile -t go-ha-labs .\ndocker run --rm --cap-add NET_ADMIN --cap-add SYS_ADMIN -p 4321:4321 go-ha-labs');
    await page.getByRole('button', { name: 'Open workspace' }).click();
    const notice = page.locator('[data-ref="notices"] .notice').first();
    await notice.waitFor({ timeout: 30_000 });
    await expect(notice.textContent()).resolves.toMatch(/The lab agent refused this page/);
    await page.screenshot({ path: join(artifacts, 'choice-03-kernel-lab.png') });
  }, 60_000);
});
