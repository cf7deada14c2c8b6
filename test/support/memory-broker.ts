/**
 * An in-memory Broker for testing code built on the public API (the React
 * bindings): `emit` plays server events, `setState`/`resync`/`fail`/`announce`
 * play the worker's notices, and `subscriptions`/`stateSubscriptions` count live
 * handlers so tests can see resubscribing and leaks.
 */
import type { Broker } from '../../src/tab/client.ts';
import type { StateListener } from '../../src/tab/connection-state.ts';
import type { UpgradeNotice } from '../../src/link/messages.ts';
import type { ConnectionStatus, TransitionReason } from '../../src/link/states.ts';
import { matches } from '../../src/link/patterns.ts';
import type { ResyncSignal } from '../../src/link/states.ts';
import { TabwireError, type TabwireErrorData } from '../../src/link/errors.ts';
import type { RealtimeEvent } from '../../src/link/events.ts';
import type { ConnectOptions } from '../../src/tab/options.ts';
import type { RecentQuery } from '../../src/link/messages.ts';

export class MemoryBroker {
  state: ConnectionStatus = 'idle';
  reason: TransitionReason = 'initial';
  readonly ready = Promise.resolve();
  readonly connected = Promise.resolve();
  log: RealtimeEvent[] = [];
  onCalls = 0;
  onStateCalls = 0;
  upgradeCalls = 0;
  closed = false;
  private readonly handlers = new Set<{ pattern: string; handler: (event: RealtimeEvent) => void }>();
  private readonly stateListeners = new Set<StateListener>();
  private readonly resyncListeners = new Set<(signal: ResyncSignal) => void>();
  private readonly errorListeners = new Set<(error: TabwireError) => void>();
  private readonly upgradeListeners = new Set<(notice: UpgradeNotice) => void>();

  /** `options`: what a (mocked) connectBroker was given, for tests of the provider. */
  constructor(readonly options?: ConnectOptions) {}

  get subscriptions(): number {
    return this.handlers.size;
  }

  get stateSubscriptions(): number {
    return this.stateListeners.size;
  }

  get errorSubscriptions(): number {
    return this.errorListeners.size;
  }

  get upgradeSubscriptions(): number {
    return this.upgradeListeners.size;
  }

  asBroker(): Broker {
    return this as unknown as Broker;
  }

  on(pattern: string, handler: (event: RealtimeEvent) => void): () => void {
    this.onCalls++;
    const entry = { pattern, handler };
    this.handlers.add(entry);
    return () => void this.handlers.delete(entry);
  }

  onState(listener: StateListener): () => void {
    this.onStateCalls++;
    this.stateListeners.add(listener);
    return () => void this.stateListeners.delete(listener);
  }

  onResync(listener: (signal: ResyncSignal) => void): () => void {
    this.resyncListeners.add(listener);
    return () => void this.resyncListeners.delete(listener);
  }

  onError(listener: (error: TabwireError) => void): () => void {
    this.errorListeners.add(listener);
    return () => void this.errorListeners.delete(listener);
  }

  onUpgrade(listener: (notice: UpgradeNotice) => void): () => void {
    this.upgradeListeners.add(listener);
    return () => void this.upgradeListeners.delete(listener);
  }

  async upgrade(): Promise<boolean> {
    this.upgradeCalls++;
    return true;
  }

  async recent(query: RecentQuery = {}): Promise<RealtimeEvent[]> {
    const after = query.since === undefined ? -Infinity : new Date(query.since).getTime();
    const matching = this.log.filter(
      (event) => matches(query.type ?? '*', event.type) && Date.parse(event.timestamp) > after,
    );
    return matching.slice(Math.max(0, matching.length - (query.limit ?? 100)));
  }

  emit(type: string, data: Record<string, unknown>, timestamp = new Date().toISOString()): RealtimeEvent {
    const event = { type, timestamp, data } as RealtimeEvent;
    this.log.push(event);
    for (const { pattern, handler } of [...this.handlers]) if (matches(pattern, type)) handler(event);
    return event;
  }

  setState(next: ConnectionStatus, reason: TransitionReason): void {
    const prev = this.state;
    this.state = next;
    this.reason = reason;
    for (const listener of this.stateListeners) listener(next, prev, reason);
  }

  resync(signal: ResyncSignal): void {
    for (const listener of this.resyncListeners) listener(signal);
  }

  /** As the real broker does: the worker's plain data, handed on as one `TabwireError`. */
  fail(data: TabwireErrorData): TabwireError {
    const error = new TabwireError(data);
    for (const listener of this.errorListeners) listener(error);
    return error;
  }

  announce(notice: UpgradeNotice): void {
    for (const listener of this.upgradeListeners) listener(notice);
  }

  close(): void {
    this.closed = true;
  }
}

/**
 * The client module with `connectBroker` played by memory brokers, each pushed onto `connected`
 * (and `prepare`d first): what the React tests give `vi.mock` for `src/tab/client.ts`.
 */
export function clientOfMemoryBrokers<T extends object>(original: T, connected: MemoryBroker[], prepare: (broker: MemoryBroker) => void = () => {}): T {
  return {
    ...original,
    connectBroker: (options: ConnectOptions) => {
      const broker = new MemoryBroker(options);
      prepare(broker);
      connected.push(broker);
      return broker.asBroker();
    },
  };
}
