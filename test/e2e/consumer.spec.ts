import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type StaticServer, startStaticServer } from '../support/static-server.ts';
import { eventually, expect, test } from './fixtures.ts';

/**
 * The published package inside someone else's Vite build: an app that imports
 * `tabwire` (linked to this repo's dist/) is built with Vite, served, and must
 * share one socket and replay missed events through the worker — which only
 * works if the worker file is self-contained once the app's bundler copied it.
 */
const repo = resolve(import.meta.dirname, '../..');
let app: string;
let site: StaticServer;

test.beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'tabwire-app-'));
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(repo, join(app, 'node_modules', 'tabwire'), 'dir');
  writeFileSync(join(app, 'index.html'), '<!doctype html><p id="state">…</p><script type="module" src="./main.js"></script>');
  writeFileSync(
    join(app, 'main.js'),
    `import { connectBroker } from 'tabwire';
const backend = new URLSearchParams(location.search).get('backend');
const session = await (await fetch(backend + '/auth/login', { method: 'POST', body: '{}' })).json();
const broker = connectBroker({
  url: backend.replace('http', 'ws') + '/realtime',
  getToken: () => session.accessToken,
  resync: { eventsSinceUrl: backend + '/api/events' },
});
window.received = [];
broker.on('*', (e) => window.received.push(e.data.goalId + (e.replayed ? '*' : '')));
broker.onState((s) => (document.getElementById('state').textContent = s));
window.broker = broker;
`,
  );
  writeFileSync(join(app, 'vite.config.js'), "export default { logLevel: 'error', build: { target: 'es2022' } };");
  const built = spawnSync(process.execPath, [join(repo, 'node_modules/vite/bin/vite.js'), 'build', app], { cwd: app, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`consumer build failed: ${built.stderr}${built.stdout}`);
});
test.beforeEach(async () => {
  site = await startStaticServer({ '/': join(app, 'dist') });
});
test.afterEach(async () => {
  await site.close();
});
test.afterAll(() => {
  rmSync(app, { recursive: true, force: true });
});

declare global {
  interface Window {
    received: string[];
  }
}

test('an app built with Vite against the package shares one socket and replays missed events', async ({ context, backend }) => {
  const pages = await Promise.all(
    [1, 2].map(async () => {
      const page = await context.newPage();
      await page.goto(`${site.url}/index.html?backend=${encodeURIComponent(backend.httpUrl)}`);
      return page;
    }),
  );
  for (const page of pages) await expect(page.locator('#state')).toHaveText('open');
  expect(backend.stats().openSockets).toBe(1);
  backend.emit('tenant-123', 'goal.created', { goalId: 'live' });
  await eventually(async () => {
    for (const page of pages) expect(await page.evaluate(() => window.received)).toEqual(['live']);
  });
  backend.setAccepting(false);
  backend.drop();
  await expect(pages[0]!.locator('#state')).toHaveText('backoff');
  backend.emit('tenant-123', 'goal.created', { goalId: 'missed' });
  backend.setAccepting(true);
  await eventually(async () => {
    for (const page of pages) expect(await page.evaluate(() => window.received)).toEqual(['live', 'missed*']);
  }, 20_000);
});
