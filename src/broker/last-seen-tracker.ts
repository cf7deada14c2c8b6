/**
 * The log's last-seen: the newest event relayed and the keys seen at its instant, as the
 * store keeps it for whoever replaces this broker (docs/architecture.md, rule 4). It moves with
 * each event, and what may be stored is held back at an open gap's start; the session's replay
 * floor is kept beside it. Changes that only the store must hear of (no event carries them) are
 * returned as `true`: the caller has them written.
 */
import { type LastSeen, advanceLastSeen, usableLastSeen } from './core/log-policy.ts';

export class LastSeenTracker {
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

  get lastSeen(): LastSeen | null {
    return this.#seen;
  }

  /** The last `load` found a stored last-seen it could not use: the gap since it is of unknown extent. */
  get storedUnusable(): boolean {
    return this.#storedUnusable;
  }

  /** Nothing seen: another namespace, or a wiped one. Its gap is not this one's either. */
  reset(): void {
    this.#seen = null;
    this.#storedUnusable = false;
    this.#floor = undefined;
    this.#storedCap = undefined;
  }

  /** Take what a namespace's store held; returns it, or null when none was stored or it cannot be used. */
  load(stored: LastSeen | null): LastSeen | null {
    this.#seen = usableLastSeen(stored);
    this.#storedUnusable = stored !== null && this.#seen === null;
    this.#floor = this.#seen?.floor;
    return this.#seen;
  }

  /** An event at `at` (ms) with `key` was relayed. */
  advance(at: number, key: string): void {
    this.#seen = advanceLastSeen(this.#seen, at, key);
  }

  /** A connection authenticated at `at` (server time, ms): with nothing seen yet, that instant is last-seen. */
  markConnected(at: number): boolean {
    if (this.#seen || !Number.isFinite(at)) return false;
    this.#seen = { at, keys: [] };
    return true;
  }

  /** Replace a last-seen that lies in the future (found on load) with `at`. */
  clamp(at: number): boolean {
    if (!Number.isFinite(at)) return false;
    this.#storedUnusable = false;
    this.#seen = { at, keys: [] };
    return true;
  }

  /** A gap opened at `since` (ms, or `unknown`), or closed (undefined): see `#storedCap`. True when it closed. */
  hold(since: number | 'unknown' | undefined): boolean {
    if (since === this.#storedCap) return false;
    this.#storedCap = since;
    // Closed: the last-seen in memory is due to the store, even if no event comes to carry it.
    return since === undefined;
  }

  /** The session's replay floor (see `LastSeen.floor`). */
  keepFloor(floor: number | undefined): boolean {
    if (floor === undefined || !Number.isFinite(floor) || floor === this.#floor) return false;
    this.#floor = floor;
    return true;
  }

  /** What the store may hold as last-seen: never past an open gap's start, with the replay floor. */
  storable(): LastSeen | null {
    const seen = this.#seen;
    const cap = this.#storedCap;
    if (cap === 'unknown') return null;
    const stored = seen && cap !== undefined && seen.at > cap ? { at: cap, keys: [] } : seen;
    return stored && this.#floor !== undefined ? { ...stored, floor: this.#floor } : stored;
  }
}
