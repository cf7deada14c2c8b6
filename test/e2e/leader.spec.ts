import type { BrowserContext, Page } from '@playwright/test';
import { allInState, eventually, expect, received, test } from './fixtures.ts';

/** A browser profile without SharedWorker, like older mobile browsers and some webviews. */
async function withoutSharedWorker(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    delete (window as { SharedWorker?: unknown }).SharedWorker;
  });
}

const withReplay = (backendUrl: string, extra: Record<string, unknown> = {}) => ({
  options: JSON.stringify({ resync: { eventsSinceUrl: `${backendUrl}/api/events` }, ...extra }),
});
const goalIds = (page: Page) => page.evaluate(() => window.harness.events.map((e) => String(e.data.goalId)));

async function leaderOf(pages: Page[]): Promise<Page> {
  const leads = await Promise.all(pages.map((page) => page.evaluate(() => window.harness.leads())));
  expect(leads.filter(Boolean)).toHaveLength(1);
  return pages[leads.indexOf(true)]!;
}

test.describe('without SharedWorker: a leader tab', () => {
  test('a worker that cannot start (its script is not served): the tabs fall back to a leader tab', async ({ tabs, backend }) => {
    const pages = await tabs.open(2, { connect: '0' });
    for (const page of pages) {
      await page.evaluate(() => {
        const { harness } = window;
        const broker = harness.connectBroker({
          url: harness.wsUrl,
          getToken: () => harness.getToken(),
          worker: () => new SharedWorker('/no-such-worker.js', { type: 'module' }),
          callTimeoutMs: 1500,
        });
        broker.onError((error) => void harness.errors.push(error));
        broker.on('goal.created', (event) => void harness.events.push(event));
        harness.broker = broker;
      });
    }
    await allInState(pages, 'open');
    for (const page of pages) expect(await page.evaluate(() => window.harness.broker!.sharing)).toBe('leader');
    expect(backend.stats().openSockets).toBe(1);
    await pages[1]!.evaluate(() => window.harness.rest('POST', '/api/goals', {}));
    await eventually(async () => expect(await received(pages)).toEqual([['goal.created'], ['goal.created']]));
    for (const page of pages) {
      expect(await page.evaluate(() => window.harness.errors.map((e) => e.code))).toEqual(['WORKER_UNAVAILABLE']);
    }
  });

  test('an app that insists on a worker that cannot start gets TIMEOUT from its calls, not a hang', async ({ tabs }) => {
    const [page] = await tabs.open(1, { connect: '0' });
    const outcome = await page!.evaluate(async () => {
      const { harness } = window;
      const broker = harness.connectBroker({
        url: harness.wsUrl,
        getToken: () => harness.getToken(),
        sharing: 'worker',
        worker: () => new SharedWorker('/no-such-worker.js', { type: 'module' }),
        callTimeoutMs: 1000,
      });
      const code = await broker.stats().then(() => 'answered', (error: { code: string }) => error.code);
      const result = { code, sharing: broker.sharing, state: broker.state };
      broker.close();
      return result;
    });
    expect(outcome).toEqual({ code: 'TIMEOUT', sharing: 'worker', state: 'idle' });
  });

  test('eight tabs elect one leader: one socket, one handshake, every event to every tab once', async ({ tabs, backend, browser }) => {
    const context = await browser.newContext();
    await withoutSharedWorker(context);
    const pages = await tabs.open(8, {}, context);
    await allInState(pages, 'open');
    for (const page of pages) expect(await page.evaluate(() => window.harness.broker!.sharing)).toBe('leader');
    expect(backend.stats()).toMatchObject({ openSockets: 1, connections: 1, handshakes: 1 });
    await leaderOf(pages);
    await pages[4]!.evaluate(() => window.harness.rest('POST', '/api/goals', { title: 'via leader' }));
    await eventually(async () => expect(await received(pages)).toEqual(Array(8).fill(['goal.created'])));
    expect((await pages[0]!.evaluate(() => window.harness.broker!.stats())).tabs).toBe(8);
    await context.close();
  });

  test('the leader closing: another takes over at once, and no event is lost or doubled', async ({ tabs, backend, browser }) => {
    const context = await browser.newContext();
    await withoutSharedWorker(context);
    const pages = await tabs.open(4, withReplay(backend.httpUrl), context);
    await allInState(pages, 'open');
    backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
    await eventually(async () => expect(await received(pages)).toEqual(Array(4).fill(['goal.created'])));
    const leader = await leaderOf(pages);
    const followers = pages.filter((page) => page !== leader);
    const closedAt = Date.now();
    await leader.close();
    backend.emit('tenant-123', 'goal.created', { goalId: 'during' });
    // Each follower notices the loss (its state leaves 'open'), then is open again on the new leader.
    await eventually(async () => {
      for (const page of followers) expect(await page.evaluate(() => window.harness.states.map((s) => s.reason))).toContain('worker-lost');
    });
    await allInState(followers, 'open');
    const tookMs = Date.now() - closedAt;
    await eventually(async () => void (await leaderOf(followers)));
    backend.emit('tenant-123', 'goal.created', { goalId: 'after' });
    await eventually(async () => {
      for (const page of followers) expect(await goalIds(page)).toEqual(['before', 'during', 'after']);
    });
    for (const page of followers) {
      expect(await page.evaluate(() => window.harness.states.map((s) => s.reason))).toContain('worker-lost');
    }
    await eventually(async () => expect(backend.stats().openSockets).toBe(1));
    // "Within about a second": the takeover includes a new socket and handshake; bounded loosely.
    expect(tookMs).toBeLessThan(5000);
    await context.close();
  });

  test('a leader tab whose app closes its broker stops leading: another tab takes over, the closed one holds no socket', async ({ tabs, backend, browser }) => {
    const context = await browser.newContext();
    await withoutSharedWorker(context);
    const pages = await tabs.open(3, {}, context);
    await allInState(pages, 'open');
    const leader = await leaderOf(pages);
    const followers = pages.filter((page) => page !== leader);
    await leader.evaluate(() => window.harness.broker!.close());
    // The page stays open, but no longer leads once its last broker closed.
    await eventually(async () => expect(await leader.evaluate(() => window.harness.leads())).toBe(false));
    await leaderOf(followers);
    await allInState(followers, 'open');
    await eventually(async () => expect(backend.stats().openSockets).toBe(1));
    backend.emit('tenant-123', 'goal.created', { goalId: 'after' });
    await eventually(async () => {
      for (const page of followers) expect(await goalIds(page)).toEqual(['after']);
    });
    expect(await goalIds(leader)).toEqual([]);
    await context.close();
  });

  test('the leader frozen (its JavaScript paused through CDP): a follower steals the lead, events keep flowing, the thawed leader stands down', async ({ tabs, backend, browser }) => {
    const context = await browser.newContext();
    await withoutSharedWorker(context);
    const pages = await tabs.open(3, withReplay(backend.httpUrl), context);
    await allInState(pages, 'open');
    const leader = await leaderOf(pages);
    const followers = pages.filter((page) => page !== leader);
    // Every tab has seen an event, so the thawed one can say where it stands: a tab that saw none is told
    // `complete: false` instead, as it cannot say since when it may have missed events.
    backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
    await eventually(async () => {
      for (const page of pages) expect(await goalIds(page)).toEqual(['before']);
    });
    // Headless pages are always visible, and Chromium freezes only hidden ones (Page.setWebLifecycleState
    // is ignored), so the freeze is CDP's debugger pausing the leader's JavaScript: no timers, no
    // messages handled, its locks still held — what a frozen tab looks like to the others.
    const cdp = await context.newCDPSession(leader);
    await cdp.send('Debugger.enable');
    await cdp.send('Debugger.pause');
    backend.emit('tenant-123', 'goal.created', { goalId: 'while-frozen' });
    await eventually(async () => {
      for (const page of followers) expect(await goalIds(page)).toEqual(['before', 'while-frozen']);
    }, 20_000);
    await eventually(async () => expect(await Promise.all(followers.map((page) => page.evaluate(() => window.harness.leads())))).toContain(true));
    backend.emit('tenant-123', 'goal.created', { goalId: 'new-leader' });
    await eventually(async () => {
      for (const page of followers) expect(await goalIds(page)).toEqual(['before', 'while-frozen', 'new-leader']);
    });
    await cdp.send('Debugger.resume');
    await cdp.send('Debugger.disable');
    // The old leader finds its lock stolen, shuts its broker down and follows the new one.
    await eventually(async () => expect(backend.stats().openSockets).toBe(1), 20_000);
    await eventually(async () => expect(await leader.evaluate(() => window.harness.broker!.state)).toBe('open'));
    expect(await leader.evaluate(() => window.harness.leads())).toBe(false);
    backend.emit('tenant-123', 'goal.created', { goalId: 'all-again' });
    // The thawed tab also catches up on what it missed while frozen; every tab, each event once.
    await eventually(async () => {
      for (const page of pages) {
        const ids = await goalIds(page);
        expect(ids).toContain('all-again');
        expect(new Set(ids).size).toBe(ids.length);
      }
    });
    expect(new Set(await goalIds(leader))).toEqual(new Set(['before', 'while-frozen', 'new-leader', 'all-again']));
    await context.close();
  });

  test('sharing can be forced: leader even where SharedWorker exists, or none (a socket per tab)', async ({ tabs, backend }) => {
    const leaders = await tabs.open(2, { options: JSON.stringify({ sharing: 'leader' }) });
    await allInState(leaders, 'open');
    expect(await leaders[0]!.evaluate(() => window.harness.broker!.sharing)).toBe('leader');
    expect(backend.stats().openSockets).toBe(1);
    const alone = await tabs.open(3, { options: JSON.stringify({ sharing: 'none' }) });
    await allInState(alone, 'open');
    expect(await alone[0]!.evaluate(() => window.harness.broker!.sharing)).toBe('none');
    expect(backend.stats().openSockets).toBe(4);
    await alone[0]!.evaluate(() => window.harness.rest('POST', '/api/goals', {}));
    await eventually(async () => expect(await received([...leaders, ...alone])).toEqual(Array(5).fill(['goal.created'])));
  });
});
