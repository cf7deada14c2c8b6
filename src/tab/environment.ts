/**
 * What the tab side reaches for — timers and a monotonic clock, Web Locks, the
 * host it attaches to, the page's online/visibility signals, the logout
 * channel — as one interface: the browser's in `connectBroker`, an in-process
 * broker and fakes in Node tests (test/support/tab-harness.ts).
 */
import type { TabClock } from '../link/clock.ts';
import type { Endpoint } from '../link/rpc.ts';
import type { WebLocks } from '../link/web-locks.ts';
import type { Host, Sharing, Target } from './hosts/host.ts';

/** A BroadcastChannel, as far as the logout notice uses one. */
export interface TabChannel extends Endpoint {
  close(): void;
}

/** What one host is opened for: the target, the broker's name, and who asks. */
export interface HostRequest {
  target: Target;
  /** The worker, channel and lock name of the broker (see `hostName`). */
  name: string;
  tabId: string;
  /** This tab's own build: a leader stands only for it. */
  buildId: string;
}

export interface TabEnvironment {
  clock: TabClock;
  /** Web Locks; undefined outside secure contexts, where every tab keeps a broker of its own. */
  locks: WebLocks | undefined;
  /** Which ways of sharing a connection exist here. */
  available: Record<Exclude<Sharing, 'none'>, boolean>;
  /** Opens (or joins) the broker a target names. */
  openHost(request: HostRequest): Promise<Host>;
  online(): boolean;
  visible(): boolean;
  /** Calls `onSignal` when the page goes on/offline or is shown/hidden; returns the function that stops it. */
  watchSignals(onSignal: (signal: { online?: boolean; visible?: boolean }) => void): () => void;
  /** The channel every broker of the page's origin hears logouts on; undefined where there is none. */
  channel(name: string): TabChannel | undefined;
  /** An app handler threw: surface it like an event listener would, without stopping the others. */
  report(error: unknown): void;
}
