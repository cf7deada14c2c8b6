/**
 * A dialect in code, as an app builds it with Vite: its own SharedWorker entry imports
 * `startSharedWorkerBroker` from `tabwire/worker` (the built package, linked), Vite bundles
 * it from `new SharedWorker(new URL(…, import.meta.url))`, and in Chromium two tabs share one
 * cookie-authenticated socket to the mock backend's `events` dialect, read by that code.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockBackend, startMockBackend } from '../../demo/server/mock-backend.ts';
import { type StaticServer, startStaticServer } from '../support/static-server.ts';
// @ts-expect-error plain ESM helper without types
import { ensureChromium } from '../../scripts/chromium.mjs';

const repo = resolve(import.meta.dirname, '../..');

const files: Record<string, string> = {
  'index.html': '<!doctype html><script type="module" src="./main.js"></script>',
  'main.js': `
import { connectBroker } from 'tabwire';
const params = new URLSearchParams(location.search);
window.events = [];
window.broker = connectBroker({
  url: params.get('ws'),
  protocol: { preset: 'json', auth: 'cookie' },
  sharing: 'worker',
  worker: (name) => new SharedWorker(new URL('./realtime.worker.js', import.meta.url), { type: 'module', name, extendedLifetime: true }),
});
window.broker.on('*', (event) => window.events.push(event));
`,
  'realtime.worker.js': `
import { jsonProtocol, startSharedWorkerBroker } from 'tabwire/worker';
const base = jsonProtocol({
  preset: 'json',
  envelope: { type: 'event', timestamp: 'ts', id: 'id', data: 'payload' },
  auth: 'cookie',
  control: { authSuccess: 'session.ready', authError: 'session.refused' },
  keepAlive: { pong: 'pong', reply: { event: 'pong' } },
});
startSharedWorkerBroker({
  protocol: { ...base, normalize: (envelope) => ({ ...envelope, data: { ...envelope.data, via: 'worker code' } }) },
});
`,
};

let dir: string;
let site: StaticServer;
let backend: MockBackend;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tabwire-vite-worker-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(repo, join(dir, 'node_modules', 'tabwire'), 'dir');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  await build({ root: dir, configFile: false, logLevel: 'error', build: { outDir: join(dir, 'dist'), target: 'es2022' } });
  site = await startStaticServer({ '/': join(dir, 'dist') });
  backend = await startMockBackend({ dialect: 'events', serverPingMs: 300 });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? ensureChromium() });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await backend?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("an app's own worker entry, built with Vite", () => {
  it('runs the dialect written in code: one socket by cookie for two tabs, pongs, events read by that code', async () => {
    const context = await browser.newContext();
    const { accessToken } = backend.login();
    // Cookies are per host, not port: the page's and the socket's host are both 127.0.0.1.
    await context.addCookies([{ name: 'session', value: accessToken, domain: '127.0.0.1', path: '/' }]);
    const url = `${site.url}/index.html?ws=${encodeURIComponent(backend.wsUrl)}`;
    const pages = [await context.newPage(), await context.newPage()];
    for (const page of pages) await page.goto(url);
    for (const page of pages) await page.waitForFunction(() => (window as unknown as { broker: { state: string } }).broker.state === 'open');
    backend.emit('tenant-123', 'chat.message', { text: 'hi' });
    for (const page of pages) {
      await page.waitForFunction(() => (window as unknown as { events: unknown[] }).events.length === 1);
      const [event] = await page.evaluate(() => (window as unknown as { events: Array<{ type: string; data: Record<string, unknown> }> }).events);
      expect(event).toMatchObject({ type: 'chat.message', data: { text: 'hi', via: 'worker code' } });
    }
    await expect.poll(() => backend.stats().pongs, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(backend.stats()).toMatchObject({ connections: 1, handshakes: 1, authSuccesses: 1 });
    await context.close();
  });
});
