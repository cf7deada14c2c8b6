/**
 * The IndexedDB adapter: one database per origin, events keyed by
 * [namespace, timestamp ms, event key] so that time order, per-namespace ranges,
 * age trimming and de-duplication all come from the key itself. Each batch is
 * one transaction: put, trim by age, trim by count, save last-seen. Durability
 * is relaxed: the log is a cache the server can rebuild, not a ledger.
 */
import { type LastSeen, type LogPolicy, ageCutoff, excessByCount } from './core/log-policy.ts';
import { matches } from '../link/patterns.ts';
import type { Envelope } from './protocol/envelope.ts';
import { parseIsoTimestamp } from './protocol/envelope.ts';
import { type Clock, type EventStore, type RecentQuery, type StoredEvent, systemClock } from './ports.ts';
import { committed, request, walk } from './idb-request.ts';

/**
 * The schema: `events` holds each envelope under the out-of-line key
 * [ns, at ms, event key] (the value is just the envelope: less to clone per
 * write); `meta` holds last-seen rows keyed by ns, and the markers of wipes
 * still to do (see `WipeMarker`).
 */
interface MetaRow {
  ns: string;
  lastSeen: LastSeen | null;
}
type EventKeyPath = [ns: string, at: number, key: string];

export const databaseName = 'tabwire';
/** 2: out-of-line event keys (1 kept them inside each row). The log is a cache: an upgrade starts it empty. */
export const databaseVersion = 2;

export type IdbFailure = (reason: string) => void;

/**
 * Open the database through `factory`. Rejects (rather than hanging) when
 * another connection blocks the upgrade for longer than `openTimeoutMs`;
 * `onLost` is called when the browser closes the connection or a newer
 * version asks for it (we give way; the next use opens a new connection).
 */
export async function openTabwireDatabase(
  onLost: IdbFailure,
  openTimeoutMs = 3000,
  factory: IDBFactory | undefined = globalThis.indexedDB,
): Promise<IDBDatabase> {
  if (!factory) throw new Error('IndexedDB is not available');
  const opening = factory.open(databaseName, databaseVersion);
  opening.onupgradeneeded = () => {
    const db = opening.result;
    if (db.objectStoreNames.contains('events')) db.deleteObjectStore('events');
    db.createObjectStore('events');
    if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'ns' });
  };
  const opened = request(opening);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('IndexedDB open blocked by another version')), openTimeoutMs);
  });
  let db: IDBDatabase | undefined;
  try {
    db = await Promise.race([opened, timeout]);
  } finally {
    clearTimeout(timer);
    // If the timeout won, close the connection should it open later.
    if (!db) opened.then((late) => late.close(), () => {});
  }
  const open = db;
  open.onversionchange = () => {
    // A newer build wants to upgrade the schema: give way and run from memory.
    open.close();
    onLost('closed for a newer database version');
  };
  open.onclose = () => onLost('the browser closed the database connection');
  return open;
}

/** A row the log can hand out: an older build may have stored a type that was not a string. */
function isEnvelopeRow(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const { type, data } = value as Partial<Record<keyof Envelope, unknown>>;
  return typeof type === 'string' && typeof data === 'object' && data !== null;
}

/** Abort a transaction that is still active; one already aborting or finished is left as it is. */
function abort(tx: IDBTransaction): void {
  try {
    tx.abort();
  } catch {
    // Not active any more: its outcome is already decided and `committed` reports it.
  }
}

/** All keys of one namespace: [ns] sorts before [ns, …], and [ns, []] after every [ns, number, string]. */
function namespaceRange(ns: string, fromAt?: number): IDBKeyRange {
  return IDBKeyRange.bound(fromAt === undefined ? [ns] : [ns, fromAt], [ns, []]);
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
const markerKeyPrefix = '\u0000wipe\u0000';
const markerRange = () => IDBKeyRange.bound(markerKeyPrefix, `${markerKeyPrefix}\uffff`);

/** Queue the deletion of every namespace starting with `prefix`, events, last-seen and wipe marker, in `tx`. */
function deleteNamespaces(tx: IDBTransaction, prefix: string): void {
  const end = `${prefix}\uffff`;
  tx.objectStore('events').delete(IDBKeyRange.bound([prefix], [end]));
  tx.objectStore('meta').delete(IDBKeyRange.bound(prefix, end));
  tx.objectStore('meta').delete(markerKeyPrefix + prefix);
}

/** Delete every namespace whose name starts with one of `prefixes`, in one transaction. */
async function wipeAll(db: IDBDatabase, prefixes: Iterable<string>): Promise<void> {
  const tx = db.transaction(['events', 'meta'], 'readwrite');
  const done = committed(tx);
  try {
    for (const prefix of prefixes) deleteNamespaces(tx, prefix);
  } catch (error) {
    abort(tx);
    void done.catch(() => {});
    throw error;
  }
  await done;
}

/** Delete every namespace whose name starts with `prefix`, events and last-seen, in one transaction. */
export function wipeNamespaces(db: IDBDatabase, prefix: string): Promise<void> {
  return wipeAll(db, [prefix]);
}

/** Record that `prefix` must be wiped, in its own small transaction, before trying the wipe itself. */
async function markWipe(db: IDBDatabase, prefix: string): Promise<void> {
  const tx = db.transaction('meta', 'readwrite');
  tx.objectStore('meta').put({ ns: markerKeyPrefix + prefix, wipe: prefix } satisfies WipeMarker);
  await committed(tx);
}

/** Perform the wipes left pending, by markers in the database and by `remembered` (markers that could not be written). */
async function performPendingWipes(db: IDBDatabase, remembered: Set<string>, readMarkers: boolean): Promise<void> {
  const prefixes = new Set(remembered);
  if (readMarkers) {
    const markers = (await request(db.transaction('meta').objectStore('meta').getAll(markerRange()))) as WipeMarker[];
    for (const marker of markers) prefixes.add(marker.wipe);
  }
  if (prefixes.size === 0) return;
  await wipeAll(db, prefixes);
  for (const prefix of prefixes) remembered.delete(prefix);
}

/** False once the connection is closed: a closed connection refuses to start a transaction. */
function isOpen(db: IDBDatabase): boolean {
  try {
    db.transaction('meta');
    return true;
  } catch {
    return false;
  }
}

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
 * first use and reopened on the next use after the connection was lost (closed
 * by the browser, or for a newer version) or failed to open, at most once per
 * `reopenIntervalMs`.
 */
export function idbStores(options: IdbStoresOptions = {}): { open(ns: string, policy: LogPolicy): Promise<EventStore>; wipePrefix(prefix: string): Promise<void> } {
  const clock = options.clock ?? systemClock;
  const reopenIntervalMs = options.reopenIntervalMs ?? 30_000;
  let current: Promise<IDBDatabase> | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;
  /** Prefixes whose wipe failed and whose marker may not have been written either. */
  const pendingWipes = new Set<string>();

  const connect = (): Promise<IDBDatabase> => {
    if (clock.monotonic() - failedAt < reopenIntervalMs) return Promise.reject(new Error('IndexedDB failed to open moments ago'));
    const opening: Promise<IDBDatabase> = openTabwireDatabase(
      () => {
        if (current === opening) current = undefined;
      },
      options.openTimeoutMs,
      options.factory,
    ).then(async (db) => {
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

  const database = async (): Promise<IDBDatabase> => {
    const cached = current;
    if (!cached) return connect();
    const db = await cached;
    if (!isOpen(db)) {
      if (current === cached) current = undefined;
      return current ?? connect();
    }
    if (pendingWipes.size > 0) await performPendingWipes(db, pendingWipes, false);
    return db;
  };

  return {
    async open(ns, policy) {
      return new IdbEventStore(await database(), ns, policy);
    },
    async wipePrefix(prefix) {
      // Remembered before anything can fail: the next connection of this worker wipes, if no marker survives.
      let db: IDBDatabase;
      try {
        db = await database();
      } finally {
        pendingWipes.add(prefix);
      }
      await markWipe(db, prefix).catch(() => {});
      await wipeNamespaces(db, prefix);
      pendingWipes.delete(prefix);
    },
  };
}

export class IdbEventStore implements EventStore {
  readonly #db: IDBDatabase;
  readonly #ns: string;
  readonly #policy: LogPolicy;
  /**
   * Rows of this namespace, at most (a re-appended event counts twice). Counting
   * walks the whole range, so it is done only when this bound passes maxEvents.
   */
  #atMost: number | undefined;
  /** Events IndexedDB refused to store (they could not be cloned or keyed); the rest of their batch was kept. */
  refused = 0;
  /** Stored rows that were not envelopes (written by an older build), skipped when read. */
  skippedRows = 0;

  constructor(db: IDBDatabase, ns: string, policy: LogPolicy) {
    this.#db = db;
    this.#ns = ns;
    this.#policy = policy;
  }

  async append(events: StoredEvent[], lastSeen: LastSeen | null, now: number): Promise<void> {
    const tx = this.#db.transaction(['events', 'meta'], 'readwrite', { durability: 'relaxed' });
    const done = committed(tx);
    const store = tx.objectStore('events');
    const ns = this.#ns;
    try {
      for (const event of events) this.#put(store, event);
      // Below [ns, cutoff] lies every event strictly older than the cutoff.
      store.delete(IDBKeyRange.bound([ns], [ns, ageCutoff(now, this.#policy)], false, true));
      if (lastSeen) tx.objectStore('meta').put({ ns, lastSeen } satisfies MetaRow);
      this.#atMost = (this.#atMost ?? (await request(store.count(namespaceRange(ns))))) + events.length;
      if (this.#atMost > this.#policy.maxEvents) {
        const count = await request(store.count(namespaceRange(ns)));
        const excess = excessByCount(count, this.#policy);
        if (excess > 0) {
          const oldest = (await request(store.getAllKeys(namespaceRange(ns), excess))) as EventKeyPath[];
          const last = oldest[oldest.length - 1];
          if (last) store.delete(IDBKeyRange.bound([ns], last));
        }
        this.#atMost = count - excess;
      }
    } catch {
      // A failed request aborts the transaction; anything else thrown must not let a half-done one commit.
      abort(tx);
    }
    await done;
  }

  /** `put` throws at once for a value it cannot clone or key: skip that event, keep the rest of the batch. */
  #put(store: IDBObjectStore, event: StoredEvent): void {
    try {
      store.put(event.envelope, [this.#ns, event.at, event.key] satisfies EventKeyPath);
    } catch {
      this.refused++;
    }
  }

  async recent(query: RecentQuery): Promise<StoredEvent[]> {
    const limit = Math.max(0, Math.min(query.limit ?? 100, 10_000));
    const sinceAt = query.since === undefined ? undefined : parseIsoTimestamp(query.since);
    const range = namespaceRange(this.#ns, sinceAt === undefined || Number.isNaN(sinceAt) ? undefined : sinceAt);
    const out: StoredEvent[] = [];
    if (limit === 0) return out;
    const store = this.#db.transaction('events').objectStore('events');
    await walk(store.openCursor(range, 'prev'), (cursor) => {
      const [, at, key] = cursor.key as EventKeyPath;
      const envelope: unknown = cursor.value;
      if (!isEnvelopeRow(envelope)) {
        this.skippedRows++;
        return true;
      }
      // `since` is exclusive: events at exactly that instant were already seen.
      if ((sinceAt === undefined || at > sinceAt) && (query.type === undefined || matches(query.type, envelope.type))) {
        out.push({ at, key, envelope });
      }
      return out.length < limit;
    });
    return out.reverse();
  }

  async keysSince(since: number): Promise<string[]> {
    const store = this.#db.transaction('events').objectStore('events');
    const keys = (await request(store.getAllKeys(namespaceRange(this.#ns, since)))) as EventKeyPath[];
    return keys.map((key) => key[2]);
  }

  async lastSeen(): Promise<LastSeen | null> {
    const store = this.#db.transaction('meta').objectStore('meta');
    const row = (await request(store.get(this.#ns))) as MetaRow | undefined;
    return row?.lastSeen ?? null;
  }

  async count(): Promise<number> {
    return request(this.#db.transaction('events').objectStore('events').count(namespaceRange(this.#ns)));
  }

  async wipe(): Promise<void> {
    const tx = this.#db.transaction(['events', 'meta'], 'readwrite');
    tx.objectStore('events').delete(namespaceRange(this.#ns));
    tx.objectStore('meta').delete(this.#ns);
    await committed(tx);
    this.#atMost = 0;
  }

  close(): void {
    // The database handle is shared by namespaces; the owner closes it.
  }
}
