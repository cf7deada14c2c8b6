/**
 * The worker's event log, the face of three parts: batched writes (`log-writer.ts`), last-seen
 * and what of it may be stored (`last-seen-tracker.ts`), and the store, IndexedDB or memory when
 * IndexedDB fails (`fallback-store.ts`) — the broker keeps relaying, reports a degraded log, and
 * never throws at the app. Here: switching namespace, and wiping one at logout.
 */
import type { LastSeen, LogPolicy } from './core/log-policy.ts';
import type { Clock } from '../link/clock.ts';
import type { EventStore, StoreStatus, StoredEvent } from './ports.ts';
import type { RecentQuery } from '../link/messages.ts';
import { FallbackStore } from './fallback-store.ts';
import { LastSeenTracker } from './last-seen-tracker.ts';
import { LogWriter } from './log-writer.ts';

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

export class EventLog {
  /** Bumped by every wipe: a read that started before one is void. */
  #wipes = 0;
  readonly #enabled: boolean;
  readonly #seen = new LastSeenTracker();
  readonly #store: FallbackStore;
  readonly #writer: LogWriter;

  constructor(options: EventLogOptions) {
    const { enabled, clock } = options;
    this.#enabled = enabled;
    const serverNow = () => options.serverNow?.() ?? clock.now();
    const storable = () => this.#seen.storable();
    this.#store = new FallbackStore({ ...options, serverNow, storable });
    this.#writer = new LogWriter({ ...options, store: this.#store, serverNow, storable });
  }

  /**
   * Switch to the log of `ns` (endpoint + tenant + user); returns its stored last-seen, or null when
   * none is stored or the stored one cannot be used (`storedLastSeenUnusable` tells them apart). The
   * log left behind is deleted: it belonged to a session that ended (docs/architecture.md, rule 13),
   * and nothing else would ever trim it.
   */
  async open(ns: string): Promise<LastSeen | null> {
    if (this.#store.namespace === ns && this.#store.ready) {
      await this.#store.ready;
      return this.#seen.lastSeen;
    }
    const left = this.#store.namespace !== undefined ? this.#store.ready : undefined;
    await this.#writer.flush();
    void left?.then((store) => store.wipe()).catch(() => {});
    // Another namespace's gap is not this one's: the gap machine says when this one has one.
    this.#seen.reset();
    const opening = this.#store.switchTo(ns);
    const wipes = this.#wipes;
    const store = await opening;
    if (this.#store.namespace !== ns) return null;
    const stored = await store.lastSeen().catch(() => null);
    // Logged out while it was read: what it says belongs to the session that ended.
    if (this.#store.namespace !== ns || this.#wipes !== wipes) return null;
    return this.#seen.load(stored);
  }

  /** The last `open` found a stored last-seen it could not use: the gap since it is of unknown extent. */
  get storedLastSeenUnusable(): boolean {
    return this.#seen.storedUnusable;
  }

  get namespace(): string | undefined {
    return this.#store.namespace;
  }

  get lastSeen(): LastSeen | null {
    return this.#seen.lastSeen;
  }

  /**
   * A connection authenticated at `at` (server time, ms). With nothing seen yet,
   * that instant becomes last-seen and is stored, so a broker that replaces this
   * one (a restarted worker, a new leader tab) knows where its gap began even if
   * no event came before it.
   */
  markConnected(at: number): void {
    if (this.#seen.markConnected(at)) this.#writer.lastSeenChanged();
  }

  /** Replace a last-seen that lies in the future (found on load) with `at`, and store it. */
  clampLastSeen(at: number): void {
    if (this.#seen.clamp(at)) this.#writer.lastSeenChanged();
  }

  /**
   * A gap opened at `since` (ms), or closed (undefined): while it is open, the stored last-seen stays
   * at its start. `unknown`: a gap whose start is no server time: no last-seen is stored until it
   * closes, so a broker that replaces this one finds none rather than one past the gap.
   */
  holdStoredLastSeen(since: number | 'unknown' | undefined): void {
    if (this.#seen.hold(since)) this.#writer.lastSeenChanged();
  }

  /** The session's replay floor (see `LastSeen.floor`), stored with last-seen for whoever replaces this broker. */
  keepReplayFloor(floor: number | undefined): void {
    if (this.#seen.keepFloor(floor)) this.#writer.lastSeenChanged();
  }

  /**
   * Record an event that was just relayed. Never blocks delivery. `movesLastSeen` false: keep it
   * without moving last-seen (it is stamped past the server's clock).
   */
  append(event: StoredEvent, movesLastSeen = true): void {
    if (movesLastSeen) this.#seen.advance(event.at, event.key);
    if (this.#enabled) this.#writer.enqueue(event);
  }

  /** Write what is pending. Resolves when it is stored (or kept in memory after a failure). */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Reads that IndexedDB refuses fall back to memory, as writes do: what only IndexedDB held is then not answered. */
  async recent(query: RecentQuery): Promise<StoredEvent[]> {
    await this.flush();
    const ready = this.#store.ready;
    if (!ready) return [];
    try {
      return await (await ready).recent(query);
    } catch (error) {
      return (await this.#store.degrade(`IndexedDB read failed: ${(error as Error)?.name ?? 'error'}`)).recent(query);
    }
  }

  async keysSince(since: number): Promise<string[]> {
    await this.flush();
    const ready = this.#store.ready;
    if (!ready) return [];
    return (await ready).keysSince(since).catch(() => []);
  }

  async count(): Promise<number> {
    if (!this.#store.ready) return 0;
    await this.flush();
    return (await this.#store.ready!).count().catch(() => 0);
  }

  /** Logout: drop what is pending and every stored event and last-seen of the namespace. False when the store could not be wiped. */
  async wipe(): Promise<boolean> {
    this.#wipes++;
    this.#writer.discard();
    this.#seen.reset();
    await this.#writer.flushing;
    const ready = this.#store.forget();
    if (!ready) return true;
    return (await ready).wipe().then(
      () => true,
      () => false,
    );
  }

  status(): StoreStatus & { written: number; refused: number } {
    if (!this.#enabled) return { status: 'degraded', reason: 'log disabled by options', written: 0, refused: 0 };
    return { ...this.#store.status(), ...this.#writer.counts };
  }
}
