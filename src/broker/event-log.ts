/**
 * The worker's event log: batches appends off the delivery path (one
 * transaction per flush, within `flushDelayMs` or `flushBatchSize` events),
 * tracks last-seen, and falls back to memory when IndexedDB fails — the broker
 * keeps relaying, reports a degraded log, and never throws at the app. A
 * degraded log tries IndexedDB again on a later use, at most once per
 * `reopenIntervalMs`; when it works, what memory kept meanwhile is written
 * there and the log is `ok` again.
 */
import { type LastSeen, type LogPolicy, advanceLastSeen, storeReopenIntervalMs, usableLastSeen } from './core/log-policy.ts';
import type { EventStore, StoreStatus, StoredEvent } from './ports.ts';
import type { Clock } from '../link/clock.ts';
import type { RecentQuery } from '../link/messages.ts';

/** The memory store is only needed when IndexedDB fails or the log is off: loaded on demand. */
const memoryStore = async (policy: LogPolicy): Promise<EventStore> => new (await import('./memory-store.ts')).MemoryEventStore(policy);

export interface EventLogOptions {
  policy: LogPolicy;
  /** false: keep nothing (recent() answers empty); last-seen stays in memory. */
  enabled: boolean;
  /** Opens the persistent store of a namespace; rejects when IndexedDB cannot be used. */
  openStore: (ns: string) => Promise<EventStore>;
  clock: Clock;
  /**
   * The server's clock, in ms since epoch: age trimming compares the events' timestamps,
   * which are the server's, with it, so a browser clock that is wrong trims nothing early.
   * @default the clock's wall time
   */
  serverNow?: () => number;
  /** Called when the log falls back to memory, with why: once per fall, not per failed write. */
  onDegraded: (reason: string) => void;
  /** Longest an event arriving after a quiet spell waits before its batch is written, in ms. @default 10 */
  flushDelayMs?: number;
  /** Under steady traffic, the least time between two commits, in ms. @default 100 */
  minWriteIntervalMs?: number;
  /** A batch this large is written at once. @default 250 */
  flushBatchSize?: number;
  /** Least time between two attempts to return to IndexedDB after it failed, in ms. @default storeReopenIntervalMs (30 s) */
  reopenIntervalMs?: number;
}

/** Events a store refused to keep (IndexedDB: not clonable), when it counts them. */
const refusedBy = (store: EventStore): number => {
  const refused = (store as { refused?: unknown }).refused;
  return typeof refused === 'number' ? refused : 0;
};

export class EventLog {
  #storeReady: Promise<EventStore> | undefined;
  #ns: string | undefined;
  #pending: StoredEvent[] = [];
  #flushTimer: unknown;
  /** The write loop in progress, if any. */
  #flushing: Promise<void> | undefined;
  /** Last-seen changed without an event to carry it to the store. */
  #metaDirty = false;
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  /** Bumped by every wipe: a read that started before one is void. */
  #wipes = 0;
  #seen: LastSeen | null = null;
  /** The namespace's store held a last-seen that could not be used (see `usableLastSeen`): where it stood is unknown. */
  #storedUnusable = false;
  /**
   * While a gap is open, its start (ms): the stored last-seen stays there, however far live events
   * move the one in memory. A broker that dies before the gap is told leaves it to the next one,
   * which starts its own gap from the stored value.
   */
  #storedCap: number | 'unknown' | undefined;
  /** See `LastSeen.floor`: kept beside last-seen, which each event replaces. */
  #floor: number | undefined;
  #degradedReason: string | undefined;
  /** The memory store standing in for IndexedDB while degraded. */
  #memory: Promise<EventStore> | undefined;
  /** Monotonic ms before which IndexedDB is not tried again. */
  #retryAt = Number.NEGATIVE_INFINITY;
  #written = 0;
  #refused = 0;

  readonly #options: EventLogOptions;

  constructor(options: EventLogOptions) {
    this.#options = options;
  }

  /**
   * Switch to the log of `ns` (endpoint + tenant + user); returns its stored last-seen, or null when
   * none is stored or the stored one cannot be used (`storedLastSeenUnusable` tells them apart). The
   * log left behind is deleted: it belonged to a session that ended (docs/architecture.md, rule 13),
   * and nothing else would ever trim it.
   */
  async open(ns: string): Promise<LastSeen | null> {
    if (this.#ns === ns && this.#storeReady) {
      await this.#storeReady;
      return this.#seen;
    }
    const left = this.#ns !== undefined ? this.#storeReady : undefined;
    await this.flush();
    void left?.then((store) => store.wipe()).catch(() => {});
    this.#ns = ns;
    this.#seen = null;
    this.#storedUnusable = false;
    this.#floor = undefined;
    // Another namespace's gap is not this one's: the gap machine says when this one has one.
    this.#storedCap = undefined;
    // What memory kept belongs to the namespace left behind.
    this.#memory = undefined;
    this.#storeReady = this.#openFor(ns);
    const wipes = this.#wipes;
    const store = await this.#storeReady;
    if (this.#ns !== ns) return null;
    const stored = await store.lastSeen().catch(() => null);
    // Logged out while it was read: what it says belongs to the session that ended.
    if (this.#ns !== ns || this.#wipes !== wipes) return null;
    this.#seen = usableLastSeen(stored);
    this.#storedUnusable = stored !== null && this.#seen === null;
    this.#floor = this.#seen?.floor;
    return this.#seen;
  }

  /** The last `open` found a stored last-seen it could not use: the gap since it is of unknown extent. */
  get storedLastSeenUnusable(): boolean {
    return this.#storedUnusable;
  }

  get namespace(): string | undefined {
    return this.#ns;
  }

  get lastSeen(): LastSeen | null {
    return this.#seen;
  }

  /**
   * A connection authenticated at `at` (server time, ms). With nothing seen yet,
   * that instant becomes last-seen and is stored, so a broker that replaces this
   * one (a restarted worker, a new leader tab) knows where its gap began even if
   * no event came before it.
   */
  markConnected(at: number): void {
    if (this.#seen || !Number.isFinite(at)) return;
    this.#seen = { at, keys: [] };
    this.#metaDirty = true;
    void this.flush();
  }

  /** Replace a last-seen that lies in the future (found on load) with `at`, and store it. */
  clampLastSeen(at: number): void {
    if (!Number.isFinite(at)) return;
    this.#storedUnusable = false;
    this.#seen = { at, keys: [] };
    this.#metaDirty = true;
    void this.flush();
  }

  /**
   * A gap opened at `since` (ms), or closed (undefined): see `#storedCap`. `unknown`: a gap whose
   * start is no server time: no last-seen is stored until it closes, so a broker that replaces this
   * one finds none rather than one past the gap.
   */
  holdStoredLastSeen(since: number | 'unknown' | undefined): void {
    if (since === this.#storedCap) return;
    // Closed: the last-seen in memory is due to the store, even if no event comes to carry it.
    if (since === undefined) this.#metaDirty = true;
    this.#storedCap = since;
    if (since === undefined) void this.flush();
  }

  /** The session's replay floor (see `LastSeen.floor`), stored with last-seen for whoever replaces this broker. */
  keepReplayFloor(floor: number | undefined): void {
    if (floor === undefined || !Number.isFinite(floor) || floor === this.#floor) return;
    this.#floor = floor;
    this.#metaDirty = true;
    void this.flush();
  }

  /** What the store may hold as last-seen: never past an open gap's start, with the replay floor. */
  #storable(): LastSeen | null {
    const seen = this.#seen;
    const cap = this.#storedCap;
    if (cap === 'unknown') return null;
    const stored = seen && cap !== undefined && seen.at > cap ? { at: cap, keys: [] } : seen;
    return stored && this.#floor !== undefined ? { ...stored, floor: this.#floor } : stored;
  }

  /**
   * Record an event that was just relayed. Never blocks delivery. `movesLastSeen` false: keep it
   * without moving last-seen (it is stamped past the server's clock).
   */
  append(event: StoredEvent, movesLastSeen = true): void {
    if (movesLastSeen) this.#seen = advanceLastSeen(this.#seen, event.at, event.key);
    if (!this.#options.enabled) return;
    this.#pending.push(event);
    if (this.#pending.length >= (this.#options.flushBatchSize ?? 250)) {
      void this.flush();
    } else if (this.#flushTimer === undefined) {
      // After a quiet spell, within flushDelayMs; under steady traffic, at most one commit per
      // minWriteIntervalMs: each transaction costs the browser's storage far more than each event.
      const sinceWrite = this.#options.clock.monotonic() - this.#lastWriteAt;
      const delay = Math.max(this.#options.flushDelayMs ?? 10, (this.#options.minWriteIntervalMs ?? 100) - sinceWrite);
      this.#flushTimer = this.#options.clock.setTimeout(() => {
        this.#flushTimer = undefined;
        void this.flush();
      }, delay);
    }
  }

  /** Write what is pending. Resolves when it is stored (or kept in memory after a failure). */
  flush(): Promise<void> {
    if (this.#flushTimer !== undefined) {
      this.#options.clock.clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /**
   * Write until nothing is pending, one transaction at a time so a later batch
   * never lands first. Under load each transaction takes everything that piled
   * up while the previous one committed: batches grow with the rate, and the
   * number of commits (the cost) does not.
   */
  async #drain(): Promise<void> {
    if (this.#degradedReason !== undefined && this.#storeReady && this.#options.enabled) await this.#recover();
    while (this.#pending.length > 0 || this.#metaDirty) {
      const batch = this.#pending;
      this.#pending = [];
      this.#metaDirty = false;
      if (!this.#storeReady || !this.#options.enabled) return;
      this.#lastWriteAt = this.#options.clock.monotonic();
      await this.#write(batch, this.#storable());
    }
  }

  /**
   * One transaction. When it fails, the store is reopened once and the batch
   * written again (a closed connection comes back at once); failing that, the
   * log falls back to memory, which keeps the batch.
   */
  #serverNow(): number {
    return this.#options.serverNow?.() ?? this.#options.clock.now();
  }

  async #write(batch: StoredEvent[], seen: LastSeen | null): Promise<void> {
    const now = this.#serverNow();
    try {
      await this.#appendTo(await this.#storeReady!, batch, seen, now);
      return;
    } catch (error) {
      if (this.#degradedReason === undefined && (await this.#recover())) {
        try {
          await this.#appendTo(await this.#storeReady!, batch, seen, now);
          return;
        } catch {
          // Reopened, and failed again: IndexedDB itself is the problem.
        }
      }
      const fallback = await this.degrade(`IndexedDB write failed: ${(error as Error)?.name ?? 'error'}`);
      await fallback.append(batch, seen, now);
    }
  }

  async #appendTo(store: EventStore, batch: StoredEvent[], seen: LastSeen | null, now: number): Promise<void> {
    const refusedBefore = refusedBy(store);
    await store.append(batch, seen, now);
    const refused = refusedBy(store) - refusedBefore;
    this.#refused += refused;
    this.#written += batch.length - refused;
  }

  /**
   * Try IndexedDB again, if the last attempt is `reopenIntervalMs` old: open
   * the namespace's store afresh and write what memory kept meanwhile (which
   * also proves it works). True when the log is on IndexedDB again.
   */
  async #recover(): Promise<boolean> {
    const ns = this.#ns;
    const clock = this.#options.clock;
    if (ns === undefined || clock.monotonic() < this.#retryAt) return false;
    this.#retryAt = clock.monotonic() + (this.#options.reopenIntervalMs ?? storeReopenIntervalMs);
    // Taken now: by the time the store opens, memory may hold another namespace's events.
    const memoryOfNs = this.#memory;
    const seen = this.#storable();
    try {
      const store = await this.#options.openStore(ns);
      const memory = memoryOfNs && (await memoryOfNs);
      const kept = memory ? await memory.recent({ limit: this.#options.policy.maxEvents }) : [];
      if (this.#ns !== ns) return false;
      // Counted as written when memory took them.
      await store.append(kept, seen, this.#serverNow());
      if (this.#ns !== ns) return false;
      this.#storeReady = Promise.resolve(store);
      this.#memory = undefined;
      this.#degradedReason = undefined;
      return true;
    } catch {
      return false;
    }
  }

  /** Reads that IndexedDB refuses fall back to memory, as writes do: what only IndexedDB held is then not answered. */
  async recent(query: RecentQuery): Promise<StoredEvent[]> {
    await this.flush();
    if (!this.#storeReady) return [];
    try {
      return await (await this.#storeReady).recent(query);
    } catch (error) {
      return (await this.degrade(`IndexedDB read failed: ${(error as Error)?.name ?? 'error'}`)).recent(query);
    }
  }

  async keysSince(since: number): Promise<string[]> {
    await this.flush();
    if (!this.#storeReady) return [];
    return (await this.#storeReady).keysSince(since).catch(() => []);
  }

  async count(): Promise<number> {
    if (!this.#storeReady) return 0;
    await this.flush();
    return (await this.#storeReady).count().catch(() => 0);
  }

  /** Logout: drop what is pending and every stored event and last-seen of the namespace. False when the store could not be wiped. */
  async wipe(): Promise<boolean> {
    this.#wipes++;
    this.#pending = [];
    this.#metaDirty = false;
    this.#seen = null;
    this.#storedUnusable = false;
    this.#floor = undefined;
    this.#storedCap = undefined;
    await this.#flushing;
    const ready = this.#storeReady;
    // No namespace until the next session opens one: nothing reads the wiped one meanwhile.
    this.#ns = undefined;
    this.#storeReady = undefined;
    this.#memory = undefined;
    if (!ready) return true;
    return (await ready).wipe().then(
      () => true,
      () => false,
    );
  }

  status(): StoreStatus & { written: number; refused: number } {
    if (!this.#options.enabled) return { status: 'degraded', reason: 'log disabled by options', written: 0, refused: 0 };
    const counts = { written: this.#written, refused: this.#refused };
    return this.#degradedReason ? { status: 'degraded', reason: this.#degradedReason, ...counts } : { status: 'ok', ...counts };
  }

  /** Fall back to memory until IndexedDB can be used again (tried at most once per `reopenIntervalMs`). */
  degrade(reason: string): Promise<EventStore> {
    if (this.#degradedReason === undefined) {
      this.#degradedReason = reason;
      this.#options.onDegraded(reason);
    }
    const monotonic = this.#options.clock.monotonic();
    this.#retryAt = Math.max(this.#retryAt, monotonic + (this.#options.reopenIntervalMs ?? storeReopenIntervalMs));
    return this.#fallBack();
  }

  #fallBack(): Promise<EventStore> {
    const memory = (this.#memory ??= memoryStore(this.#options.policy));
    this.#storeReady = memory;
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
