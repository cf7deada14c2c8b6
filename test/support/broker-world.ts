/**
 * A broker running in Node against the mock backend, with the real WebSocket
 * adapter (the `ws` package), the real IndexedDB adapter on fake-indexeddb (a
 * fresh database per world), and real tabs: `connectTab` from src/tab/client.ts
 * in an environment wired to this world (test/support/tab-harness.ts). One
 * in-memory Web Locks serves the world: each broker's own lock is held while it
 * lives, tabs hold theirs, and brokers and tabs wait on each other's. Everything
 * it starts, `dispose` stops.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { WebSocket } from 'ws';
import { type MockBackend, type MockBackendOptions, startMockBackend } from '../../demo/server/mock-backend.ts';
import { systemClock } from '../../src/broker/ports.ts';
import type { Broker, BrokerDeps, StoreFactory } from '../../src/broker/broker.ts';
import { idbStores } from '../../src/broker/idb-store.ts';
import { webSocketTransport } from '../../src/broker/ws-transport.ts';
import { ChannelBus } from './fake-channels.ts';
import { FakeLockManager } from './fake-lock-manager.ts';
import { brokerFleet } from './broker-fleet.ts';
import type { BrokerStats } from '../../src/link/stats.ts';
import { type TabConfig, type TabOptions, type TabWiring, TestTab, attached, mergeOptions } from './tab-harness.ts';

export { TestTab };

/** Fast defaults for tests: short backoff, settle and linger. */
export const fastConfig: TabConfig = {
  reconnect: { minDelayMs: 50, maxDelayMs: 200 },
  resync: { settleMs: 100 },
  lingerMs: 50,
  healthyAfterMs: 1000,
  tokenTimeoutMs: 500,
  handshakeTimeoutMs: 2000,
};

export interface World {
  backend: MockBackend;
  /** The broker tabs attach to now (the SharedWorker of this world). */
  broker: Broker;
  locks: FakeLockManager;
  factory: IDBFactory;
  /** Every tab's reported app handler errors; `dispose` fails when there are any. */
  reports: unknown[];
  /** A real tab with the world's session, attached (its `ready` resolved). */
  tab(options?: TabOptions): Promise<TestTab>;
  /** A real tab, not waited for: for attaches that fail or fall back. */
  startTab(options?: TabOptions): TestTab;
  /**
   * The worker dies and a new one takes its place on the same IndexedDB: the old broker's lock
   * is released (its tabs hear it and re-attach, to the new one) and it is shut down.
   */
  restartBroker(): Promise<Broker>;
  login(tenantId?: string, userId?: string): void;
  dispose(): Promise<void>;
}

/**
 * What a browser's cookie jar does for a session cookie: the upgrade request always carries it,
 * a fetch only when asked with `credentials: 'include'`.
 */
function cookieJar(cookie: () => string) {
  class CookieWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { headers: { Cookie: cookie() } });
    }
  }
  const withCookies: typeof fetch = (input, init) => {
    if (init?.credentials !== 'include') return fetch(input, init);
    return fetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), Cookie: cookie() } });
  };
  return { transport: webSocketTransport(CookieWebSocket as never), fetch: withCookies };
}

export async function createWorld(
  options: {
    backend?: MockBackendOptions;
    /** Connect options every tab of this world passes (over `fastConfig`; a tab's own go over these). */
    config?: TabConfig;
    deps?: Partial<BrokerDeps>;
    stores?: StoreFactory;
    /** The session is a cookie (`session=<access token>`), sent on the upgrade and on fetches with credentials. */
    cookie?: boolean;
  } = {},
): Promise<World> {
  const backend = await startMockBackend(options.backend);
  const locks = new FakeLockManager();
  const bus = new ChannelBus();
  const factory = new IDBFactory();
  let session = backend.login();
  const jar = options.cookie ? cookieJar(() => `session=${session.accessToken}`) : undefined;
  const tabs: TestTab[] = [];
  const reports: unknown[] = [];
  const fleet = brokerFleet(locks, 'broker', () => ({
    clock: systemClock,
    random: Math.random,
    transport: webSocketTransport(WebSocket as never),
    stores: options.stores ?? idbStores({ factory }),
    locks,
    fetch: (input, init) => fetch(input, init),
    buildId: 'test',
    baseUrl: backend.httpUrl,
    // As the SharedWorker batches: events wait two task hops from two tabs up.
    batchAtTaskEndUpTo: 1,
    ...jar,
    ...options.deps,
  }));
  const wiring: TabWiring = {
    locks,
    bus,
    broker: () => fleet.current,
    ownBroker(buildId) {
      // As localHost: a broker of this page's own build, stopped when the tab leaves it.
      const own = fleet.make({ buildId, build: undefined });
      return { broker: own.broker, stop: () => void fleet.stop(own) };
    },
    token: () => session.accessToken,
    async refresh() {
      const response = await fetch(`${backend.httpUrl}/auth/refresh`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refreshToken: session.refreshToken }),
      });
      if (!response.ok) throw new Error(`refresh ${response.status}`);
      session = (await response.json()) as typeof session;
      return session.accessToken;
    },
    reports,
  };
  const startTab = (tabOptions: TabOptions = {}) => {
    const tab = new TestTab(wiring, mergeOptions<TabOptions>({ url: backend.wsUrl }, fastConfig, options.config, tabOptions));
    tabs.push(tab);
    return tab;
  };
  const world: World = {
    backend,
    get broker() {
      return fleet.current;
    },
    locks,
    factory,
    reports,
    startTab,
    tab: (tabOptions) => attached(startTab(tabOptions)),
    restartBroker: () => fleet.restart(),
    login(tenantId, userId) {
      session = backend.login(tenantId, userId);
    },
    async dispose() {
      for (const tab of tabs) tab.crash();
      for (const entry of fleet.all) {
        entry.release();
        await entry.broker.shutdown();
      }
      await backend.close();
      if (reports.length > 0) throw new Error(`an app handler threw in a tab: ${reports.map(String).join('; ')}`);
    },
  };
  return world;
}

/** Poll until `check` stops throwing. */
export async function until(check: () => void | Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** The world's broker's `stats()`, typed. */
export const worldStats = (w: World): Promise<BrokerStats> => w.broker.stats() as Promise<BrokerStats>;

/** Tab options that replay gaps through the mock's events-since endpoint. */
export const replayConfig = (w: World) => ({ resync: { eventsSinceUrl: `${w.backend.httpUrl}/api/events` } });

/** The goal ids a tab received, in order, a replayed one marked `*`. */
export const goalIds = (tab: TestTab): string[] => tab.events.map((e) => `${String(e.data.goalId)}${e.replayed ? '*' : ''}`);

