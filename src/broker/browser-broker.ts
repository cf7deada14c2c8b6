/**
 * A broker wired to the browser's real I/O: WebSocket, IndexedDB, Web Locks,
 * fetch. The SharedWorker entry, the leader tab and the in-page fallback all
 * start one here, so every host runs the same core and adapters.
 */
import { linkVersion } from '../link/messages.ts';
import { randomId } from '../link/random-id.ts';
import { systemClock } from './ports.ts';
import { Broker } from './broker.ts';
import type { BuildInfo } from './builds.ts';
import { idbStores } from './idb-store.ts';
import type { BackendProtocol } from './protocol/wire.ts';
import { webLocks } from './tabs.ts';
import { webSocketTransport } from './ws-transport.ts';

declare const __TABWIRE_BUILT_AT__: number | undefined;

/** When the code running here was built (ms), baked in by the build; 0 when run from source. */
export const builtAt: number = typeof __TABWIRE_BUILT_AT__ === 'number' ? __TABWIRE_BUILT_AT__ : 0;

export interface BrowserBroker {
  broker: Broker;
  brokerId: string;
  /** Held for the broker's life: tabs waiting on it learn at once when it dies. */
  brokerLock: string;
  /** Resolves once the lock is held; serve no tab before. */
  ready: Promise<void>;
  /** Shut the broker down and release its lock. */
  stop(): Promise<void>;
}

export function startBrowserBroker(
  build: { buildId: string; mode: BuildInfo['mode'] | 'none'; script?: string; name?: string },
  baseUrl: string,
  /** The backend's dialect in code (an app's own worker entry); else the config's. */
  protocol?: BackendProtocol,
): BrowserBroker {
  const brokerId = randomId();
  const brokerLock = `tabwire-broker:${brokerId}`;
  let release: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    // Without Web Locks (plain http) only a broker in the tab's own page runs: nobody waits on its lock.
    if (!navigator.locks) return resolve();
    void navigator.locks.request(brokerLock, () => {
      resolve();
      return new Promise<void>((done) => {
        release = done;
      });
    });
  });
  const broker = new Broker({
    clock: systemClock,
    random: () => Math.random(),
    transport: webSocketTransport(),
    stores: idbStores(),
    locks: webLocks,
    fetch: (input, init) => fetch(input, init),
    brokerId,
    brokerLock,
    buildId: build.buildId,
    baseUrl,
    ...(protocol ? { protocol } : {}),
    // A tab-local broker (sharing: 'none') has nobody to hand over to.
    ...(build.mode === 'none' ? {} : { build: { ...build, mode: build.mode, builtAt, linkVersion } }),
  });
  return {
    broker,
    brokerId,
    brokerLock,
    ready,
    async stop() {
      await broker.shutdown();
      release();
    },
  };
}
