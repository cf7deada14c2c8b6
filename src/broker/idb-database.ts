/**
 * The IndexedDB database of the log: its typed schema, opening it through an
 * injectable factory with idb's callbacks (blocked, blocking, terminated), and
 * the wipes a logout leaves pending until the next open. The store of one
 * namespace (idb-store.ts) writes and reads through it.
 */
import { type DBSchema, type IDBPDatabase, type IDBPObjectStore, type IDBPTransaction, type OpenDBCallbacks, type StoreNames, wrap } from 'idb';
import type { LastSeen } from './core/log-policy.ts';
import type { Envelope } from '../link/envelope.ts';

export interface MetaRow {
  ns: string;
  lastSeen: LastSeen | null;
}

/**
 * A logout whose wipe did not complete leaves a marker row in `meta`, written
 * before the wipe: the next connection (this worker's, or a new worker's)
 * performs the wipe before anything is read. The key starts with a character
 * no namespace (an endpoint URL) starts with.
 */
export interface WipeMarker {
  ns: string;
  wipe: string;
}

export type EventKeyPath = [ns: string, at: number, key: string];

/**
 * The schema: `events` holds each envelope under the out-of-line key
 * [ns, at ms, event key] (the value is just the envelope: less to clone per
 * write; rows an older build wrote are checked when read); `meta` holds
 * last-seen rows keyed by ns, and the markers of wipes still to do.
 */
export interface TabwireSchema extends DBSchema {
  events: { key: EventKeyPath; value: Envelope };
  meta: { key: string; value: MetaRow | WipeMarker };
}

export type TabwireDatabase = IDBPDatabase<TabwireSchema>;
export type WriteTransaction = IDBPTransaction<TabwireSchema, ('events' | 'meta')[], 'readwrite'>;
export type EventsStore = IDBPObjectStore<TabwireSchema, ('events' | 'meta')[], 'events', 'readwrite'>;

export const databaseName = 'tabwire';
/** 2: out-of-line event keys (1 kept them inside each row). The log is a cache: an upgrade starts it empty. */
export const databaseVersion = 2;

export type IdbFailure = (reason: string) => void;

/**
 * idb's `openDB`, through `factory` rather than the global `indexedDB` (each
 * test world has its own): the same callbacks, the same wrapped database.
 */
export function openThrough(factory: IDBFactory, { upgrade, blocked, blocking, terminated }: OpenDBCallbacks<TabwireSchema>): Promise<TabwireDatabase> {
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
export function createStores(db: TabwireDatabase): void {
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
export function isEnvelopeRow(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const { type, data } = value as Partial<Record<keyof Envelope, unknown>>;
  return typeof type === 'string' && typeof data === 'object' && data !== null;
}

/** A request left unawaited: if it fails, it aborts its transaction, and `tx.done` reports why. */
export function queued(request: Promise<unknown>): void {
  request.catch(() => {});
}

/** Abort a transaction that is still active; one already aborting or finished is left as it is. */
export function abort(tx: WriteTransaction): void {
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
export async function commit(tx: WriteTransaction, fill: () => Promise<void> | void): Promise<void> {
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
export function namespaceRange(ns: string, fromAt?: number): IDBKeyRange {
  return IDBKeyRange.bound(fromAt === undefined ? [ns] : [ns, fromAt], [ns, []]);
}

export const markerKeyPrefix = '\u0000wipe\u0000';
export const markerRange = () => IDBKeyRange.bound(markerKeyPrefix, `${markerKeyPrefix}\uffff`);

/** Queue the deletion of every namespace starting with `prefix`, events, last-seen and wipe marker, in `tx`. */
export function deleteNamespaces(tx: WriteTransaction, prefix: string): void {
  const end = `${prefix}\uffff`;
  const meta = tx.objectStore('meta');
  queued(tx.objectStore('events').delete(IDBKeyRange.bound([prefix], [end])));
  queued(meta.delete(IDBKeyRange.bound(prefix, end)));
  queued(meta.delete(markerKeyPrefix + prefix));
}

/** Delete every namespace whose name starts with one of `prefixes`, in one transaction. */
export function wipeAll(db: TabwireDatabase, prefixes: Iterable<string>): Promise<void> {
  const tx = db.transaction(['events', 'meta'], 'readwrite');
  return commit(tx, () => {
    for (const prefix of prefixes) deleteNamespaces(tx, prefix);
  });
}

/** Record that `prefix` must be wiped, in its own small transaction, before trying the wipe itself. */
export async function markWipe(db: TabwireDatabase, prefix: string): Promise<void> {
  await db.put('meta', { ns: markerKeyPrefix + prefix, wipe: prefix });
}

/** Perform the wipes left pending, by markers in the database and by `remembered` (markers that could not be written). */
export async function performPendingWipes(db: TabwireDatabase, remembered: Set<string>, readMarkers: boolean): Promise<void> {
  const prefixes = new Set(remembered);
  if (readMarkers) {
    for (const row of await db.getAll('meta', markerRange())) if ('wipe' in row) prefixes.add(row.wipe);
  }
  if (prefixes.size === 0) return;
  await wipeAll(db, prefixes);
  for (const prefix of prefixes) remembered.delete(prefix);
}

/** False once the connection is closed: a closed connection refuses to start a transaction. */
export function isOpen(db: TabwireDatabase): boolean {
  try {
    db.transaction('meta');
    return true;
  } catch {
    return false;
  }
}
