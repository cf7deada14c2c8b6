/**
 * The IndexedDB adapter (idb): one database per origin, events keyed by
 * [namespace, timestamp ms, event key] so that time order, per-namespace ranges,
 * age trimming and de-duplication all come from the key itself. Each batch is
 * one transaction: put, trim by age, trim by count, save last-seen. Durability
 * is relaxed: the log is a cache the server can rebuild, not a ledger.
 */
import { type DBSchema, type IDBPDatabase, unwrap, wrap } from 'idb';
import { type LastSeen, type LogPolicy, ageCutoff, excessByCount } from '../src/core/log-policy.ts';
import { matches } from '../src/core/subscriptions.ts';
import type { Envelope } from '../src/protocol/envelope.ts';
import { parseIsoTimestamp } from '../src/protocol/envelope.ts';
import type { EventStore, RecentQuery, StoredEvent } from '../src/ports.ts';

type EventKeyPath = [ns: string, at: number, key: string];

interface TabwireDB extends DBSchema {
  events: { key: EventKeyPath; value: { ns: string; at: number; key: string; envelope: Envelope } };
  meta: { key: string; value: { ns: string; lastSeen: LastSeen | null } };
}

export const databaseName = 'tabwire';
export const databaseVersion = 1;

export type IdbFailure = (reason: string) => void;

/**
 * Open the database. Rejects (rather than hanging) when another connection
 * blocks the upgrade for longer than `openTimeoutMs`; `onLost` is called when the
 * browser closes the connection or a newer version asks for it.
 */
export async function openTabwireDatabase(
  onLost: IdbFailure,
  openTimeoutMs = 3000,
  factory: IDBFactory | undefined = globalThis.indexedDB,
): Promise<IDBPDatabase<TabwireDB>> {
  if (!factory) throw new Error('IndexedDB is not available');
  // Opened through the given factory (idb's openDB only knows the global), then wrapped by idb.
  const request = factory.open(databaseName, databaseVersion);
  request.addEventListener('upgradeneeded', () => {
    const db = request.result;
    if (!db.objectStoreNames.contains('events')) db.createObjectStore('events', { keyPath: ['ns', 'at', 'key'] });
    if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'ns' });
  });
  const opening = wrap(request) as Promise<IDBPDatabase<TabwireDB>>;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('IndexedDB open blocked by another version')), openTimeoutMs);
  });
  let db: IDBPDatabase<TabwireDB> | undefined;
  try {
    db = await Promise.race([opening, timeout]);
  } finally {
    clearTimeout(timer);
    // If the timeout won, close the connection should it open later.
    if (!db) opening.then((late) => late.close(), () => {});
  }
  const raw = unwrap(db) as IDBDatabase;
  raw.addEventListener('versionchange', () => {
    // A newer build wants to upgrade the schema: give way and run from memory.
    raw.close();
    onLost('closed for a newer database version');
  });
  raw.addEventListener('close', () => onLost('the browser closed the database connection'));
  return db;
}

/** All keys of one namespace: [ns] sorts before [ns, …], and [ns, []] after every [ns, number, string]. */
function namespaceRange(ns: string, fromAt?: number): IDBKeyRange {
  return IDBKeyRange.bound(fromAt === undefined ? [ns] : [ns, fromAt], [ns, []]);
}

/** Delete every namespace whose name starts with `prefix`, events and last-seen, in one transaction. */
export async function wipeNamespaces(db: IDBPDatabase<TabwireDB>, prefix: string): Promise<void> {
  const tx = db.transaction(['events', 'meta'], 'readwrite');
  const end = `${prefix}\uffff`;
  await Promise.all([
    tx.objectStore('events').delete(IDBKeyRange.bound([prefix], [end])),
    tx.objectStore('meta').delete(IDBKeyRange.bound(prefix, end)),
    tx.done,
  ]);
}

/** The broker's store factory over one shared database connection, opened on first use. */
export function idbStores(
  options: { openTimeoutMs?: number; factory?: IDBFactory } = {},
): { open(ns: string, policy: LogPolicy): Promise<EventStore>; wipePrefix(prefix: string): Promise<void> } {
  let db: Promise<IDBPDatabase<TabwireDB>> | undefined;
  const database = () => (db ??= openTabwireDatabase(() => {}, options.openTimeoutMs, options.factory));
  return {
    async open(ns, policy) {
      return new IdbEventStore(await database(), ns, policy);
    },
    async wipePrefix(prefix) {
      await wipeNamespaces(await database(), prefix);
    },
  };
}

export class IdbEventStore implements EventStore {
  constructor(
    private readonly db: IDBPDatabase<TabwireDB>,
    private readonly ns: string,
    private readonly policy: LogPolicy,
  ) {}

  async append(events: StoredEvent[], lastSeen: LastSeen | null, now: number): Promise<void> {
    const tx = this.db.transaction(['events', 'meta'], 'readwrite', { durability: 'relaxed' });
    const store = tx.objectStore('events');
    const ns = this.ns;
    const writes: Promise<unknown>[] = [];
    for (const event of events) writes.push(store.put({ ns, at: event.at, key: event.key, envelope: event.envelope }));
    // Below [ns, cutoff] lies every event strictly older than the cutoff.
    writes.push(store.delete(IDBKeyRange.bound([ns], [ns, ageCutoff(now, this.policy)], false, true)));
    if (lastSeen) writes.push(tx.objectStore('meta').put({ ns, lastSeen }));
    const count = await store.count(namespaceRange(ns));
    const excess = excessByCount(count, this.policy);
    if (excess > 0) {
      const oldest = await store.getAllKeys(namespaceRange(ns), excess);
      const last = oldest[oldest.length - 1];
      if (last) writes.push(store.delete(IDBKeyRange.bound([ns], last)));
    }
    await Promise.all([...writes, tx.done]);
  }

  async recent(query: RecentQuery): Promise<StoredEvent[]> {
    const limit = Math.max(0, Math.min(query.limit ?? 100, 10_000));
    const sinceAt = query.since === undefined ? undefined : parseIsoTimestamp(query.since);
    const range = namespaceRange(this.ns, sinceAt === undefined || Number.isNaN(sinceAt) ? undefined : sinceAt);
    const out: StoredEvent[] = [];
    if (limit === 0) return out;
    let cursor = await this.db.transaction('events').store.openCursor(range, 'prev');
    while (cursor && out.length < limit) {
      const { at, key, envelope } = cursor.value;
      // `since` is exclusive: events at exactly that instant were already seen.
      if ((sinceAt === undefined || at > sinceAt) && (query.type === undefined || matches(query.type, envelope.type))) {
        out.push({ at, key, envelope });
      }
      cursor = await cursor.continue();
    }
    return out.reverse();
  }

  async keysSince(since: number): Promise<string[]> {
    const keys = await this.db.getAllKeys('events', namespaceRange(this.ns, since));
    return keys.map((key) => key[2]);
  }

  async lastSeen(): Promise<LastSeen | null> {
    return (await this.db.get('meta', this.ns))?.lastSeen ?? null;
  }

  count(): Promise<number> {
    return this.db.count('events', namespaceRange(this.ns));
  }

  async wipe(): Promise<void> {
    const tx = this.db.transaction(['events', 'meta'], 'readwrite');
    await Promise.all([tx.objectStore('events').delete(namespaceRange(this.ns)), tx.objectStore('meta').delete(this.ns), tx.done]);
  }

  close(): void {
    // The database handle is shared by namespaces; the owner closes it.
  }
}
