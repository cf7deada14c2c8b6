/**
 * The IndexedDB adapter: one database per origin, events keyed by
 * [namespace, timestamp ms, event key] so that time order, per-namespace ranges,
 * age trimming and de-duplication all come from the key itself. Each batch is
 * one transaction: the puts, one key-range delete that trims by age and by
 * count at once, and last-seen. The count is kept from the keys held in memory
 * per namespace (read once), so nothing is counted or walked per batch: the
 * log costs what IndexedDB's writes cost. Durability is relaxed: the log is a
 * cache the server can rebuild, not a ledger.
 * Requests are idb's promises; inside a transaction only its own requests are
 * awaited, or it commits early.
 */
import { unwrap } from 'idb';
import { type LastSeen, type LogPolicy, ageCutoff, excessByCount, recentLimit, storeReopenIntervalMs } from './core/log-policy.ts';
import { matches } from '../link/patterns.ts';
import { parseIsoTimestamp } from './protocol/envelope.ts';
import { type EventStore, type StoredEvent, systemClock } from './ports.ts';
import type { Clock } from '../link/clock.ts';
import type { RecentQuery } from '../link/messages.ts';
import { type EventsStore, type TabwireDatabase, commit, isEnvelopeRow, isOpen, markWipe, namespaceRange, openTabwireDatabase, performPendingWipes, queued, wipeAll } from './idb-database.ts';

/** A row's key within its namespace: [at ms, event key]. */
type RowKey = [at: number, key: string];

/**
 * The keys of each namespace's rows, oldest first, as last committed through
 * this connection: the bound is kept from memory instead of counting rows per
 * batch. A namespace's keys are read once, and again after a wipe or a failed
 * write. Another writer of the same namespace (a second broker for a moment)
 * can only loosen the bound, never cut a row this one keeps: both delete
 * oldest first.
 */
export type NamespaceRows = Map<string, RowKey[]>;

/** IndexedDB's order on [at, key]: numbers, then strings by code unit (as JavaScript's `<` compares them). */
const compareRows = (a: RowKey, b: RowKey): number => a[0] - b[0] || (a[1] < b[1] ? -1 : +(a[1] > b[1]));

export interface IdbStoresOptions {
  openTimeoutMs?: number;
  factory?: IDBFactory;
  /** For the reopen backoff. @default systemClock */
  clock?: Pick<Clock, 'monotonic'>;
  /** After a failed open, the least time before the next attempt, in ms: a broken IndexedDB is not hammered. @default storeReopenIntervalMs (30 s) */
  reopenIntervalMs?: number;
}

/**
 * The broker's store factory over one shared database connection, opened on
 * first use and reopened on the next use after the connection was lost (the
 * browser closed it, or it gave way to a newer version or a deletion) or
 * failed to open, at most once per `reopenIntervalMs`.
 */
export function idbStores(options: IdbStoresOptions = {}): { open(ns: string, policy: LogPolicy): Promise<EventStore>; wipePrefix(prefix: string): Promise<void> } {
  const clock = options.clock ?? systemClock;
  const reopenIntervalMs = options.reopenIntervalMs ?? storeReopenIntervalMs;
  let current: Promise<TabwireDatabase> | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;
  /** Prefixes whose wipe failed and whose marker may not have been written either. */
  const pendingWipes = new Set<string>();
  const rows: NamespaceRows = new Map();

  const connect = (): Promise<TabwireDatabase> => {
    if (clock.monotonic() - failedAt < reopenIntervalMs) return Promise.reject(new Error('IndexedDB failed to open moments ago'));
    const opening: Promise<TabwireDatabase> = openTabwireDatabase(
      () => {
        if (current === opening) current = undefined;
      },
      options.openTimeoutMs,
      options.factory,
    ).then(async (db) => {
      // A new connection: another writer may have run meanwhile, so each namespace's keys are read again.
      rows.clear();
      try {
        await performPendingWipes(db, pendingWipes, true);
        return db;
      } catch (error) {
        // Nothing may be read before a pending wipe is done.
        db.close();
        throw error;
      }
    });
    current = opening;
    opening.catch(() => {
      if (current !== opening) return;
      current = undefined;
      failedAt = clock.monotonic();
    });
    return opening;
  };

  const database = async (): Promise<TabwireDatabase> => {
    const cached = current;
    if (!cached) return connect();
    const db = await cached;
    if (!isOpen(db)) {
      if (current === cached) current = undefined;
      return current ?? connect();
    }
    if (pendingWipes.size > 0) {
      rows.clear();
      await performPendingWipes(db, pendingWipes, false);
    }
    return db;
  };

  return {
    async open(ns, policy) {
      return new IdbEventStore(await database(), ns, policy, rows);
    },
    async wipePrefix(prefix) {
      // Remembered before anything can fail: the next connection of this worker wipes, if no marker survives.
      let db: TabwireDatabase;
      try {
        db = await database();
      } finally {
        pendingWipes.add(prefix);
      }
      await markWipe(db, prefix).catch(() => {});
      for (const ns of rows.keys()) if (ns.startsWith(prefix)) rows.delete(ns);
      await wipeAll(db, [prefix]);
      pendingWipes.delete(prefix);
    },
  };
}

export class IdbEventStore implements EventStore {
  readonly #db: TabwireDatabase;
  readonly #ns: string;
  readonly #policy: LogPolicy;
  readonly #rows: NamespaceRows;
  /** Events IndexedDB refused to store (they could not be cloned or keyed); the rest of their batch was kept. */
  refused = 0;
  /** Stored rows that were not envelopes (written by an older build), skipped when read. */
  skippedRows = 0;

  constructor(db: TabwireDatabase, ns: string, policy: LogPolicy, rows: NamespaceRows = new Map()) {
    this.#db = db;
    this.#ns = ns;
    this.#policy = policy;
    this.#rows = rows;
  }

  /**
   * One transaction: put the batch, one key-range delete for age and count,
   * save last-seen. What it leaves is remembered only if no wipe (nor another
   * write) replaced the keys it started from meanwhile.
   */
  append(events: StoredEvent[], lastSeen: LastSeen | null, now: number): Promise<void> {
    const tx = this.#db.transaction(['events', 'meta'], 'readwrite', { durability: 'relaxed' });
    const ns = this.#ns;
    let known: RowKey[] | undefined;
    let kept: RowKey[] = [];
    return commit(tx, async () => {
      const store = tx.objectStore('events');
      known = this.#rows.get(ns);
      // The namespace's keys, read once: the only walk of its rows, off the steady path.
      if (!known) this.#rows.set(ns, (known = (await store.getAllKeys(namespaceRange(ns))).map(([, at, key]): RowKey => [at, key])));
      // In key order, each key once: a re-appended event overwrites its row.
      const rows = known.concat(this.#putAll(store, events)).sort(compareRows).filter((row, i, all) => !i || compareRows(all[i - 1]!, row));
      kept = this.#trim(store, rows, ageCutoff(now, this.#policy));
      if (lastSeen) queued(tx.objectStore('meta').put({ ns, lastSeen }));
    }).then(
      () => void (this.#rows.get(ns) === known ? this.#rows.set(ns, kept) : this.#rows.delete(ns)),
      (error: unknown) => {
        // Memory may name rows that never landed: read them again next time.
        this.#rows.delete(ns);
        throw error;
      },
    );
  }

  /**
   * Queue every put on the bare store (no promise per row); a failing request
   * aborts the transaction, which `commit` reports. `put` throws at once for a
   * value it cannot clone or key: that event is skipped, the rest kept.
   */
  #putAll(store: EventsStore, events: StoredEvent[]): RowKey[] {
    const raw = unwrap(store);
    const added: RowKey[] = [];
    for (const { envelope, at, key } of events) {
      try {
        raw.put(envelope, [this.#ns, at, key]);
        added.push([at, key]);
      } catch {
        this.refused++;
      }
    }
    return added;
  }

  /**
   * One key-range delete of the oldest rows: those beyond maxEvents, and those
   * older than the cutoff (below [ns, cutoff], also any another writer left).
   * Returns the rows that remain.
   */
  #trim(store: EventsStore, rows: RowKey[], cutoff: number): RowKey[] {
    let drop = excessByCount(rows.length, this.#policy);
    while (drop < rows.length && rows[drop]![0] < cutoff) drop++;
    const last = rows[drop - 1];
    const ns = this.#ns;
    queued(store.delete(last && last[0] >= cutoff ? IDBKeyRange.bound([ns], [ns, ...last]) : IDBKeyRange.bound([ns], [ns, cutoff], false, true)));
    return rows.slice(drop);
  }

  async recent(query: RecentQuery): Promise<StoredEvent[]> {
    const limit = recentLimit(query);
    const sinceAt = query.since === undefined ? undefined : parseIsoTimestamp(query.since);
    const range = namespaceRange(this.#ns, sinceAt === undefined || Number.isNaN(sinceAt) ? undefined : sinceAt);
    const out: StoredEvent[] = [];
    if (limit === 0) return out;
    let cursor = await this.#db.transaction('events').store.openCursor(range, 'prev');
    for (; cursor && out.length < limit; cursor = await cursor.continue()) {
      const [, at, key] = cursor.key;
      // Typed as the schema says, but an older build may have written something else.
      const envelope: unknown = cursor.value;
      if (!isEnvelopeRow(envelope)) {
        this.skippedRows++;
        continue;
      }
      // `since` is exclusive: events at exactly that instant were already seen.
      if ((sinceAt === undefined || at > sinceAt) && (query.type === undefined || matches(query.type, envelope.type))) {
        out.push({ at, key, envelope });
      }
    }
    return out.reverse();
  }

  async keysSince(since: number): Promise<string[]> {
    const keys = await this.#db.getAllKeys('events', namespaceRange(this.#ns, since));
    return keys.map((key) => key[2]);
  }

  async lastSeen(): Promise<LastSeen | null> {
    const row = await this.#db.get('meta', this.#ns);
    return row && 'lastSeen' in row ? row.lastSeen : null;
  }

  count(): Promise<number> {
    return this.#db.count('events', namespaceRange(this.#ns));
  }

  async wipe(): Promise<void> {
    const tx = this.#db.transaction(['events', 'meta'], 'readwrite');
    // A write queued before this wipe finds its keys gone and does not bring them back.
    this.#rows.delete(this.#ns);
    await Promise.all([tx.objectStore('events').delete(namespaceRange(this.#ns)), tx.objectStore('meta').delete(this.#ns), tx.done]);
  }

  close(): void {
    // The database handle is shared by namespaces; the owner closes it.
  }
}
