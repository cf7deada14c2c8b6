/**
 * Pages electing a leader in Node: they share a fake lock manager, a bus of
 * in-memory BroadcastChannels and one fake clock; each leader runs a real
 * Broker whose socket never opens (the election is under test, not the
 * connection). A follower attaches over the leader's channels with the same
 * control plane as src/tab/client.ts, and holds a tab lock the broker watches.
 */
import { type AttachReply, type AttachRequest, linkVersion } from '../../src/link/messages.ts';
import type { Host } from '../../src/tab/hosts/host.ts';
import { leaderHost } from '../../src/tab/hosts/leader.ts';
import type { ProtocolLoader } from '../../src/tab/hosts/page-protocol.ts';
import type { LeaderBroker, LeaderDeps } from '../../src/tab/hosts/leader-deps.ts';
import { resolveConfig } from '../../src/tab/options.ts';
import { createControlClient } from '../../src/tab/control-client.ts';
import type { BackendProtocol } from '../../src/broker/protocol/wire.ts';
import { Broker } from '../../src/broker/broker.ts';
import { MemoryEventStore } from '../../src/broker/memory-store.ts';
import { ChannelBus, type FakePage } from './fake-channels.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeLockManager } from './fake-lock-manager.ts';

export const hostName = 'tabwire|b1|wss://api.test/realtime';
export const leaderLock = `${hostName}|leader`;

export interface Page extends FakePage {
  readonly id: string;
  readonly deps: LeaderDeps;
  /** Brokers this page started as leader, with whether they were stopped since and the dialect in code they were given. */
  readonly brokers: Array<{ brokerId: string; broker: Broker; stopped: boolean; protocol?: BackendProtocol }>;
  /** This page runs a broker it has not stopped: it leads (or is about to). */
  leads(): boolean;
}

export class LeaderWorld {
  readonly clock = new FakeClock();
  readonly locks = new FakeLockManager();
  readonly bus = new ChannelBus();
  /** The tab locks brokers watch to learn that a tab died. */
  readonly tabLocks = new FakeLockManager();
  readonly pages: Page[] = [];

  /** A page; `random` places its jitter (followers that suspect together spread out by it). */
  page(options: { random?: number } = {}): Page {
    const fake = this.bus.page();
    const brokers: Page['brokers'] = [];
    const id = `page-${this.pages.length + 1}`;
    const deps: LeaderDeps = {
      locks: this.locks,
      Channel: fake.Channel,
      clock: this.clock,
      random: () => options.random ?? 0.5,
      startBroker: (buildId, protocol) => this.#startBroker(id, buildId, brokers, protocol),
    };
    const page: Page = Object.assign(fake, { id, deps, brokers, leads: () => brokers.some((each) => !each.stopped) });
    this.pages.push(page);
    return page;
  }

  /**
   * A tab of `page` finds the leader (standing as candidate unless `follower`), as src/tab/client.ts
   * does; `pageProtocol`: the dialect in code a broker this page leads starts with.
   */
  host(page: Page, tabId: string, options: { follower?: boolean; pageProtocol?: ProtocolLoader } = {}): Promise<Host> {
    return leaderHost(hostName, tabId, options.follower ? undefined : 'b1', page.deps, options.pageProtocol);
  }

  /** Attach a tab over its host's channels; its lock is held until the returned `die` is called. */
  async attach(host: Host, tabId: string): Promise<{ reply: AttachReply; die: () => void }> {
    const lockName = `tab:${tabId}`;
    const die = this.tabLocks.hold(lockName);
    const request: AttachRequest = {
      tabId,
      linkVersion,
      buildId: 'b1',
      lockName,
      config: resolveConfig({ url: 'wss://api.test/realtime', getToken: () => 'token' }),
      patterns: [],
      online: true,
      visible: true,
    };
    const reply = await createControlClient(host.control).attach(request);
    return { reply, die };
  }

  /** Messages posted so far whose data has kind `k` (the election's hello messages). */
  said(k: string): number {
    return this.bus.posted.filter((each) => (each.data as { k?: string } | null)?.k === k).length;
  }

  /** Let `ms` of fake time pass in steps of 10 ms, letting messages and lock grants through at each. */
  async pass(ms: number): Promise<void> {
    for (let passed = 0; passed < ms; passed += 10) {
      await flush();
      this.clock.advance(Math.min(10, ms - passed));
    }
    await flush();
  }

  /** Let fake time pass until `check` holds, at most `withinMs`; returns the time it took. */
  async until(check: () => boolean, withinMs: number): Promise<number> {
    const start = this.clock.monotonic();
    for (;;) {
      await flush();
      if (check()) return this.clock.monotonic() - start;
      if (this.clock.monotonic() - start >= withinMs) throw new Error(`not within ${withinMs} ms of fake time`);
      this.clock.advance(10);
    }
  }

  #startBroker(pageId: string, buildId: string, brokers: Page['brokers'], protocol: BackendProtocol | undefined): LeaderBroker {
    const brokerId = `${pageId}-broker-${brokers.length + 1}`;
    const broker = new Broker({
      clock: this.clock,
      random: () => 0.5,
      // A socket that never opens: leading is under test here, not connecting.
      transport: () => ({ send() {}, close() {} }),
      stores: { open: async (_ns, policy) => new MemoryEventStore(policy), wipePrefix: async () => {} },
      locks: this.tabLocks,
      fetch: (() => Promise.reject(new Error('no fetch in leader tests'))) as typeof fetch,
      brokerId,
      brokerLock: `broker:${brokerId}`,
      buildId,
      baseUrl: 'https://app.test/',
      ...(protocol ? { protocol } : {}),
    });
    const entry = { brokerId, broker, stopped: false, ...(protocol ? { protocol } : {}) };
    brokers.push(entry);
    return {
      brokerId,
      broker,
      ready: Promise.resolve(),
      async stop() {
        entry.stopped = true;
        await broker.shutdown();
      },
    };
  }
}

/** Let every queued microtask and the tasks they start run (channel deliveries, lock grants, calls). */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
