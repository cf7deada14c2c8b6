/**
 * What the event log keeps. Pure: the IndexedDB
 * adapter asks these functions and performs the answer in one transaction.
 */
export interface LogPolicy {
  /** Most events kept per namespace. @default 500 */
  maxEvents: number;
  /** Oldest event kept, in ms before now. @default 86_400_000 (24 h) */
  maxAgeMs: number;
}

/**
 * After IndexedDB failed (to open, or the log's writes), the least time before it is tried again,
 * in ms: a broken IndexedDB is not hammered.
 */
export const storeReopenIntervalMs = 30_000;

/** How many events a `recent()` query answers at most: its `limit` (default 100), from 0 to 10,000. */
export function recentLimit(query: { limit?: number }): number {
  return Math.max(0, Math.min(query.limit ?? 100, 10_000));
}

/** How many of the oldest events to delete so that `count` fits the policy. */
export function excessByCount(count: number, policy: LogPolicy): number {
  return Math.max(0, count - policy.maxEvents);
}

/** Events at or before this instant (ms) are too old to keep. */
export function ageCutoff(now: number, policy: LogPolicy): number {
  return now - policy.maxAgeMs;
}

/**
 * The newest event seen, and the keys of every event seen at that instant —
 * several events can share a millisecond, so a replay asking `since` that
 * instant must be told which of them it already has.
 */
export interface LastSeen {
  /** ms since epoch. */
  at: number;
  keys: string[];
  /**
   * The session of this namespace began after a logout or another user (ms, server time):
   * replays never reach before it, also for a broker that replaces the one that saw it begin.
   */
  floor?: number;
}

/**
 * Whether a log provably still holds every event it was given after `at` (ms), judged from
 * `kept`, the newest `limit` events it holds, oldest first. Trimming (by age or count) takes the
 * oldest first, so it took nothing after `at` if an older event is still kept. One at exactly `at`
 * proves it only below the count bound: a count trim may have split that millisecond.
 */
export function logHoldsFrom(kept: ReadonlyArray<{ at: number }>, at: number, limit: number): boolean {
  const oldest = kept[0]?.at;
  if (oldest === undefined) return false;
  return oldest < at || (oldest === at && kept.length < limit);
}

/** Keys kept per instant; beyond this, the overlap window's dedupe set covers it. */
const maxKeysPerInstant = 64;

/**
 * Last-seen after an event at `at` (ms). An instant that is not a finite number is refused: it
 * compares false with every later one, so last-seen would stop moving and later gaps go unmeasured.
 */
export function advanceLastSeen(lastSeen: LastSeen | null, at: number, key: string): LastSeen | null {
  if (!Number.isFinite(at)) return lastSeen;
  if (!lastSeen || at > lastSeen.at) return { at, keys: [key] };
  if (at < lastSeen.at || lastSeen.keys.includes(key)) return lastSeen;
  const keys = lastSeen.keys.length >= maxKeysPerInstant ? lastSeen.keys.slice(1) : lastSeen.keys.slice();
  keys.push(key);
  return { at, keys };
}

/**
 * A last-seen read from storage, if it can be used: its instant a finite number, its keys strings,
 * its floor a finite number or left out. Null otherwise: what an older worker stored cannot be trusted.
 */
export function usableLastSeen(stored: unknown): LastSeen | null {
  if (typeof stored !== 'object' || stored === null) return null;
  const { at, keys, floor } = stored as Partial<Record<keyof LastSeen, unknown>>;
  if (typeof at !== 'number' || !Number.isFinite(at)) return null;
  const usableKeys = Array.isArray(keys) ? keys.filter((key): key is string => typeof key === 'string') : [];
  return typeof floor === 'number' && Number.isFinite(floor) ? { at, keys: usableKeys, floor } : { at, keys: usableKeys };
}

/** A bounded set of recently seen keys, oldest forgotten first. */
export class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity: number) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Adds a key; returns false when it was already there (a duplicate). */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
    return true;
  }

  clear(): void {
    this.keys.clear();
  }

  get size(): number {
    return this.keys.size;
  }
}
