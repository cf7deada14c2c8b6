/**
 * The world a model-based test drives: the real Broker with the real WebSocket
 * adapter, against the mock backend, on a fresh fake-indexeddb, with real tabs
 * (`connectTab` from src/tab/client.ts, through test/support/tab-harness.ts).
 * Unlike broker-world it records, on the broker's side of the socket, which
 * token every connection authenticated with and what the broker wrote on it,
 * keeps a timeline of every event each tab received, can make the app's token
 * refresh slow, and can make the next replay answer stall half-way through its
 * body or carry extra entries. Its faults of the browser: the log off, IndexedDB
 * unavailable or failing from some moment on, the broker's wall clock off the
 * server's, and handshakes without the server's timestamp. Everything it starts,
 * `dispose` stops.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { WebSocket } from 'ws';
import { type MockBackend, startMockBackend } from '../../demo/server/mock-backend.ts';
import type { ResyncSignal } from '../../src/link/states.ts';
import type { RealtimeEvent } from '../../src/link/events.ts';
import type { BrokerConfig } from '../../src/link/messages.ts';
import { type EventStore, type TransportFactory, systemClock } from '../../src/broker/ports.ts';
import type { Broker, StoreFactory } from '../../src/broker/broker.ts';
import { idbStores } from '../../src/broker/idb-store.ts';
import { webSocketTransport } from '../../src/broker/ws-transport.ts';
import type { BuildInfo } from '../../src/broker/builds.ts';
import { linkVersion } from '../../src/link/messages.ts';
import type { HostRequest } from '../../src/tab/environment.ts';
import { hostName } from '../../src/link/host-name.ts';
import { resolveConfig } from '../../src/tab/options.ts';
import { ChannelBus } from './fake-channels.ts';
import { FakeLockManager } from './fake-lock-manager.ts';
import { type FleetEntry, brokerFleet } from './broker-fleet.ts';
import { type TabConfig, type TabWiring, TestTab, attached, mergeOptions } from './tab-harness.ts';

/** A tab that stopped reading counts as stalled after this long without an acknowledgement, in ms: short, so the model reaches the drop. */
const modelTabStallMs = 100;

/** Who a token belongs to. */
export interface Identity {
  tenantId: string;
  userId: string;
}

export const sameIdentity = (a: Identity | undefined, b: Identity | undefined): boolean =>
  a !== undefined && b !== undefined && a.tenantId === b.tenantId && a.userId === b.userId;

/** One socket the broker opened, as seen from the broker's side. */
export interface RecordedConnection {
  index: number;
  openedAt: number;
  /** Every auth frame written on it, with the identity of its token (undefined: a token the world never issued). */
  auths: Array<{ at: number; token: string; identity: Identity | undefined }>;
  /** What the server said this connection is, from its auth.success. */
  accepted: Identity | undefined;
  acceptedAt: number | undefined;
  /** Frames the broker wrote after its auth frame, except keep-alive pings. */
  upstream: Array<{ at: number; frame: Record<string, unknown> }>;
}

/** An event as a tab received it, and when. */
export interface Received {
  at: number;
  event: RealtimeEvent;
}

/** A real tab whose events and resyncs carry their arrival times. */
export interface ModelTab {
  tab: TestTab;
  attachedAt: number;
  patterns: string[];
  closed: boolean;
  /** How it closed: it left (`close()`, its calls settle) or crashed (nothing of it settles). */
  closedHow?: 'leave' | 'crash';
  received: Received[];
  resyncs: Array<{ at: number; signal: ResyncSignal }>;
}

/** Tight timings, so one short sequence of actions runs in a fraction of a second. */
export const modelConfig: TabConfig = {
  reconnect: { minDelayMs: 5, maxDelayMs: 30 },
  resync: { settleMs: 20, timeoutMs: 200 },
  lingerMs: 20,
  healthyAfterMs: 200,
  tokenTimeoutMs: 300,
  handshakeTimeoutMs: 1000,
  maxBufferedMessages: 4,
  log: { maxEvents: 8 },
};

/**
 * Where the broker keeps its log: `on`, IndexedDB; `off`, `log: { enabled: false }`;
 * `unavailable`, every IndexedDB open fails (a private window).
 */
export type StorageMode = 'on' | 'off' | 'unavailable';

export interface ModelWorldOptions {
  replay: boolean;
  config?: TabConfig;
  /** @default 'on' */
  storage?: StorageMode;
  /** How far the browser's wall clock (the broker's `now()`) runs ahead of the server's, in ms; negative: behind. @default 0 */
  clockSkewMs?: number;
  /** Whether the server's auth.success carries its `timestamp` (docs/protocol.md lets it leave it out). @default true */
  handshakeTimestamp?: boolean;
  /**
   * Another app on the same origin and socket URL, with its own build (`app-two`, built later, so it
   * announces itself as newer), replay URL and user (`otherApp.identity`), one tab of it open throughout.
   * @default false
   */
  secondApp?: boolean;
}

/** The second app of `ModelWorldOptions.secondApp`, as the checks see it. */
export interface OtherApp {
  identity: Identity;
  /** The sockets its brokers opened. */
  connections: RecordedConnection[];
}

export interface ModelWorld {
  readonly backend: MockBackend;
  /** The broker tabs attach to now. */
  readonly broker: Broker;
  /** The broker's config as the tabs' options resolve to it (its bounds are checked). */
  readonly config: BrokerConfig;
  readonly tabs: ModelTab[];
  readonly connections: RecordedConnection[];
  /** The second app, when there is one. */
  readonly otherApp: OtherApp | undefined;
  /** Tabs of one app attached to a broker of the other app now (a broker refusing them is not a crossing). */
  crossings(): string[];
  /** The identity the app is logged in as, or undefined after a logout. */
  readonly identity: Identity | undefined;
  openTab(patterns: string[]): Promise<ModelTab>;
  /** The tab leaves (`close()`) or dies (no detach, its lock released by the browser). */
  closeTab(tab: ModelTab, how: 'leave' | 'crash'): void;
  /** The worker is killed: its lock goes, its tabs re-attach to the next one, on the same IndexedDB. */
  workerDies(): Promise<void>;
  /** The app logs in: tabs hand out this identity's tokens from now on. */
  login(identity: Identity): void;
  /** The app logged out: tabs refuse to give tokens until the next login. */
  loggedOut(): void;
  /** How long the app's refreshToken takes from now on. */
  setRefreshDelay(ms: number): void;
  /** The next events-since answer sends half its body, then nothing more until disposed. */
  stallNextReplay(): void;
  /** The next events-since answer that succeeds carries these entries too, after the server's own. */
  addToNextReplay(entries: unknown[]): void;
  /** IndexedDB fails from now on (opens, reads and writes): the log degrades to memory. */
  storageFails(): void;
  dispose(): Promise<void>;
}

export async function createModelWorld(options: ModelWorldOptions): Promise<ModelWorld> {
  const { storage = 'on', clockSkewMs = 0, handshakeTimestamp = true } = options;
  const backend = await startMockBackend({ replayCapacity: 200 });
  const locks = new FakeLockManager();
  const bus = new ChannelBus();
  const reports: unknown[] = [];
  const factory = new IDBFactory();
  const owners = new Map<string, Identity>();
  const connections: RecordedConnection[] = [];
  const tabs: ModelTab[] = [];
  const stalled: Array<ReadableStreamDefaultController<Uint8Array>> = [];
  let stallNext = false;
  let addNext: unknown[] | undefined;
  let storageFailing = storage === 'unavailable';
  let refreshDelayMs = 0;
  let identity: Identity | undefined;
  let session: { accessToken: string; refreshToken: string } | undefined;

  const issue = (who: Identity) => {
    const issued = backend.login(who.tenantId, who.userId);
    owners.set(issued.accessToken, who);
    return issued;
  };

  const tabConfig = mergeOptions<TabConfig>(
    { url: backend.wsUrl },
    modelConfig,
    options.replay ? { resync: { eventsSinceUrl: `${backend.httpUrl}/api/events` } } : undefined,
    storage === 'off' ? { log: { enabled: false } } : undefined,
    options.config,
  );
  const config = resolveConfig({ ...tabConfig, url: backend.wsUrl, getToken: () => '' });

  /** Brokers (SharedWorkers) on the world's IndexedDB, each holding its own lock while it lives. */
  // Each broker (a SharedWorker) its own connection to the origin's IndexedDB.
  const stores = () => failingStores(idbStores({ factory }), () => storageFailing);
  const clock = { ...systemClock, now: () => Date.now() + clockSkewMs };
  const appTwo = 'app-two';
  /** How a build announces itself when two apps share the origin; the later `builtAt` is the newer. */
  const buildInfo = (buildId: string, builtAt: number, app: BrokerConfig): BuildInfo => ({ buildId, builtAt, mode: 'worker', script: `/${buildId}/worker.js`, name: hostName(buildId, app), linkVersion });
  const fleet = brokerFleet(locks, 'broker-model', () => ({
    ...(options.secondApp ? { build: buildInfo('test', 1, config) } : {}),
    clock,
    random: Math.random,
    transport: recordingTransport(webSocketTransport(WebSocket as never), connections, owners, handshakeTimestamp),
    stores: stores(),
    locks,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes('/api/events')) return response;
      if (stallNext) {
        stallNext = false;
        return stallHalfWay(response, stalled);
      }
      if (!addNext || !response.ok) return response;
      const entries = addNext;
      addNext = undefined;
      return withEntries(response, entries);
    },
    buildId: 'test',
    baseUrl: backend.httpUrl,
    // As the SharedWorker batches: events wait two task hops from two tabs up.
    batchAtTaskEndUpTo: 1,
    tabStallMs: modelTabStallMs,
  }));

  // The app's token functions, as a tab would run them: the current session's token, and a
  // refresh that posts the refresh token it had when it started (a slow one may finish late).
  const getToken = async (): Promise<string> => session?.accessToken ?? 'no-session';
  const refreshToken = async (): Promise<string | undefined> => {
    const started = session;
    if (!started) return undefined;
    if (refreshDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, refreshDelayMs));
    const response = await fetch(`${backend.httpUrl}/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refreshToken: started.refreshToken }),
    });
    if (!response.ok) return undefined;
    const fresh = (await response.json()) as { accessToken: string; refreshToken: string; tenantId: string; userId: string };
    owners.set(fresh.accessToken, { tenantId: fresh.tenantId, userId: fresh.userId });
    // Only the session that asked is updated: a refresh finishing after a logout changes nothing in the app.
    if (session === started) session = fresh;
    return fresh.accessToken;
  };

  const otherConnections: RecordedConnection[] = [];
  const otherTabConfig = mergeOptions<TabConfig>({ url: backend.wsUrl, buildId: appTwo }, modelConfig, { resync: { eventsSinceUrl: `${backend.httpUrl}/api/events?app=two` } });
  // The second app's workers: same origin, IndexedDB, locks and socket URL; its own build and replay URL.
  const otherFleet = options.secondApp
    ? brokerFleet(locks, 'broker-app-two', () => ({
        build: buildInfo(appTwo, 2, resolveConfig({ ...otherTabConfig, url: backend.wsUrl, getToken: () => '' })),
        clock,
        random: Math.random,
        transport: recordingTransport(webSocketTransport(WebSocket as never), otherConnections, owners, handshakeTimestamp),
        stores: stores(),
        locks,
        fetch: (input, init) => fetch(input, init),
        buildId: appTwo,
        baseUrl: backend.httpUrl,
        batchAtTaskEndUpTo: 1,
        tabStallMs: modelTabStallMs,
      }))
    : undefined;
  /** A SharedWorker is found by its name, which carries the build: each app's tabs reach their own app's workers, unless they move. */
  const brokerFor = (request: HostRequest): Broker => {
    const toOther = otherFleet !== undefined && request.target.buildId === appTwo;
    return toOther ? otherFleet!.current : fleet.current;
  };

  const wiring: TabWiring = {
    locks,
    bus,
    broker: brokerFor,
    ownBroker: () => {
      throw new Error('the model world has one broker: no tab falls back to its own');
    },
    token: getToken,
    refresh: refreshToken,
    reports,
  };

  const otherIdentity: Identity = { tenantId: 'tenant-two', userId: 'user-two' };
  const otherTab = otherFleet ? await openOtherAppTab() : undefined;
  async function openOtherAppTab(): Promise<TestTab> {
    const session = issue(otherIdentity);
    return attached(new TestTab({ ...wiring, token: () => session.accessToken, refresh: async () => session.accessToken }, otherTabConfig));
  }

  const tokensGiven = (tab: TestTab) => {
    tab.tokenBehaviour = identity ? 'answer' : 'refuse';
    tab.refreshBehaviour = identity ? 'answer' : 'refuse';
  };

  return {
    backend,
    get broker() {
      return fleet.current;
    },
    config,
    tabs,
    connections,
    otherApp: otherFleet ? { identity: otherIdentity, connections: otherConnections } : undefined,
    crossings() {
      if (!otherFleet || !otherTab) return [];
      const appOne = new Set(tabs.map((model) => model.tab.tabId));
      const across = (entries: readonly FleetEntry[], theirs: (id: string) => boolean, build: string) =>
        entries.flatMap(({ broker }) => [...broker.tabs.all()].filter((tab) => theirs(tab.id)).map((tab) => `tab ${tab.id} of one app attached to a broker of build ${build}`));
      return [...across(otherFleet.all, (id) => appOne.has(id), appTwo), ...across(fleet.all, (id) => id === otherTab.tabId, 'test')];
    },
    get identity() {
      return identity;
    },
    async openTab(patterns) {
      const tab = new TestTab(wiring, { ...tabConfig, patterns });
      tokensGiven(tab);
      const model: ModelTab = { tab, attachedAt: 0, patterns, closed: false, received: [], resyncs: [] };
      timestamp(tab.events, (event) => model.received.push({ at: Date.now(), event }));
      timestamp(tab.resyncs, (signal) => model.resyncs.push({ at: Date.now(), signal }));
      tabs.push(model);
      await attached(tab);
      model.attachedAt = Date.now();
      return model;
    },
    closeTab(model, how) {
      model.closed = true;
      model.closedHow = how;
      if (how === 'leave') model.tab.close();
      else model.tab.crash();
    },
    async workerDies() {
      await fleet.restart();
    },
    login(who) {
      identity = who;
      session = issue(who);
      for (const model of tabs) if (!model.closed) tokensGiven(model.tab);
    },
    loggedOut() {
      identity = undefined;
      session = undefined;
      for (const model of tabs) if (!model.closed) tokensGiven(model.tab);
    },
    setRefreshDelay(ms) {
      refreshDelayMs = ms;
    },
    stallNextReplay() {
      stallNext = true;
    },
    addToNextReplay(entries) {
      addNext = [...(addNext ?? []), ...entries];
    },
    storageFails() {
      storageFailing = true;
    },
    async dispose() {
      for (const model of tabs) model.tab.crash();
      otherTab?.crash();
      for (const controller of stalled) controller.error(new Error('world disposed'));
      for (const entry of [...fleet.all, ...(otherFleet?.all ?? [])]) {
        entry.release();
        await entry.broker.shutdown();
      }
      await backend.close();
      if (reports.length > 0) throw new Error(`an app handler threw in a tab: ${reports.map(String).join('; ')}`);
    },
  };
}

/** Call `onPush` for every item pushed onto `list` (a TestTab keeps its records in plain arrays). */
function timestamp<T>(list: T[], onPush: (item: T) => void): void {
  const push = list.push.bind(list);
  list.push = (...items: T[]) => {
    for (const item of items) onPush(item);
    return push(...items);
  };
}

/** Wrap a transport to record, per connection, the tokens and frames the broker wrote and the identity the server accepted. */
function recordingTransport(inner: TransportFactory, connections: RecordedConnection[], owners: Map<string, Identity>, handshakeTimestamp: boolean): TransportFactory {
  return (url, handlers) => {
    const record: RecordedConnection = { index: connections.length, openedAt: Date.now(), auths: [], accepted: undefined, acceptedAt: undefined, upstream: [] };
    connections.push(record);
    const transport = inner(url, {
      onOpen: () => handlers.onOpen(),
      onMessage: (data) => {
        const frame = parseObject(data);
        if (frame?.type === 'auth.success' && typeof frame.data === 'object' && frame.data !== null) {
          const data = frame.data as Record<string, unknown>;
          record.accepted = { tenantId: String(data.tenantId), userId: String(data.userId) };
          record.acceptedAt = Date.now();
          if (!handshakeTimestamp) {
            delete frame.timestamp;
            return handlers.onMessage(JSON.stringify(frame));
          }
        }
        handlers.onMessage(data);
      },
      onClose: (code, reason) => handlers.onClose(code, reason),
    });
    return {
      send(text) {
        const frame = parseObject(text);
        if (frame?.action === 'auth') record.auths.push({ at: Date.now(), token: String(frame.token), identity: owners.get(String(frame.token)) });
        else if (frame && frame.action !== 'ping') record.upstream.push({ at: Date.now(), frame });
        transport.send(text);
      },
      close(code, reason) {
        transport.close(code, reason);
      },
    };
  };
}

function parseObject(data: unknown): Record<string, unknown> | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const value = JSON.parse(data) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The same events-since answer with `entries` after the server's own. */
async function withEntries(response: Response, entries: unknown[]): Promise<Response> {
  const listed = (await response.json()) as unknown[];
  return new Response(JSON.stringify([...listed, ...entries]), { status: response.status, headers: { 'Content-Type': 'application/json' } });
}

/** Stores that fail, as a broken or missing IndexedDB does, whenever `failing()` says so: opens, reads and writes. */
function failingStores(inner: StoreFactory, failing: () => boolean): StoreFactory {
  const refuse = () => Promise.reject(new Error('IndexedDB is not available (model fault)'));
  const guarded = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => (...args: A): Promise<R> => (failing() ? refuse() : call(...args));
  const failingStore = (store: EventStore): EventStore => ({
    append: guarded((...args) => store.append(...args)),
    recent: guarded((...args) => store.recent(...args)),
    keysSince: guarded((...args) => store.keysSince(...args)),
    lastSeen: guarded(() => store.lastSeen()),
    count: guarded(() => store.count()),
    wipe: guarded(() => store.wipe()),
    close: () => store.close(),
    // What IndexedDB refused to clone, which the log counts.
    get refused() {
      return (store as { refused?: number }).refused;
    },
  } as EventStore);
  return {
    open: guarded(async (ns, policy) => failingStore(await inner.open(ns, policy))),
    wipePrefix: guarded((prefix) => inner.wipePrefix(prefix)),
  };
}

/** The same response, but its body stops half-way and never finishes (until the world is disposed). */
async function stallHalfWay(response: Response, stalled: Array<ReadableStreamDefaultController<Uint8Array>>): Promise<Response> {
  const body = new Uint8Array(await response.arrayBuffer());
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(body.slice(0, Math.floor(body.length / 2)));
      stalled.push(controller);
    },
  });
  return new Response(stream, { status: response.status, headers: response.headers });
}

export type { RealtimeEvent };
