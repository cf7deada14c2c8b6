/**
 * The cross-engine scenarios, written once against the driver: each runs in a fresh
 * isolated session with its own backend and origin (world.ts). `engineSpecific` holds the
 * ones whose outcome depends on how an engine manages a SharedWorker's life; they assert
 * what must hold everywhere and record which way the engine went.
 */
import type { Capability, EngineName, Tab } from './driver.ts';
import {
  type World,
  allInState,
  attached,
  eventually,
  expect,
  goalIds,
  pause,
  received,
  stats,
  sum,
  transitions,
  withReplay,
} from './world.ts';

export interface Scenario {
  name: string;
  /** A capability the engine must have; where it lacks it the scenario is skipped with the engine's reason. */
  needs?: Capability;
  run(world: World): Promise<void>;
}

/**
 * Prints how long each step of a scenario took, on the engine's line: where a scenario that ran
 * past its time limit stood (a WebKitGTK run of the token refresh did, twice, in full runs only).
 */
function steps(world: World): (label: string) => void {
  const started = Date.now();
  return (label) => console.log(`  [${world.engine.name}] ${label} after ${Date.now() - started} ms`);
}

/** Every tab saw 'before'; then the server goes away (refusing connections) and `missed` are written. */
async function missWhileDown(world: World, tabs: Tab[], missed: string[]): Promise<void> {
  await allInState(tabs, 'open');
  world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
  await eventually(async () => {
    for (const tab of tabs) expect(await goalIds(tab)).toEqual(['before']);
  });
  world.backend.setAccepting(false);
  world.backend.drop();
  await allInState(tabs, 'backoff');
  for (const goalId of missed) world.backend.emit('tenant-123', 'goal.created', { goalId });
}

/** Which tab holds the leader lock; exactly one must. */
async function leaderOf(tabs: Tab[]): Promise<Tab> {
  const leads: boolean[] = [];
  for (const tab of tabs) leads.push(await tab.evaluate(() => window.harness.leads()));
  expect(leads.filter(Boolean)).toHaveLength(1);
  return tabs[leads.indexOf(true)]!;
}

/** Connects a harness tab opened with connect=0 as a browser without SharedWorker would. */
function connectWithoutSharedWorker(tab: Tab): Promise<void> {
  return tab.evaluate(async () => {
    delete (window as { SharedWorker?: unknown }).SharedWorker;
    await window.harness.connect();
  });
}

/** Makes the log's database unusable for tabwire: held at a version newer than it knows. */
function blockIndexedDb(tab: Tab): Promise<void> {
  return tab.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.open('tabwire', 99);
        request.onsuccess = () => {
          request.result.close();
          resolve();
        };
        request.onerror = () => reject(request.error);
      }),
  );
}

/** The mock's SSE counters (demo/server/sse.ts). */
async function sseStats(world: World): Promise<{ open: number; streams: number; lastEventIds: string[] }> {
  const response = await fetch(`${world.backend.httpUrl}/__control/sse/stats`, { method: 'POST' });
  return (await response.json()) as { open: number; streams: number; lastEventIds: string[] };
}

/** Connects a harness tab opened with connect=0 to the mock's SSE stream, the token in a query parameter. */
function connectSse(tab: Tab, reconnect: { minDelayMs: number; maxDelayMs: number }): Promise<void> {
  return tab.evaluate(
    (delays) =>
      window.harness.connect({
        url: `${window.harness.backend}/sse`,
        transport: { type: 'sse', auth: { queryParam: 'access_token' }, resume: true },
        reconnect: delays,
      }),
    reconnect,
  );
}

/** Whether the engine's SharedWorkers have an `EventSource` (else tabwire reads the stream with fetch). */
function eventSourceInSharedWorker(tab: Tab): Promise<string> {
  return tab.evaluate(
    () =>
      new Promise<string>((resolve) => {
        if (typeof SharedWorker === 'undefined') return resolve('no SharedWorker');
        const script = 'onconnect = (e) => e.ports[0].postMessage(typeof EventSource)';
        const worker = new SharedWorker(URL.createObjectURL(new Blob([script], { type: 'text/javascript' })));
        worker.port.onmessage = (event) => resolve(event.data === 'function' ? 'yes' : 'no');
        setTimeout(() => resolve('unknown (no answer)'), 3000);
      }),
  );
}

export const scenarios: Scenario[] = [
  {
    name: 'four tabs share one socket and one handshake',
    async run(world) {
      const tabs = await world.open(4);
      await allInState(tabs, 'open');
      expect(world.backend.stats()).toMatchObject({ openSockets: 1, connections: 1, handshakes: 1 });
      const broker = await stats(tabs[3]!);
      expect(broker).toMatchObject({ tabs: 4, socketsOpened: 1 });
      for (const tab of tabs) expect(await tab.evaluate(() => window.harness.broker!.sharing)).toBe('worker');
      world.sharing('worker');
    },
  },
  {
    name: 'every event reaches every subscribed tab once',
    async run(world) {
      const [goals, everything, actions] = await world.open(3, { connect: '0' });
      await goals!.evaluate(() => window.harness.connect({ patterns: ['goal.*'] }));
      await everything!.evaluate(() => window.harness.connect({ patterns: ['*'] }));
      await actions!.evaluate(() => window.harness.connect({ patterns: ['action.created'] }));
      const tabs = [goals!, everything!, actions!];
      await allInState(tabs, 'open');
      await everything!.evaluate(async () => {
        await window.harness.rest('POST', '/api/goals', {});
        await window.harness.rest('POST', '/api/operations/actions', {});
      });
      const expected = [['goal.created'], ['goal.created', 'action.created'], ['action.created']];
      await eventually(async () => expect(await received(tabs)).toEqual(expected));
      // Nothing more arrives later: no duplicates from batching or retries.
      await pause(300);
      expect(await received(tabs)).toEqual(expected);
      expect(await stats(goals!)).toMatchObject({ eventsRelayed: 2, deliveries: 4 });
    },
  },
  {
    name: 'tabs closing down to one leave it receiving every event once, on one socket',
    async run(world) {
      const tabs = await world.open(4, withReplay(world));
      await allInState(tabs, 'open');
      const last = tabs[3]!;
      const worker = (await stats(last)).brokerId;
      for (const [i, tab] of tabs.slice(0, 3).entries()) {
        await tab.close();
        world.backend.emit('tenant-123', 'goal.created', { goalId: `after-close-${i}` });
      }
      await eventually(async () => expect((await stats(last)).tabs).toBe(1));
      await eventually(async () =>
        expect((await goalIds(last)).map((id) => id.replace('*', ''))).toEqual(['after-close-0', 'after-close-1', 'after-close-2']),
      );
      await eventually(async () => expect(world.backend.stats().openSockets).toBe(1));
      // Some engines end a SharedWorker with one of its tabs even though others remain: then the
      // tab re-attaches to a new worker, and that is one more connection, never more.
      const survived = (await stats(last)).brokerId === worker;
      if (!survived) {
        world.note('the SharedWorker can end while tabs remain (the last tab re-attaches to a new one)');
        expect(await transitions(last)).toContain('connecting:worker-lost');
      }
      expect(world.backend.stats().connections).toBe(survived ? 1 : 2);
    },
  },
  {
    name: 'a server drop is followed by one reconnect and events flow again',
    async run(world) {
      const tabs = await world.open(3);
      await allInState(tabs, 'open');
      world.backend.drop();
      await eventually(async () => expect(world.backend.stats().authSuccesses).toBe(2));
      await allInState(tabs, 'open');
      expect(world.backend.stats()).toMatchObject({ connections: 2, handshakes: 2, openSockets: 1 });
      await tabs[1]!.evaluate(() => window.harness.rest('POST', '/api/goals', {}));
      await eventually(async () => expect(await received(tabs)).toEqual(Array(3).fill(['goal.created'])));
      expect(await transitions(tabs[0]!)).toEqual(expect.arrayContaining(['backoff:socket-closed', 'open:auth-accepted']));
    },
  },
  {
    name: 'an expired token is refreshed once, by one tab, for all of them',
    async run(world) {
      const step = steps(world);
      const tabs = await world.open(3);
      step('3 tabs attached');
      await allInState(tabs, 'open');
      step('open');
      world.backend.expireTokens();
      await eventually(async () => expect(world.backend.stats().authSuccesses).toBe(2));
      step('authenticated again');
      await allInState(tabs, 'open');
      step('open again');
      expect(world.backend.stats()).toMatchObject({ refreshes: 1, openSockets: 1 });
      expect(await sum(tabs, (tab) => tab.evaluate(() => window.harness.refreshCalls))).toBe(1);
    },
  },
  {
    name: 'the log keeps what arrived and a later tab reads it with recent()',
    async run(world) {
      const [first] = await world.open(1);
      await allInState([first!], 'open');
      for (let i = 0; i < 5; i++) world.backend.emit('tenant-123', 'goal.created', { goalId: `g${i}` });
      world.backend.emit('tenant-123', 'issue.created', { issueId: 'i1' });
      await eventually(async () => expect(await first!.evaluate(() => window.harness.events.length)).toBe(6));
      const [later] = await world.open(1);
      const recent = await later!.evaluate(() => window.harness.broker!.recent({ type: 'goal.*', limit: 3 }));
      expect(recent.map((event) => (event.data as { goalId: string }).goalId)).toEqual(['g2', 'g3', 'g4']);
      expect((await stats(later!)).log).toMatchObject({ status: 'ok', size: 6 });
    },
  },
  {
    name: 'a gap is replayed in order, before live events, with one onResync per tab',
    async run(world) {
      const tabs = await world.open(3, withReplay(world));
      await missWhileDown(world, tabs, ['m1', 'm2', 'm3']);
      world.backend.setAccepting(true);
      await eventually(async () => expect(world.backend.stats().replayRequests).toBe(1), 20_000);
      world.backend.emit('tenant-123', 'goal.created', { goalId: 'live' });
      await eventually(async () => {
        for (const tab of tabs) {
          expect(await goalIds(tab)).toEqual(['before', 'm1*', 'm2*', 'm3*', 'live']);
          expect(await tab.evaluate(() => window.harness.resyncs)).toEqual([
            expect.objectContaining({ reason: 'reconnect', replayed: 3, complete: true }),
          ]);
        }
      }, 20_000);
      expect(world.backend.stats().replayRequests).toBe(1);
    },
  },
  {
    name: 'logout in one tab closes the connection in every tab',
    async run(world) {
      const tabs = await world.open(3);
      await allInState(tabs, 'open');
      await tabs[1]!.evaluate(() => window.harness.broker!.logout());
      await allInState(tabs, 'closed');
      for (const tab of tabs) expect(await tab.evaluate(() => window.harness.states.at(-1)?.reason)).toBe('logout');
      await eventually(async () => expect(world.backend.stats().openSockets).toBe(0));
    },
  },
  {
    name: 'without SharedWorker the tabs elect a leader, and another takes over when it closes',
    async run(world) {
      const tabs = await world.open(3, { connect: '0' });
      for (const tab of tabs) await connectWithoutSharedWorker(tab);
      await allInState(tabs, 'open');
      for (const tab of tabs) expect(await tab.evaluate(() => window.harness.broker!.sharing)).toBe('leader');
      expect(world.backend.stats()).toMatchObject({ openSockets: 1, handshakes: 1 });
      await tabs[2]!.evaluate(() => window.harness.rest('POST', '/api/goals', {}));
      await eventually(async () => expect(await received(tabs)).toEqual(Array(3).fill(['goal.created'])));
      const leader = await leaderOf(tabs);
      const rest = tabs.filter((tab) => tab !== leader);
      await leader.close();
      await eventually(async () => void (await leaderOf(rest)), 20_000);
      await allInState(rest, 'open');
      await eventually(async () => expect(world.backend.stats().openSockets).toBe(1));
      await rest[0]!.evaluate(() => window.harness.rest('POST', '/api/operations/issues', {}));
      await eventually(async () => {
        for (const types of await received(rest)) expect(types.at(-1)).toBe('issue.created');
      }, 20_000);
    },
  },
  {
    name: 'going offline parks the connection and coming back reconnects at once',
    needs: 'offline',
    async run(world) {
      const tabs = await world.open(2, { options: JSON.stringify({ reconnect: { minDelayMs: 10_000, maxDelayMs: 10_000 } }) });
      await allInState(tabs, 'open');
      await world.session.setOffline(true);
      await allInState(tabs, 'offline');
      await eventually(async () => expect(world.backend.stats().openSockets).toBe(0));
      const backAt = Date.now();
      await world.session.setOffline(false);
      await allInState(tabs, 'open');
      // Not after the 10 s backoff: at once.
      expect(Date.now() - backAt).toBeLessThan(5000);
      expect(world.backend.stats().openSockets).toBe(1);
    },
  },
  {
    name: 'a deploy: old tabs move to the new build’s worker, one socket, no event lost or doubled',
    async run(world) {
      const linger = { options: JSON.stringify({ lingerMs: 300 }) };
      const old = await world.open(2, linger);
      await allInState(old, 'open');
      const oldBuild = (await stats(old[0]!)).buildId;
      let n = 0;
      const stream = setInterval(() => world.backend.emit('tenant-123', 'goal.created', { goalId: `g${++n}` }), 50);
      let nextBuild: string;
      try {
        await pause(200);
        const fresh = await world.open(1, linger, '/next/');
        await allInState(fresh, 'open');
        nextBuild = (await stats(fresh[0]!)).buildId;
        expect(nextBuild).not.toBe(oldBuild);
        await eventually(async () => {
          for (const tab of old) expect((await stats(tab)).buildId).toBe(nextBuild);
        }, 20_000);
        await eventually(async () => expect(world.backend.stats().openSockets).toBe(1));
      } finally {
        clearInterval(stream);
      }
      world.backend.emit('tenant-123', 'goal.created', { goalId: `g${++n}` });
      for (const tab of old) {
        await eventually(async () => expect(await goalIds(tab)).toContain(`g${n}`));
        const seen = (await goalIds(tab)).map((id) => Number(id.replace(/\D/g, '')));
        expect(new Set(seen).size, 'no event twice').toBe(seen.length);
        const first = Math.min(...seen);
        expect([...seen].sort((a, b) => a - b), 'no event missing').toEqual(Array.from({ length: n - first + 1 }, (_, i) => first + i));
        expect(await tab.evaluate(() => window.harness.upgrades)).toEqual([expect.objectContaining({ buildId: nextBuild, mode: 'worker' })]);
      }
    },
  },
  {
    name: 'SSE: four tabs share one stream, and every event reaches each once',
    async run(world) {
      const tabs = await world.open(4, { connect: '0' });
      world.note(`EventSource in a SharedWorker: ${await eventSourceInSharedWorker(tabs[0]!)}`);
      for (const tab of tabs) await connectSse(tab, { minDelayMs: 200, maxDelayMs: 400 });
      await allInState(tabs, 'open');
      expect(await sseStats(world)).toMatchObject({ open: 1, streams: 1 });
      expect(world.backend.stats().connections).toBe(0);
      world.backend.emit('tenant-123', 'goal.created', { goalId: 'g1' });
      world.backend.emit('tenant-123', 'goal.created', { goalId: 'g2' });
      await eventually(async () => {
        for (const tab of tabs) expect(await goalIds(tab)).toEqual(['g1', 'g2']);
      });
      await pause(300);
      for (const tab of tabs) expect(await goalIds(tab)).toEqual(['g1', 'g2']);
    },
  },
  {
    name: 'SSE: a dropped stream resumes from the last event id, nothing lost or doubled',
    async run(world) {
      const tabs = await world.open(2, { connect: '0' });
      for (const tab of tabs) await connectSse(tab, { minDelayMs: 600, maxDelayMs: 800 });
      await allInState(tabs, 'open');
      world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
      await eventually(async () => {
        for (const tab of tabs) expect(await goalIds(tab)).toEqual(['before']);
      });
      await fetch(`${world.backend.httpUrl}/__control/sse/drop`, { method: 'POST' });
      // Sent while the broker waits out its backoff: only the resumed stream brings them.
      world.backend.emit('tenant-123', 'goal.created', { goalId: 'm1' });
      world.backend.emit('tenant-123', 'goal.created', { goalId: 'm2' });
      await eventually(async () => {
        for (const tab of tabs) expect(await tab.evaluate(() => window.harness.resyncs.length)).toBe(1);
      });
      for (const tab of tabs) {
        expect(await goalIds(tab)).toEqual(['before', 'm1', 'm2']);
        expect(await tab.evaluate(() => window.harness.resyncs[0])).toMatchObject({ reason: 'reconnect', complete: true });
      }
      const stream = await sseStats(world);
      expect(stream.streams).toBe(2);
      expect(stream.lastEventIds[1]).toMatch(/^\d+$/);
    },
  },
];

/** Behaviour that depends on how each engine runs a SharedWorker's life, its timers and storage. */
export const engineSpecific: Scenario[] = [
  {
    name: 'the only tab in the background: the keep-alive, run by the worker, keeps its pace',
    needs: 'background',
    async run(world) {
      // The smallest interval the options accept: several intervals fit in a few seconds.
      const keepAliveMs = 1000;
      const [only] = await world.open(1, { options: JSON.stringify({ keepAliveMs }) });
      await allInState([only!], 'open');
      const visibleBefore = await only!.evaluate(() => document.visibilityState);
      const how = await world.session.background(only!);
      expect(await only!.evaluate(() => document.visibilityState)).toBe('hidden');
      // Over the same stretch the server counts pings and the page counts its own 100 ms timer,
      // which shows whether the engine throttles the hidden page (a keep-alive in the page would slow with it).
      const pingsBefore = world.backend.stats().pings;
      const started = Date.now();
      const pageTicks = await only!.evaluate(async () => {
        let ticks = 0;
        const timer = setInterval(() => ticks++, 100);
        await new Promise((resolve) => setTimeout(resolve, 5000));
        clearInterval(timer);
        return ticks;
      });
      const overMs = Date.now() - started;
      const pings = world.backend.stats().pings - pingsBefore;
      const pageThrottled = pageTicks < overMs / 100 / 2;
      world.measured('background keep-alive', {
        backgrounded: how,
        hiddenEvenInFront: visibleBefore === 'hidden',
        keepAliveMs,
        overMs,
        pings,
        pageTimerTicks: pageTicks,
        pageTimerExpected: Math.floor(overMs / 100),
        pageThrottled,
      });
      // At the keep-alive's pace, with a quarter of slack for timer latency on a loaded machine.
      expect(pings).toBeGreaterThanOrEqual(Math.max(3, Math.floor(overMs / (keepAliveMs * 1.25))));
      expect(pings).toBeLessThanOrEqual(Math.ceil(overMs / keepAliveMs) + 1);
      expect(await only!.evaluate(() => window.harness.broker!.state)).toBe('open');
      expect(world.backend.stats()).toMatchObject({ openSockets: 1, connections: 1 });
    },
  },
  {
    name: 'the last tab closing and a new one opening: one socket, and nothing missed meanwhile',
    async run(world) {
      const query = withReplay(world, { lingerMs: 300 });
      const [only] = await world.open(1, query);
      await allInState([only!], 'open');
      world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
      await eventually(async () => expect(await goalIds(only!)).toEqual(['before']));
      await eventually(async () => expect((await stats(only!)).log.size).toBe(1));
      const before = (await stats(only!)).brokerId;
      await only!.close();
      // Past lingerMs: a worker still running has closed its socket by now.
      await eventually(async () => expect(world.backend.stats().openSockets).toBe(0));
      world.backend.emit('tenant-123', 'goal.created', { goalId: 'while-closed' });
      const [next] = await world.open(1, query);
      await allInState([next!], 'open');
      const after = await stats(next!);
      world.note(after.brokerId === before ? 'the SharedWorker outlives its last tab for a moment' : 'the SharedWorker ends when its last tab closes (the next tab starts a new one and replays what was missed)');
      // Either way the missed event comes back once, from the replay, with one resync.
      await eventually(async () => {
        expect(await goalIds(next!)).toEqual(['while-closed*']);
        expect(await next!.evaluate(() => window.harness.resyncs)).toEqual([expect.objectContaining({ replayed: 1, complete: true })]);
      }, 20_000);
      const tabs = [next!, ...(await world.open(1, query))];
      await allInState(tabs, 'open');
      await eventually(async () => expect(world.backend.stats().openSockets).toBe(1));
      expect((await stats(tabs[1]!)).tabs).toBe(2);
      const recent = await tabs[1]!.evaluate(() => window.harness.broker!.recent({}));
      expect(recent.map((event) => (event.data as { goalId: string }).goalId)).toEqual(['before', 'while-closed']);
    },
  },
  {
    name: 'the only tab reloading comes back open and receiving, with at most one new socket',
    async run(world) {
      const [only] = await world.open(1);
      await allInState([only!], 'open');
      const before = (await stats(only!)).brokerId;
      await only!.reload();
      await attached(only!);
      await allInState([only!], 'open');
      const after = await stats(only!);
      world.note(after.brokerId === before ? 'the SharedWorker survives a reload of its only tab' : 'the SharedWorker restarts when its only tab reloads');
      expect(world.backend.stats().connections).toBeLessThanOrEqual(2);
      await eventually(async () => expect(world.backend.stats().openSockets).toBe(1));
      await only!.evaluate(() => window.harness.rest('POST', '/api/goals', {}));
      await eventually(async () => expect(await received([only!])).toEqual([['goal.created']]));
    },
  },
  {
    name: 'IndexedDB unusable: the log degrades, everything else works',
    async run(world) {
      const tabs = await world.open(2, { connect: '0' });
      await blockIndexedDb(tabs[0]!);
      for (const tab of tabs) await tab.evaluate(() => window.harness.connect());
      await allInState(tabs, 'open');
      world.backend.emit('tenant-123', 'goal.created', { goalId: 'flows' });
      await eventually(async () => {
        for (const tab of tabs) expect(await goalIds(tab)).toEqual(['flows']);
      });
      expect((await stats(tabs[1]!)).log.status).toBe('degraded');
      expect(await tabs[0]!.evaluate(() => window.harness.errors.map((e) => e.code))).toContain('LOG_DEGRADED');
      expect(await tabs[1]!.evaluate(() => window.harness.broker!.recent({}))).toHaveLength(1);
      expect(world.backend.stats().openSockets).toBe(1);
    },
  },
];

export type { EngineName };
