import { spawnSync } from 'node:child_process';
import type { Page } from '@playwright/test';
import { type StaticServer, startStaticServer } from '../support/static-server.ts';
import { allInState, eventually, expect, test } from './fixtures.ts';

/**
 * A deploy: the harness built twice — the current build at `/`, a newer one
 * (another build id, built later) at `/next/` — served side by side, as a CDN
 * does while old pages stay open and new ones load the new code.
 */
let site: StaticServer;
let nextBuild: string;

test.beforeAll(() => {
  nextBuild = `next-${Date.now()}`;
  const built = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--mode', 'demo', '--logLevel', 'error'], {
    env: { ...process.env, TABWIRE_BUILD_ID: nextBuild, DEMO_OUT_DIR: 'dist-demo-next' },
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`second build failed: ${built.stderr}`);
});
test.beforeEach(async () => {
  site = await startStaticServer({ '/': 'dist-demo', '/next/': 'dist-demo-next' });
});
test.afterEach(async () => {
  await site.close();
});

const numbers = (page: Page) => page.evaluate(() => window.harness.events.map((e) => Number(String(e.data.goalId).slice(1))));

/** Each tab got a run of consecutive events, each once: nothing lost, nothing doubled. */
async function expectEachOnce(pages: Page[], last: number): Promise<void> {
  for (const page of pages) {
    const seen = await numbers(page);
    expect(new Set(seen).size, 'no event twice').toBe(seen.length);
    const sorted = [...seen].sort((a, b) => a - b);
    expect(sorted.at(-1)).toBe(last);
    const first = sorted[0]!;
    expect(sorted, 'no event missing').toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
  }
}

test.describe('across a deploy', () => {
  test('old tabs move to the new build’s worker by themselves; the browser ends with one socket; no event lost or doubled', async ({ context, backend }) => {
    const query = (path: string) =>
      `${site.url}${path}harness.html?${new URLSearchParams({ backend: backend.httpUrl, options: JSON.stringify({ lingerMs: 300 }) })}`;
    const open = async (path: string, count: number) => {
      const pages: Page[] = [];
      for (let i = 0; i < count; i++) {
        const page = await context.newPage();
        await page.goto(query(path));
        await page.waitForFunction(() => window.harness?.broker !== undefined);
        pages.push(page);
      }
      return pages;
    };
    const old = await open('/', 3);
    await allInState(old, 'open');
    expect(backend.stats().openSockets).toBe(1);
    const oldBuild = (await old[0]!.evaluate(() => window.harness.broker!.stats())).buildId;
    let n = 0;
    const stream = setInterval(() => backend.emit('tenant-123', 'goal.created', { goalId: `g${++n}` }), 40);
    try {
      await old[0]!.waitForTimeout(300);
      const fresh = await open('/next/', 2);
      await allInState(fresh, 'open');
      expect((await fresh[0]!.evaluate(() => window.harness.broker!.stats())).buildId).toBe(nextBuild);
      // The old tabs heard of the new build and moved, without a reload.
      await eventually(async () => {
        for (const page of old) {
          expect(await page.evaluate(() => window.harness.upgrades)).toEqual([expect.objectContaining({ buildId: nextBuild, compatible: true, mode: 'worker' })]);
          expect((await page.evaluate(() => window.harness.broker!.stats())).buildId).toBe(nextBuild);
        }
      });
      await eventually(async () => expect(backend.stats().openSockets).toBe(1));
      expect((await fresh[1]!.evaluate(() => window.harness.broker!.stats())).tabs).toBe(5);
      await old[0]!.waitForTimeout(300);
      expect(oldBuild).not.toBe(nextBuild);
    } finally {
      clearInterval(stream);
    }
    backend.emit('tenant-123', 'goal.created', { goalId: `g${++n}` });
    await eventually(async () => {
      for (const page of [...old]) expect((await numbers(page)).includes(n)).toBe(true);
    });
    await expectEachOnce(old, n);
    for (const page of old) expect(await page.evaluate(() => window.harness.broker!.state)).toBe('open');
  });

  test('with upgrade: manual, old tabs are told and stay until the app moves them', async ({ context, backend }) => {
    const url = (path: string, upgrade?: string) =>
      `${site.url}${path}harness.html?${new URLSearchParams({ backend: backend.httpUrl, options: JSON.stringify({ lingerMs: 300, ...(upgrade ? { upgrade } : {}) }) })}`;
    const old = await context.newPage();
    await old.goto(url('/', 'manual'));
    await old.waitForFunction(() => window.harness?.broker?.state === 'open');
    const fresh = await context.newPage();
    await fresh.goto(url('/next/'));
    await fresh.waitForFunction(() => window.harness?.broker?.state === 'open');
    await eventually(async () => expect(await old.evaluate(() => window.harness.upgrades.length)).toBe(1));
    await old.waitForTimeout(500);
    expect(backend.stats().openSockets).toBe(2);
    expect((await old.evaluate(() => window.harness.broker!.stats())).buildId).not.toBe(nextBuild);
    expect(await old.evaluate(() => window.harness.broker!.upgrade())).toBe(true);
    expect((await old.evaluate(() => window.harness.broker!.stats())).buildId).toBe(nextBuild);
    await eventually(async () => expect(backend.stats().openSockets).toBe(1));
    await fresh.evaluate(() => window.harness.rest('POST', '/api/goals', { goalId: 'x1' }));
    await eventually(async () => expect(await numbers(old)).toEqual([1]));
  });
});
