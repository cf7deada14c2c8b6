/**
 * What the leader election reaches for — locks, channels, a clock, randomness and
 * the broker it runs — as interfaces: the browser's by default, fakes in Node tests.
 */
import { type BrowserBroker, startBrowserBroker } from '../../broker/browser-broker.ts';
import { systemClock } from '../../broker/ports.ts';
import type { BackendProtocol } from '../../broker/protocol/wire.ts';
import type { Clock } from '../../link/clock.ts';
import type { Endpoint } from '../../link/rpc.ts';
import type { WebLocks } from '../../link/web-locks.ts';

/** A BroadcastChannel, as far as the election uses one. */
export interface LeaderChannel extends Endpoint {
  close(): void;
}

/** The broker a leader runs (see `startBrowserBroker`). */
export interface LeaderBroker {
  brokerId: string;
  /** Resolves once the broker holds its own lock; serve no tab before. */
  ready: Promise<void>;
  broker: Pick<BrowserBroker['broker'], 'accept'> & {
    /** The attached tabs, by tab id: how the leader sees a follower attach and leave. */
    readonly tabs: { get(id: string): object | undefined };
  };
  stop(): Promise<void>;
}

/** What the election reaches for. */
export interface LeaderDeps {
  locks: WebLocks;
  Channel: new (name: string) => LeaderChannel;
  /** Every duration uses `monotonic()`: a wall clock set back must not stall a take-over. */
  clock: Clock;
  random: () => number;
  /** `protocol`: the dialect in code (the page's `pageProtocol`); else the config's. */
  startBroker(buildId: string, protocol?: BackendProtocol): LeaderBroker;
}

let browserDeps: LeaderDeps | undefined;

/** The browser's locks, channels and clock, and its broker; made on first use (globals read late). */
export function browserLeaderDeps(): LeaderDeps {
  return (browserDeps ??= {
    locks: { request: (name, options, callback) => navigator.locks.request(name, options, callback) },
    Channel: BroadcastChannel,
    clock: systemClock,
    random: () => Math.random(),
    startBroker: (buildId, protocol) => startBrowserBroker({ buildId, mode: 'leader' }, location.href, protocol),
  });
}
