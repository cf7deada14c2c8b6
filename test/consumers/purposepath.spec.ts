/**
 * A React app written from PurposePath's frontend guide, only its imports naming
 * `tabwire/purposepath/react`: compiled under strict TypeScript, built with Vite against
 * the packed package, its backend `npx tabwire mock` from that package, and driven in
 * three tabs of Chromium on one socket. Every hook and component does what the guide says.
 */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import { type StaticServer, startStaticServer } from '../support/static-server.ts';
import { type Running, freePort, prepareApp, run, startServer } from './apps.ts';
import { openTabs } from './tabs.ts';

let app: ReturnType<typeof prepareApp>;
let site: StaticServer | undefined;
let mock: Running | undefined;
let http: string;

test.beforeAll(async () => {
  test.setTimeout(600_000);
  app = prepareApp('purposepath', process.env.TABWIRE_TARBALL!);
  const port = await freePort();
  http = `http://127.0.0.1:${port}`;
  // `npx tabwire mock --port …`: the package's bin, run by Node from the installed package.
  mock = await startServer(process.execPath, ['node_modules/tabwire/dist/bin/tabwire.js', 'mock', '--port', String(port)], app.dir, `${http}/health`);
  run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], app.dir);
  run(process.execPath, ['node_modules/vite/bin/vite.js', 'build'], app.dir, {
    VITE_FEATURE_REALTIME: 'true',
    VITE_REALTIME_WS_URL: `ws://localhost:${port}`,
    VITE_REALTIME_DEBUG: 'true',
  });
  site = await startStaticServer({ '/': join(app.dir, 'dist') });
});
test.afterAll(async () => {
  await site?.close();
  await mock?.stop();
  app?.remove();
});

/** A write through the backend's REST API, as the app's own token (the mock takes the tenant from its claims). */
async function write(method: string, path: string, body: Record<string, unknown> = {}): Promise<void> {
  const claims = Buffer.from(JSON.stringify({ sub: 'user-456', 'custom:tenantId': 'tenant-123' })).toString('base64url');
  const response = await fetch(`${http}${path}`, {
    method,
    headers: { Authorization: `Bearer eyJhbGciOiJub25lIn0.${claims}.`, 'X-Tenant-Id': 'tenant-123', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
}

const openSockets = async () => ((await (await fetch(`${http}/__control/stats`)).json()) as { openSockets: number }).openSockets;

async function expectInEvery(pages: Page[], check: (page: Page) => Promise<void>): Promise<void> {
  for (const page of pages) await check(page);
}

test('the guide’s app: three tabs, one socket, every hook and component live', async ({ context }) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  const pages = await openTabs(context, `${site!.url}/index.html`);
  for (const page of pages) page.on('pageerror', (error) => errors.push(error.message));

  // useRealtimeConnection, useRealtime and RealtimeIndicator in the guide's words; stats live.
  await expectInEvery(pages, async (page) => {
    await expect(page.getByRole('status').first()).toHaveText('Connected');
    await expect(page.locator('#connection-state')).toHaveText('connected');
    await expect(page.locator('#context-status')).toHaveText('connected');
    await expect(page.locator('#is-connected')).toHaveText('yes');
  });
  expect(await openSockets()).toBe(1);

  // useRealtimeGoals and LiveBadge / useLiveBadge.
  await write('POST', '/api/goals', { goalId: 'g1', title: 'Ship it', status: 'active' });
  await expectInEvery(pages, async (page) => {
    const card = page.locator('[data-goal="g1"]');
    await expect(card).toContainText('Ship it (active)');
    await expect(card.getByText('Live')).toBeVisible();
    // The stats, asked again as events arrive: every tab now counts the three.
    await expect(page.locator('#stats-tabs')).toHaveText('3');
    await expect(page.locator('#stats-events')).not.toHaveText('—');
  });

  // useGoalActivity (payload handlers) and GoalActivityFeed.
  await write('POST', '/api/goals/g1/activities', { title: 'Kickoff', content: 'We started.' });
  await write('POST', '/api/goals/g1/pause', { reason: 'holiday' });
  await write('POST', '/api/goals/g1/complete');
  await expectInEvery(pages, async (page) => {
    await expect(page.getByRole('feed').getByRole('article')).toHaveCount(1);
    await expect(page.getByRole('feed').getByRole('heading', { name: 'Kickoff' })).toBeVisible();
    await expect(page.locator('#activity-count')).toHaveText('1');
    await expect(page.locator('#paused-reason')).toHaveText('holiday');
    await expect(page.locator('[data-goal="g1"]')).toContainText('(completed)');
    await expect(page.locator('#goal-log')).toHaveText('goal.created:g1 goal.activity.created:g1 goal.paused:g1 goal.completed:g1');
  });

  // The guide's kpi.reading_created reaches its handler although the backend says measure.reading.created;
  // the positional useRealtimeEvent gets the payload.
  await write('POST', '/api/measures/k1/readings', { value: 73 });
  await write('POST', '/api/operations/actions/a1/complete');
  await expectInEvery(pages, async (page) => {
    await expect(page.locator('#kpi-value')).toHaveText('73');
    await expect(page.locator('#actions-completed')).toHaveText('a1');
  });

  // The indicator's details, by keyboard.
  const first = pages[0]!;
  await first.getByRole('button', { name: 'Connected' }).press('Enter');
  await expect(first.getByRole('region', { name: 'Realtime connection details' })).toContainText('Tabs sharing it3');
  await first.keyboard.press('Escape');
  await expect(first.getByRole('region', { name: 'Realtime connection details' })).toHaveCount(0);

  // RealtimeDebugPanel: the worker's log, seen from any tab.
  const last = pages[2]!;
  await last.getByText(/^Realtime debug/).click();
  await expect(last.getByRole('region', { name: 'Recent events' })).toContainText('measure.reading.created');
  await expect(last.getByRole('region', { name: 'Transitions' })).toContainText('→ open (auth-accepted)');

  // A tab opened later: the feed is seeded from the worker's log, on the same socket.
  const [later] = await openTabs(context, `${site!.url}/index.html`, 1);
  await expect(later!.getByRole('feed').getByRole('heading', { name: 'Kickoff' })).toBeVisible();
  await write('POST', '/api/goals/g1/activities', { title: 'Review', content: 'Four tabs now.' });
  await expect(later!.getByRole('feed').getByRole('article')).toHaveCount(2);
  await expect(later!.locator('#stats-tabs')).toHaveText('4');
  expect(await openSockets()).toBe(1);
  expect(errors).toEqual([]);
});
