/**
 * Two builds of one app side by side over the fake channel backend, as after a deploy: the
 * old build's SharedWorker and the new one's, each announcing its build (`BuildRadio`, on the
 * origin-wide BroadcastChannel), so a tab of the old build hears of the new one and moves there
 * by the real upgrade path (`upgrade: 'auto'`). A tab reaches the broker of the build it asks
 * for, as a SharedWorker is found by its name. Everything it starts, `dispose` stops.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { WebSocket } from 'ws';
import { type Transport, type TransportFactory, systemClock } from '../../src/broker/ports.ts';
import type { Broker } from '../../src/broker/broker.ts';
import type { BuildInfo } from '../../src/broker/builds.ts';
import { idbStores } from '../../src/broker/idb-store.ts';
import { webSocketTransport } from '../../src/broker/ws-transport.ts';
import type { ChannelProtocol } from '../../src/broker/protocol/channel-dialect.ts';
import { hostName } from '../../src/link/host-name.ts';
import { linkVersion } from '../../src/link/messages.ts';
import { resolveConfig } from '../../src/tab/options.ts';
import { expect } from 'vitest';
import type { ChannelResync } from '../../src/tab/channels.ts';
import { fastConfig, until } from './broker-world.ts';
import { type BrokerFleet, brokerFleet } from './broker-fleet.ts';
import { type ChannelServer, type ChannelServerOptions, startChannelServer } from './channel-server.ts';
import { ChannelBus } from './fake-channels.ts';
import { fakeChannelDialect } from './fake-channel-dialect.ts';
import { FakeLockManager } from './fake-lock-manager.ts';
import { type TabOptions, type TabWiring, TestTab, attached, mergeOptions } from './tab-harness.ts';

/** The old build, which every tab starts on, and the newer one deployed after it. */
export const oldBuild = 'build-old';
export const newBuild = 'build-new';

export interface MoveWorld {
  server: ChannelServer;
  /** The old build's broker and the new one's (started by the first tab that asks for it). */
  readonly old: Broker;
  readonly next: Broker;
  /** A tab of the old build, attached (it moves by itself once the new build is live). */
  tab(options?: TabOptions): Promise<TestTab>;
  /** A page of the new build opens: its broker starts, and the old one hears of it. */
  deploy(): Promise<TestTab>;
  /** The old build's broker dies as a browser kills a worker: its lock released, then it shuts down. */
  loseOld(): Promise<void>;
  dispose(): Promise<void>;
}

export interface MoveWorldOptions {
  server?: ChannelServerOptions;
  /** @default fakeChannelDialect({ recovers: true }) */
  protocol?: ChannelProtocol;
  /** The new build's socket never opens (its URL refuses): a tab's move to it times out. @default false */
  nextNeverOpens?: boolean;
  /** The new build's socket starts only this long after it is asked for (a slow network), in ms; below the handshake's bound (2 s). @default 0 */
  nextOpensAfterMs?: number;
  /** Options of every tab (over the world's). */
  tabs?: TabOptions;
}

export async function createMoveWorld(options: MoveWorldOptions = {}): Promise<MoveWorld> {
  const server = await startChannelServer(options.server);
  const protocol = options.protocol ?? fakeChannelDialect({ recovers: true });
  const locks = new FakeLockManager();
  const factory = new IDBFactory();
  const tabConfig = mergeOptions<TabOptions>({ url: server.url, upgrade: 'auto', channelLingerMs: 1000 }, fastConfig, options.tabs);
  const config = resolveConfig({ ...tabConfig, url: server.url, getToken: () => '' });
  const buildInfo = (buildId: string, builtAt: number): BuildInfo => ({ buildId, builtAt, mode: 'worker', script: `/${buildId}/worker.js`, name: hostName(buildId, config), linkVersion });
  // Port 9 (discard) refuses on loopback: the socket closes and the broker backs off, never open.
  const nowhere: TransportFactory = (_url, handlers, transportOptions) => webSocketTransport(WebSocket as never)('ws://127.0.0.1:9', handlers, transportOptions);
  const late =
    (delayMs: number): TransportFactory =>
    (url, handlers, transportOptions) => {
      let socket: Transport | undefined;
      let closed = false;
      const timer = setTimeout(() => (socket = closed ? undefined : webSocketTransport(WebSocket as never)(url, handlers, transportOptions)), delayMs);
      return {
        send: (frame) => socket?.send(frame),
        close(code, reason) {
          closed = true;
          clearTimeout(timer);
          socket?.close(code, reason);
        },
      };
    };
  const fleetOf = (buildId: string, builtAt: number): BrokerFleet =>
    brokerFleet(locks, `broker-${buildId}`, () => ({
      build: buildInfo(buildId, builtAt),
      clock: systemClock,
      random: Math.random,
      transport: buildId !== newBuild ? webSocketTransport(WebSocket as never) : options.nextNeverOpens ? nowhere : late(options.nextOpensAfterMs ?? 0),
      stores: idbStores({ factory }),
      locks,
      fetch: (input, init) => fetch(input, init),
      buildId,
      baseUrl: 'http://127.0.0.1:9',
      batchAtTaskEndUpTo: 1,
      protocol,
    }));
  const fleets = new Map([
    [oldBuild, fleetOf(oldBuild, 1)],
    [newBuild, fleetOf(newBuild, 2)],
  ]);
  const fleet = (buildId: string) => fleets.get(buildId) ?? fleets.get(oldBuild)!;
  const tabs: TestTab[] = [];
  const reports: unknown[] = [];
  const wiring: TabWiring = {
    locks,
    bus: new ChannelBus(),
    broker: (request) => fleet(request.target.buildId).current,
    ownBroker: () => {
      throw new Error('the move world has a SharedWorker per build: no tab falls back to its own');
    },
    token: () => 'a-token',
    refresh: async () => 'a-token',
    reports,
  };
  const tab = (buildId: string, tabOptions: TabOptions = {}) => {
    const made = new TestTab(wiring, mergeOptions<TabOptions>(tabConfig, { buildId }, tabOptions));
    tabs.push(made);
    return attached(made);
  };
  return {
    server,
    get old() {
      return fleet(oldBuild).current;
    },
    get next() {
      return fleet(newBuild).current;
    },
    tab: (tabOptions) => tab(oldBuild, tabOptions),
    deploy: () => tab(newBuild),
    loseOld: () => fleet(oldBuild).stop(fleet(oldBuild).all.at(-1)!),
    async dispose() {
      for (const made of tabs) made.crash();
      for (const entries of fleets.values()) {
        for (const entry of entries.all) {
          entry.release();
          await entry.broker.shutdown();
        }
      }
      await server.close();
      if (reports.length > 0) throw new Error(`an app handler threw in a tab: ${reports.map(String).join('; ')}`);
    },
  };
}

/** `tab` holds the channel `feed`, recording its messages and resyncs, once it is subscribed. */
export async function watchFeed(tab: TestTab) {
  const handle = tab.broker.channel<string>('feed');
  const seen: string[] = [];
  const resyncs: ChannelResync[] = [];
  handle.on((message) => seen.push(message));
  handle.onResync((signal) => resyncs.push(signal));
  await until(() => expect(handle.state).toBe('subscribed'));
  return { handle, seen, resyncs };
}
