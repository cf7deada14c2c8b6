/**
 * The log kept in memory: used when IndexedDB is unavailable, blocked or full
 * (the broker keeps relaying and reports a degraded log), and by unit tests.
 * Same policy and semantics as the IndexedDB store, lost with the worker.
 */
import { type LastSeen, type LogPolicy, ageCutoff, excessByCount, recentLimit } from './core/log-policy.ts';
import { matches } from '../link/patterns.ts';
import { parseIsoTimestamp } from './protocol/envelope.ts';
import type { EventStore, StoredEvent } from './ports.ts';
import type { RecentQuery } from '../link/messages.ts';

function compare(a: StoredEvent, b: StoredEvent): number {
  return a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export class MemoryEventStore implements EventStore {
  #events: StoredEvent[] = [];
  readonly #byKey = new Set<string>();
  #seen: LastSeen | null = null;

  constructor(private readonly policy: LogPolicy) {}

  async append(batch: StoredEvent[], lastSeen: LastSeen | null, now: number): Promise<void> {
    let unordered = false;
    for (const event of batch) {
      if (this.#byKey.has(event.key)) continue;
      const last = this.#events[this.#events.length - 1];
      if (last && compare(event, last) < 0) unordered = true;
      this.#events.push(event);
      this.#byKey.add(event.key);
    }
    if (unordered) this.#events.sort(compare);
    const cutoff = ageCutoff(now, this.policy);
    let drop = 0;
    while (drop < this.#events.length && this.#events[drop]!.at < cutoff) drop++;
    drop = Math.max(drop, excessByCount(this.#events.length, this.policy));
    if (drop > 0) for (const gone of this.#events.splice(0, drop)) this.#byKey.delete(gone.key);
    if (lastSeen) this.#seen = lastSeen;
  }

  async recent(query: RecentQuery): Promise<StoredEvent[]> {
    const limit = recentLimit(query);
    const sinceAt = query.since === undefined ? Number.NEGATIVE_INFINITY : parseIsoTimestamp(query.since);
    const out: StoredEvent[] = [];
    for (let i = this.#events.length - 1; i >= 0 && out.length < limit; i--) {
      const event = this.#events[i]!;
      if (!(event.at > sinceAt) && !Number.isNaN(sinceAt)) break;
      if (query.type === undefined || matches(query.type, event.envelope.type)) out.push(event);
    }
    return out.reverse();
  }

  async keysSince(since: number): Promise<string[]> {
    return this.#events.filter((event) => event.at >= since).map((event) => event.key);
  }

  async lastSeen(): Promise<LastSeen | null> {
    return this.#seen;
  }

  async count(): Promise<number> {
    return this.#events.length;
  }

  async wipe(): Promise<void> {
    this.#events = [];
    this.#byKey.clear();
    this.#seen = null;
  }

  close(): void {}
}
