/**
 * The store the log of one namespace is kept in: IndexedDB, or memory when IndexedDB fails. The
 * broker keeps relaying on memory and reports a degraded log once per fall; IndexedDB is tried
 * again on a later use, at most once per `reopenIntervalMs`, and when it works, what memory kept
 * meanwhile is written there and the log is `ok` again.
 */
import { type LastSeen, type LogPolicy, storeReopenIntervalMs } from './core/log-policy.ts';
import type { Clock } from '../link/clock.ts';
import type { EventStore, StoreStatus } from './ports.ts';

/** The memory store is only needed when IndexedDB fails or the log is off: loaded on demand. */
const memoryStore = async (policy: LogPolicy): Promise<EventStore> => new (await import('./memory-store.ts')).MemoryEventStore(policy);

export interface FallbackStoreOptions {
  policy: LogPolicy;
  /** false: memory only, and nothing is written to it (see `EventLogOptions.enabled`). */
  enabled: boolean;
  /** Opens the persistent store of a namespace; rejects when IndexedDB cannot be used. */
  openStore: (ns: string) => Promise<EventStore>;
  clock: Clock;
  /** The server's clock, in ms since epoch: what memory kept is trimmed by it when written back. */
  serverNow: () => number;
  /** What the store may hold as last-seen now: written back with what memory kept. */
  storable: () => LastSeen | null;
  /** Called when the log falls back to memory, with why: once per fall, not per failed write. */
  onDegraded: (reason: string) => void;
  /** Least time between two attempts to return to IndexedDB after it failed, in ms. @default storeReopenIntervalMs (30 s) */
  reopenIntervalMs?: number;
}

export class FallbackStore {
  #ns: string | undefined;
  /** The store in use: IndexedDB's, or the memory standing in for it. */
  #ready: Promise<EventStore> | undefined;
  #degradedReason: string | undefined;
  /** The memory store standing in for IndexedDB while degraded. */
  #memory: Promise<EventStore> | undefined;
  /** Monotonic ms before which IndexedDB is not tried again. */
  #retryAt = Number.NEGATIVE_INFINITY;

  readonly #options: FallbackStoreOptions;

  constructor(options: FallbackStoreOptions) {
    this.#options = options;
  }

  get namespace(): string | undefined {
    return this.#ns;
  }

  /** The store of the namespace, once one is opened. */
  get ready(): Promise<EventStore> | undefined {
    return this.#ready;
  }

  get degraded(): boolean {
    return this.#degradedReason !== undefined;
  }

  /** Open the store of `ns`; what memory kept belongs to the namespace left behind. */
  switchTo(ns: string): Promise<EventStore> {
    this.#ns = ns;
    this.#memory = undefined;
    this.#ready = this.#openFor(ns);
    return this.#ready;
  }

  /** No namespace until the next session opens one: nothing reads the wiped one meanwhile. Returns the store left. */
  forget(): Promise<EventStore> | undefined {
    const left = this.#ready;
    this.#ns = undefined;
    this.#ready = undefined;
    this.#memory = undefined;
    return left;
  }

  status(): StoreStatus {
    return this.#degradedReason ? { status: 'degraded', reason: this.#degradedReason } : { status: 'ok' };
  }

  /** Fall back to memory until IndexedDB can be used again (tried at most once per `reopenIntervalMs`). */
  degrade(reason: string): Promise<EventStore> {
    if (this.#degradedReason === undefined) {
      this.#degradedReason = reason;
      this.#options.onDegraded(reason);
    }
    const monotonic = this.#options.clock.monotonic();
    this.#retryAt = Math.max(this.#retryAt, monotonic + this.#reopenIntervalMs());
    return this.#fallBack();
  }

  /**
   * Try IndexedDB again, if the last attempt is `reopenIntervalMs` old: open
   * the namespace's store afresh and write what memory kept meanwhile (which
   * also proves it works). True when the log is on IndexedDB again.
   */
  async recover(): Promise<boolean> {
    const ns = this.#ns;
    const { clock, openStore, policy, serverNow } = this.#options;
    if (ns === undefined || clock.monotonic() < this.#retryAt) return false;
    this.#retryAt = clock.monotonic() + this.#reopenIntervalMs();
    // Taken now: by the time the store opens, memory may hold another namespace's events.
    const memoryOfNs = this.#memory;
    const seen = this.#options.storable();
    try {
      const store = await openStore(ns);
      const memory = memoryOfNs && (await memoryOfNs);
      const kept = memory ? await memory.recent({ limit: policy.maxEvents }) : [];
      if (this.#ns !== ns) return false;
      // Counted as written when memory took them.
      await store.append(kept, seen, serverNow());
      if (this.#ns !== ns) return false;
      this.#ready = Promise.resolve(store);
      this.#memory = undefined;
      this.#degradedReason = undefined;
      return true;
    } catch {
      return false;
    }
  }

  #reopenIntervalMs(): number {
    return this.#options.reopenIntervalMs ?? storeReopenIntervalMs;
  }

  #fallBack(): Promise<EventStore> {
    const memory = (this.#memory ??= memoryStore(this.#options.policy));
    this.#ready = memory;
    return memory;
  }

  async #openFor(ns: string): Promise<EventStore> {
    if (!this.#options.enabled) return memoryStore(this.#options.policy);
    if (this.#degradedReason !== undefined && this.#options.clock.monotonic() < this.#retryAt) return this.#fallBack();
    try {
      const store = await this.#options.openStore(ns);
      this.#degradedReason = undefined;
      return store;
    } catch (error) {
      return this.degrade(`IndexedDB unavailable: ${(error as Error)?.message ?? 'error'}`);
    }
  }
}
