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

/** Keys kept per instant; beyond this, the overlap window's dedupe set covers it. */
const maxKeysPerInstant = 64;

export function advanceLastSeen(lastSeen: LastSeen | null, at: number, key: string): LastSeen {
  if (!lastSeen || at > lastSeen.at) return { at, keys: [key] };
  if (at < lastSeen.at || lastSeen.keys.includes(key)) return lastSeen;
  const keys = lastSeen.keys.length >= maxKeysPerInstant ? lastSeen.keys.slice(1) : lastSeen.keys.slice();
  keys.push(key);
  return { at, keys };
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
