/**
 * Writing the log off the delivery path: appends are batched (one transaction per flush, within
 * `flushDelayMs`, or at once at `flushBatchSize` events) with last-seen riding along. A failed
 * write is tried once more on a reopened store, then kept in memory (`FallbackStore`).
 */
import type { LastSeen } from './core/log-policy.ts';
import type { Clock } from '../link/clock.ts';
import type { EventStore, StoredEvent } from './ports.ts';
import type { FallbackStore } from './fallback-store.ts';

export interface LogWriterOptions {
  /** false: nothing is written. */
  enabled: boolean;
  clock: Clock;
  store: FallbackStore;
  /** What the store may hold as last-seen now: written with each batch. */
  storable: () => LastSeen | null;
  /** The server's clock, in ms since epoch: the store trims by age in it. */
  serverNow: () => number;
  /** Longest an event arriving after a quiet spell waits before its batch is written, in ms. @default 10 */
  flushDelayMs?: number;
  /** Under steady traffic, the least time between two commits, in ms. @default 100 */
  minWriteIntervalMs?: number;
  /** A batch this large is written at once. @default 250 */
  flushBatchSize?: number;
}

/** Events a store refused to keep (IndexedDB: not clonable), when it counts them. */
const refusedBy = (store: EventStore): number => {
  const refused = (store as { refused?: unknown }).refused;
  return typeof refused === 'number' ? refused : 0;
};

export class LogWriter {
  #pending: StoredEvent[] = [];
  #flushTimer: unknown;
  /** The write loop in progress, if any. */
  #flushing: Promise<void> | undefined;
  /** Last-seen changed without an event to carry it to the store. */
  #metaDirty = false;
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  #written = 0;
  #refused = 0;

  readonly #options: LogWriterOptions;

  constructor(options: LogWriterOptions) {
    this.#options = options;
  }

  /** Events written, and refused by the store. */
  get counts(): { written: number; refused: number } {
    return { written: this.#written, refused: this.#refused };
  }

  /** The write in progress, if any. */
  get flushing(): Promise<void> | undefined {
    return this.#flushing;
  }

  /** Queue an event. Never blocks delivery. */
  enqueue(event: StoredEvent): void {
    const { clock, flushBatchSize = 250, flushDelayMs = 10, minWriteIntervalMs = 100 } = this.#options;
    this.#pending.push(event);
    if (this.#pending.length >= flushBatchSize) {
      void this.flush();
    } else if (this.#flushTimer === undefined) {
      // After a quiet spell, within flushDelayMs; under steady traffic, at most one commit per
      // minWriteIntervalMs: each transaction costs the browser's storage far more than each event.
      const sinceWrite = clock.monotonic() - this.#lastWriteAt;
      const delay = Math.max(flushDelayMs, minWriteIntervalMs - sinceWrite);
      this.#flushTimer = clock.setTimeout(() => {
        this.#flushTimer = undefined;
        void this.flush();
      }, delay);
    }
  }

  /** Last-seen changed with no event to carry it: write it now. */
  lastSeenChanged(): void {
    this.#metaDirty = true;
    void this.flush();
  }

  /** Logout: drop what is pending. */
  discard(): void {
    this.#pending = [];
    this.#metaDirty = false;
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
    const { store, enabled } = this.#options;
    if (store.degraded && store.ready && enabled) await store.recover();
    while (this.#pending.length > 0 || this.#metaDirty) {
      const batch = this.#pending;
      this.#pending = [];
      this.#metaDirty = false;
      if (!store.ready || !enabled) return;
      this.#lastWriteAt = this.#options.clock.monotonic();
      await this.#write(batch, this.#options.storable());
    }
  }

  /**
   * One transaction. When it fails, the store is reopened once and the batch
   * written again (a closed connection comes back at once); failing that, the
   * log falls back to memory, which keeps the batch.
   */
  async #write(batch: StoredEvent[], seen: LastSeen | null): Promise<void> {
    const { store } = this.#options;
    const now = this.#options.serverNow();
    try {
      await this.#appendTo(await store.ready!, batch, seen, now);
      return;
    } catch (error) {
      if (!store.degraded && (await store.recover())) {
        try {
          await this.#appendTo(await store.ready!, batch, seen, now);
          return;
        } catch {
          // Reopened, and failed again: IndexedDB itself is the problem.
        }
      }
      const fallback = await store.degrade(`IndexedDB write failed: ${(error as Error)?.name ?? 'error'}`);
      await fallback.append(batch, seen, now);
    }
  }

  async #appendTo(target: EventStore, batch: StoredEvent[], seen: LastSeen | null, now: number): Promise<void> {
    const refusedBefore = refusedBy(target);
    await target.append(batch, seen, now);
    const refused = refusedBy(target) - refusedBefore;
    this.#refused += refused;
    this.#written += batch.length - refused;
  }
}
