/**
 * A broker running in Node against the mock backend, with the real WebSocket
 * adapter (the `ws` package), the real IndexedDB adapter on fake-indexeddb (a
 * fresh database per world) and fake tabs. Everything it starts, `dispose` stops.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { WebSocket } from 'ws';
import { type MockBackend, type MockBackendOptions, startMockBackend } from '../../demo/server/mock-backend.ts';
import type { BrokerConfig } from '../../src/link/messages.ts';
import { systemClock } from '../../src/broker/ports.ts';
import { Broker, type BrokerDeps, type StoreFactory } from '../../src/broker/broker.ts';
import { idbStores } from '../../src/broker/idb-store.ts';
import { webSocketTransport } from '../../src/broker/ws-transport.ts';
import { FakeLocks } from './fake-locks.ts';
import { FakeTab } from './fake-tab.ts';

/** Fast defaults for tests: short backoff, settle and linger. */
export const fastConfig: Partial<BrokerConfig> = {
  minDelayMs: 50,
  maxDelayMs: 200,
  resyncSettleMs: 100,
  lingerMs: 50,
  healthyAfterMs: 1000,
  tokenTimeoutMs: 500,
  handshakeTimeoutMs: 2000,
};

export interface World {
  backend: MockBackend;
  broker: Broker;
  locks: FakeLocks;
  factory: IDBFactory;
  /** Attach a new fake tab with the world's session. */
  tab(options?: { patterns?: string[]; online?: boolean; tenantId?: string; since?: string; resumed?: true } & Partial<BrokerConfig>): Promise<FakeTab>;
  /** A second broker on the same IndexedDB: a restarted worker. */
  restartBroker(): Broker;
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
    config?: Partial<BrokerConfig>;
    deps?: Partial<BrokerDeps>;
    stores?: StoreFactory;
    /** The session is a cookie (`session=<access token>`), sent on the upgrade and on fetches with credentials. */
    cookie?: boolean;
  } = {},
): Promise<World> {
  const backend = await startMockBackend(options.backend);
  const locks = new FakeLocks();
  const factory = new IDBFactory();
  let session = backend.login();
  const jar = options.cookie ? cookieJar(() => `session=${session.accessToken}`) : undefined;
  const brokers: Broker[] = [];
  const tabs: FakeTab[] = [];
  const makeBroker = () => {
    const broker = new Broker({
      clock: systemClock,
      random: Math.random,
      transport: webSocketTransport(WebSocket as never),
      stores: options.stores ?? idbStores({ factory }),
      locks,
      fetch: (input, init) => fetch(input, init),
      brokerId: `broker-${brokers.length + 1}`,
      brokerLock: `broker-${brokers.length + 1}`,
      buildId: 'test',
      baseUrl: backend.httpUrl,
      ...jar,
      ...options.deps,
    });
    brokers.push(broker);
    return broker;
  };
  let broker = makeBroker();
  const world: World = {
    backend,
    get broker() {
      return broker;
    },
    locks,
    factory,
    async tab(tabOptions = {}) {
      const tab = new FakeTab(
        async () => session.accessToken,
        async () => {
          const response = await fetch(`${backend.httpUrl}/auth/refresh`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ refreshToken: session.refreshToken }),
          });
          if (!response.ok) throw new Error(`refresh ${response.status}`);
          session = (await response.json()) as typeof session;
          return session.accessToken;
        },
      );
      tabs.push(tab);
      await tab.attach(broker, locks, { url: backend.wsUrl, ...fastConfig, ...options.config, ...tabOptions });
      return tab;
    },
    restartBroker() {
      broker = makeBroker();
      return broker;
    },
    login(tenantId, userId) {
      session = backend.login(tenantId, userId);
    },
    async dispose() {
      for (const tab of tabs) tab.die();
      for (const each of brokers) await each.shutdown();
      await backend.close();
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
