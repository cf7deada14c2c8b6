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
import { type DBSchema, type IDBPDatabase, type IDBPObjectStore, type IDBPTransaction, type OpenDBCallbacks, type StoreNames, unwrap, wrap } from 'idb';
import { type LastSeen, type LogPolicy, ageCutoff, excessByCount } from './core/log-policy.ts';
import { matches } from '../link/patterns.ts';
import type { Envelope } from './protocol/envelope.ts';
import { parseIsoTimestamp } from './protocol/envelope.ts';
import { type Clock, type EventStore, type RecentQuery, type StoredEvent, systemClock } from './ports.ts';

interface MetaRow {
  ns: string;
  lastSeen: LastSeen | null;
}

/**
 * A logout whose wipe did not complete leaves a marker row in `meta`, written
 * before the wipe: the next connection (this worker's, or a new worker's)
 * performs the wipe before anything is read. The key starts with a character
 * no namespace (an endpoint URL) starts with.
 */
interface WipeMarker {
  ns: string;
  wipe: string;
}

type EventKeyPath = [ns: string, at: number, key: string];

/**
 * The schema: `events` holds each envelope under the out-of-line key
 * [ns, at ms, event key] (the value is just the envelope: less to clone per
 * write; rows an older build wrote are checked when read); `meta` holds
 * last-seen rows keyed by ns, and the markers of wipes still to do.
 */
interface TabwireSchema extends DBSchema {
  events: { key: EventKeyPath; value: Envelope };
  meta: { key: string; value: MetaRow | WipeMarker };
}

export type TabwireDatabase = IDBPDatabase<TabwireSchema>;
type WriteTransaction = IDBPTransaction<TabwireSchema, ('events' | 'meta')[], 'readwrite'>;
type EventsStore = IDBPObjectStore<TabwireSchema, ('events' | 'meta')[], 'events', 'readwrite'>;

export const databaseName = 'tabwire';
/** 2: out-of-line event keys (1 kept them inside each row). The log is a cache: an upgrade starts it empty. */
export const databaseVersion = 2;

export type IdbFailure = (reason: string) => void;

/**
 * idb's `openDB`, through `factory` rather than the global `indexedDB` (each
 * test world has its own): the same callbacks, the same wrapped database.
 */
function openThrough(factory: IDBFactory, { upgrade, blocked, blocking, terminated }: OpenDBCallbacks<TabwireSchema>): Promise<TabwireDatabase> {
  const request = factory.open(databaseName, databaseVersion);
  const opened = wrap(request) as Promise<unknown> as Promise<TabwireDatabase>;
  request.addEventListener('upgradeneeded', (event) => {
    const tx = wrap(request.transaction!) as unknown as IDBPTransaction<TabwireSchema, StoreNames<TabwireSchema>[], 'versionchange'>;
    upgrade?.(wrap(request.result) as unknown as TabwireDatabase, event.oldVersion, event.newVersion, tx, event);
  });
  request.addEventListener('blocked', (event) => blocked?.(event.oldVersion, event.newVersion, event));
  opened.then(
    (db) => {
      if (terminated) db.addEventListener('close', () => terminated());
      if (blocking) db.addEventListener('versionchange', (event) => blocking(event.oldVersion, event.newVersion, event));
    },
    () => {},
  );
  return opened;
}

/** The log is a cache: a schema change starts `events` empty rather than migrating it. */
function createStores(db: TabwireDatabase): void {
  if (db.objectStoreNames.contains('events')) db.deleteObjectStore('events');
  db.createObjectStore('events');
  if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'ns' });
}

/**
 * Open the database through `factory`. Rejects (rather than hanging) when the
 * open does not complete within `openTimeoutMs`: `blocked` (an older
 * connection will not give way to this version) says why. `onLost` is called
 * when a newer version or a deletion asks for the connection (`blocking`: we
 * give way) or the browser closes it (`terminated`); the next use opens anew.
 */
export async function openTabwireDatabase(
  onLost: IdbFailure,
  openTimeoutMs = 3000,
  factory: IDBFactory | undefined = globalThis.indexedDB,
): Promise<TabwireDatabase> {
  if (!factory) throw new Error('IndexedDB is not available');
  let blockedBy: number | undefined;
  const opened = openThrough(factory, {
    upgrade: createStores,
    blocked: (currentVersion) => {
      blockedBy = currentVersion;
    },
    blocking: (_current, _next, event) => {
      // A newer build wants to upgrade the schema, or the database is being deleted: give way.
      (event.target as IDBDatabase).close();
      onLost('asked to give way to a newer version or a deletion');
    },
    terminated: () => onLost('the browser closed the database connection'),
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(blockedBy === undefined ? 'IndexedDB open did not complete' : `IndexedDB open blocked by version ${blockedBy}`));
    }, openTimeoutMs);
  });
  let db: TabwireDatabase | undefined;
  try {
    db = await Promise.race([opened, timeout]);
  } finally {
    clearTimeout(timer);
    // If the timeout won, close the connection should it open later.
    if (!db) opened.then((late) => late.close(), () => {});
  }
  return db;
}

/** A row the log can hand out: an older build may have stored a type that was not a string. */
function isEnvelopeRow(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const { type, data } = value as Partial<Record<keyof Envelope, unknown>>;
  return typeof type === 'string' && typeof data === 'object' && data !== null;
}

/** A request left unawaited: if it fails, it aborts its transaction, and `tx.done` reports why. */
function queued(request: Promise<unknown>): void {
  request.catch(() => {});
}

/** Abort a transaction that is still active; one already aborting or finished is left as it is. */
function abort(tx: WriteTransaction): void {
  try {
    tx.abort();
  } catch {
    // Not active any more: its outcome is already decided and `tx.done` reports it.
  }
}

/**
 * Run `fill` in `tx` and resolve when it commits. If `fill` throws, the
 * transaction is aborted (a half-done one must not commit), and the error is
 * the failed request's when one aborted it, else what `fill` threw.
 */
async function commit(tx: WriteTransaction, fill: () => Promise<void> | void): Promise<void> {
  const done = tx.done;
  try {
    await fill();
  } catch (error) {
    abort(tx);
    await done.catch(() => {});
    throw tx.error ?? error;
  }
  await done;
}

/** All keys of one namespace: [ns] sorts before [ns, …], and [ns, []] after every [ns, number, string]. */
function namespaceRange(ns: string, fromAt?: number): IDBKeyRange {
  return IDBKeyRange.bound(fromAt === undefined ? [ns] : [ns, fromAt], [ns, []]);
}

const markerKeyPrefix = '\u0000wipe\u0000';
const markerRange = () => IDBKeyRange.bound(markerKeyPrefix, `${markerKeyPrefix}\uffff`);

/** Queue the deletion of every namespace starting with `prefix`, events, last-seen and wipe marker, in `tx`. */
function deleteNamespaces(tx: WriteTransaction, prefix: string): void {
  const end = `${prefix}\uffff`;
  const meta = tx.objectStore('meta');
  queued(tx.objectStore('events').delete(IDBKeyRange.bound([prefix], [end])));
  queued(meta.delete(IDBKeyRange.bound(prefix, end)));
  queued(meta.delete(markerKeyPrefix + prefix));
}

/** Delete every namespace whose name starts with one of `prefixes`, in one transaction. */
function wipeAll(db: TabwireDatabase, prefixes: Iterable<string>): Promise<void> {
  const tx = db.transaction(['events', 'meta'], 'readwrite');
  return commit(tx, () => {
    for (const prefix of prefixes) deleteNamespaces(tx, prefix);
  });
}

/** Record that `prefix` must be wiped, in its own small transaction, before trying the wipe itself. */
async function markWipe(db: TabwireDatabase, prefix: string): Promise<void> {
  await db.put('meta', { ns: markerKeyPrefix + prefix, wipe: prefix });
}

/** Perform the wipes left pending, by markers in the database and by `remembered` (markers that could not be written). */
async function performPendingWipes(db: TabwireDatabase, remembered: Set<string>, readMarkers: boolean): Promise<void> {
  const prefixes = new Set(remembered);
  if (readMarkers) {
    for (const row of await db.getAll('meta', markerRange())) if ('wipe' in row) prefixes.add(row.wipe);
  }
  if (prefixes.size === 0) return;
  await wipeAll(db, prefixes);
  for (const prefix of prefixes) remembered.delete(prefix);
}

/** False once the connection is closed: a closed connection refuses to start a transaction. */
function isOpen(db: TabwireDatabase): boolean {
  try {
    db.transaction('meta');
    return true;
  } catch {
    return false;
  }
}

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
  /** After a failed open, the least time before the next attempt, in ms: a broken IndexedDB is not hammered. @default 30_000 */
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
  const reopenIntervalMs = options.reopenIntervalMs ?? 30_000;
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
    const limit = Math.max(0, Math.min(query.limit ?? 100, 10_000));
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
