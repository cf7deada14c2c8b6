import { allInState, eventually, expect, received, test } from './fixtures.ts';

test.describe('one SharedWorker, one socket, every tab', () => {
  test('eight tabs of one browser share one socket and one handshake', async ({ tabs, backend }) => {
    const pages = await tabs.open(8);
    await allInState(pages, 'open');
    const stats = backend.stats();
    expect(stats.openSockets).toBe(1);
    expect(stats.connections).toBe(1);
    expect(stats.handshakes).toBe(1);
    // No credentials or tenant ever travel in the socket URL.
    expect(stats.socketQueries).toEqual([]);
    const workerStats = await pages[5]!.evaluate(() => window.harness.broker!.stats());
    expect(workerStats.tabs).toBe(8);
    expect(workerStats.socketsOpened).toBe(1);
  });

  test('an event written through REST reaches all eight tabs exactly once', async ({ tabs, dialect }) => {
    const pages = await tabs.open(8);
    await allInState(pages, 'open');
    const goal = (await pages[2]!.evaluate(() => window.harness.rest('POST', '/api/goals', { title: 'Ship tabwire' }))) as { goalId: string };
    await eventually(async () => expect(await received(pages)).toEqual(Array(8).fill(['goal.created'])));
    const first = await pages[7]!.evaluate(() => window.harness.events[0]);
    // The events dialect has no tenant on the wire.
    const tenant = dialect === 'purposepath' ? { tenantId: 'tenant-123' } : {};
    expect(first).toMatchObject({ type: 'goal.created', data: { goalId: goal.goalId, title: 'Ship tabwire', ...tenant } });
    // Nothing more arrives later (no duplicates from batching or retries).
    await pages[0]!.waitForTimeout(300);
    expect(await received(pages)).toEqual(Array(8).fill(['goal.created']));
    const stats = await pages[0]!.evaluate(() => window.harness.broker!.stats());
    expect(stats).toMatchObject({ eventsRelayed: 1, deliveries: 8 });
  });

  test('the last tab keeps receiving after seven tabs close, and the worker forgets them', async ({ tabs, backend }) => {
    const pages = await tabs.open(8);
    await allInState(pages, 'open');
    for (const page of pages.slice(0, 7)) await page.close();
    const last = pages[7]!;
    await expect.poll(() => last.evaluate(async () => (await window.harness.broker!.stats()).tabs)).toBe(1);
    await last.evaluate(() => window.harness.rest('POST', '/api/operations/issues', { title: 'still here' }));
    await eventually(async () => expect(await received([last])).toEqual([['issue.created']]));
    expect(backend.stats().connections).toBe(1);
  });

  test('after the server drops every socket the worker reconnects once and events flow again', async ({ tabs, backend }) => {
    const pages = await tabs.open(4);
    await allInState(pages, 'open');
    backend.drop();
    await allInState(pages, 'backoff');
    await allInState(pages, 'open');
    const stats = backend.stats();
    expect(stats.connections).toBe(2);
    expect(stats.handshakes).toBe(2);
    expect(stats.openSockets).toBe(1);
    await pages[1]!.evaluate(() => window.harness.rest('POST', '/api/measures/kpi-7/readings', { value: 12 }));
    await eventually(async () => expect(await received(pages)).toEqual(Array(4).fill(['measure.reading.created'])));
    const states = await pages[0]!.evaluate(() => window.harness.states.map((s) => `${s.next}:${s.reason}`));
    expect(states).toEqual(expect.arrayContaining(['backoff:socket-closed', 'connecting:retry', 'authenticating:socket-opened', 'open:auth-accepted']));
  });

  test('a reloaded tab rejoins the running worker and its socket', async ({ tabs, backend }) => {
    const pages = await tabs.open(2);
    await allInState(pages, 'open');
    const before = await pages[0]!.evaluate(() => window.harness.broker!.stats());
    await pages[0]!.reload();
    await pages[0]!.waitForFunction(() => window.harness?.broker?.state === 'open');
    const after = await pages[0]!.evaluate(() => window.harness.broker!.stats());
    expect(after.brokerId).toBe(before.brokerId);
    expect(backend.stats().connections).toBe(1);
    await expect.poll(() => pages[1]!.evaluate(async () => (await window.harness.broker!.stats()).tabs)).toBe(2);
    await pages[1]!.evaluate(() => window.harness.rest('POST', '/api/goals', {}));
    await eventually(async () => expect(await received(pages)).toEqual([['goal.created'], ['goal.created']]));
  });

  test('a lone tab that reloads finds the same worker and socket (extendedLifetime and linger)', async ({ tabs, backend }) => {
    const [page] = await tabs.open(1);
    await allInState([page!], 'open');
    const before = await page!.evaluate(() => window.harness.broker!.stats());
    await page!.reload();
    await page!.waitForFunction(() => window.harness?.broker?.state === 'open');
    const after = await page!.evaluate(() => window.harness.broker!.stats());
    expect(after.brokerId).toBe(before.brokerId);
    expect(backend.stats()).toMatchObject({ connections: 1, handshakes: 1 });
  });

  test('the socket closes once the last tab has been gone for lingerMs', async ({ tabs, backend }) => {
    const [page] = await tabs.open(1, { connect: '0' });
    await page!.evaluate(() => window.harness.connect({ lingerMs: 300 }));
    await allInState([page!], 'open');
    await page!.evaluate(() => window.harness.broker!.close());
    await expect.poll(() => backend.stats().openSockets).toBe(0);
  });

  test('a broker closed right after it was created leaves nothing attached (StrictMode mounts twice)', async ({ tabs }) => {
    const [page] = await tabs.open(1);
    await allInState([page!], 'open');
    await page!.evaluate(() => {
      for (let i = 0; i < 5; i++) window.harness.connectBroker({ url: window.harness.wsUrl, getToken: () => 'x', ...window.harness.dialectOptions }).close();
    });
    await page!.waitForTimeout(500);
    expect((await page!.evaluate(() => window.harness.broker!.stats())).tabs).toBe(1);
  });

  test('a subscription made while the tab is still attaching is not lost', async ({ tabs }) => {
    const [page] = await tabs.open(1);
    await allInState([page!], 'open');
    // The first state a new broker reports comes while it attaches: an app (or a React effect it
    // triggers) subscribing right then must still get its events.
    await page!.evaluate(async () => {
      const late = window.harness.connectBroker({ url: window.harness.wsUrl, getToken: () => window.harness.getToken(), ...window.harness.dialectOptions });
      const got: string[] = [];
      (window as unknown as { lateGot: string[] }).lateGot = got;
      const offState = late.onState(() => {
        offState();
        late.on('goal.created', (event) => void got.push(event.type));
      });
      await late.ready;
      await window.harness.rest('POST', '/api/goals', {});
    });
    await eventually(async () => expect(await page!.evaluate(() => (window as unknown as { lateGot: string[] }).lateGot)).toEqual(['goal.created']));
  });

  test('a worker factory that takes no name (as documented: worker: () => SharedWorker) still shares one worker', async ({ tabs, backend }) => {
    const pages = await tabs.open(2, { connect: '0' });
    for (const page of pages) {
      await page.evaluate(async () => {
        const { harness } = window;
        // Signed in first, as an app is: a cookie session is never asked for, it must be there.
        await harness.ensureSession();
        const broker = harness.connectBroker({
          url: harness.wsUrl,
          getToken: () => harness.getToken(),
          ...harness.dialectOptions,
          worker: () => new SharedWorker(harness.workerUrl, { type: 'module' }),
        });
        broker.onError((error) => void harness.errors.push(error));
        broker.on('goal.created', (event) => void harness.events.push(event));
        harness.broker = broker;
        await broker.ready;
      });
    }
    await allInState(pages, 'open');
    await pages[0]!.evaluate(() => window.harness.rest('POST', '/api/goals', {}));
    await eventually(async () => expect(await received(pages)).toEqual([['goal.created'], ['goal.created']]));
    expect(backend.stats().openSockets).toBe(1);
    for (const page of pages) {
      expect(await page.evaluate(() => window.harness.broker!.sharing)).toBe('worker');
      expect(await page.evaluate(() => window.harness.errors)).toEqual([]);
    }
    expect((await pages[1]!.evaluate(() => window.harness.broker!.stats())).tabs).toBe(2);
  });

  test('each tab receives only what it subscribed to: exact types, prefixes and everything', async ({ tabs }) => {
    const [exact, prefix, everything] = await tabs.open(3, { connect: '0' });
    await exact!.evaluate(() => window.harness.connect({ patterns: ['action.reassigned'] }));
    await prefix!.evaluate(() => window.harness.connect({ patterns: ['goal.*'] }));
    await everything!.evaluate(() => window.harness.connect({ patterns: ['*'] }));
    const pages = [exact!, prefix!, everything!];
    await allInState(pages, 'open');
    await everything!.evaluate(async () => {
      await window.harness.rest('POST', '/api/goals', {});
      await window.harness.rest('POST', '/api/goals/g1/activities', { content: 'note' });
      await window.harness.rest('PATCH', '/api/operations/actions/a1/reassign', { newAssignee: 'user-9' });
      await window.harness.rest('POST', '/api/operations/issues', {});
    });
    await eventually(async () =>
      expect(await received(pages)).toEqual([
        ['action.reassigned'],
        ['goal.created', 'goal.activity.created'],
        ['goal.created', 'goal.activity.created', 'action.reassigned', 'issue.created'],
      ]),
    );
    // The worker filtered: the exact tab was sent one event, not four.
    const stats = await exact!.evaluate(() => window.harness.broker!.stats());
    expect(stats.deliveries).toBe(1 + 2 + 4);
    // A malformed pattern is refused at once, with a clear error.
    const refused = await exact!.evaluate(() => {
      try {
        window.harness.broker!.on('goal*', () => {});
        return 'accepted';
      } catch (error) {
        return (error as { code: string }).code;
      }
    });
    expect(refused).toBe('INVALID_ARGUMENT');
    // recent({ since }) takes a date as Date.parse reads it and compares in UTC: nothing is lost to the format.
    const counts = await everything!.evaluate(async () => [
      (await window.harness.broker!.recent({ since: '2000-01-01' })).length,
      (await window.harness.broker!.recent({ since: '2999-01-01' })).length,
      (await window.harness.broker!.recent({ since: new Date(2000, 0, 1) })).length,
      (await window.harness.broker!.recent({ since: new Date(Date.now() + 60_000) })).length,
    ]);
    expect(counts).toEqual([4, 0, 4, 0]);
  });

  test('two browser profiles do not share: each has its own worker and socket', async ({ tabs, backend, browser }) => {
    const other = await browser.newContext();
    const first = await tabs.open(2);
    const second = await tabs.open(2, {}, other);
    await allInState([...first, ...second], 'open');
    expect(backend.stats().openSockets).toBe(2);
    await other.close();
  });
});
