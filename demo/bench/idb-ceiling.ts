/**
 * The IndexedDB ceiling the log is measured against, in the same page and
 * profile: the same events, written by the log alone and by a bare writer that
 * does only what any bounded log must — 250 puts per transaction and one
 * key-range delete keeping the newest 500, relaxed durability, one transaction
 * at a time. The events are made before the clock starts, so both figures are
 * storage work only (the broker computes keys on ingest, not in the log).
 */
import { eventKey } from '../../src/link/event-identity.ts';
import { systemClock } from '../../src/broker/ports.ts';
import type { StoredEvent } from '../../src/broker/ports.ts';
import { EventLog } from '../../src/broker/event-log.ts';
import { idbStores } from '../../src/broker/idb-store.ts';

const now = () => performance.now();
export const keptEvents = 500;
export const perTransaction = 250;

/** `total` events of about 300 bytes as JSON, one millisecond apart, as the socket would bring them. */
export function makeEvents(total: number): StoredEvent[] {
  const start = Date.now() - total;
  return Array.from({ length: total }, (_, seq) => {
    const at = start + seq;
    const data = { tenantId: 'tenant-123', userId: 'user-456', kpiId: 'kpi-bench', readingId: `r${seq}`, value: seq, seq, unit: 'kWh', note: 'x'.repeat(96) };
    const envelope = { type: 'measure.reading.created', timestamp: new Date(at).toISOString(), data };
    return { key: eventKey(envelope), at, envelope };
  });
}

/** A task boundary without timer clamping, so IndexedDB's callbacks run between bursts. */
function yieldToTasks(): Promise<void> {
  const channel = new MessageChannel();
  return new Promise((resolve) => {
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(0);
  });
}

/** The worker's EventLog with its default bound (500), events arriving in bursts of 250: events/s until all are stored. */
export async function logRate(events: StoredEvent[]): Promise<number> {
  const policy = { maxEvents: keptEvents, maxAgeMs: 24 * 3600_000 };
  const stores = idbStores();
  const log = new EventLog({ policy, enabled: true, openStore: (ns) => stores.open(ns, policy), clock: systemClock, onDegraded: () => {} });
  await log.open(`bench-log|${crypto.randomUUID()}`);
  const start = now();
  for (const [seq, event] of events.entries()) {
    log.append(event);
    if (seq % perTransaction === perTransaction - 1) await yieldToTasks();
  }
  await log.flush();
  const elapsed = (now() - start) / 1000;
  await log.wipe();
  return events.length / elapsed;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error);
  });
}

/** One transaction: the chunk's puts under the log's key shape, and one delete below the 500th newest key. */
function writeChunk(db: IDBDatabase, ns: string, events: StoredEvent[], from: number): Promise<void> {
  const tx = db.transaction('events', 'readwrite', { durability: 'relaxed' });
  const store = tx.objectStore('events');
  const end = Math.min(events.length, from + perTransaction);
  for (let i = from; i < end; i++) store.put(events[i]!.envelope, [ns, events[i]!.at, events[i]!.key]);
  const cut = events[end - keptEvents - 1];
  if (cut) store.delete(IDBKeyRange.bound([ns], [ns, cut.at, cut.key]));
  return committed(tx);
}

/** The bare writer: events/s stored, in a database of its own that it deletes afterwards. */
export async function bareRate(events: StoredEvent[]): Promise<number> {
  const name = `bench-bare-${crypto.randomUUID()}`;
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => open.result.createObjectStore('events');
  const db = await request(open);
  const start = now();
  for (let from = 0; from < events.length; from += perTransaction) await writeChunk(db, 'bare', events, from);
  const elapsed = (now() - start) / 1000;
  db.close();
  await request(indexedDB.deleteDatabase(name));
  return events.length / elapsed;
}
