/**
 * Fan-out of events to tabs, batched: events that arrive together leave as one
 * message per tab, whose payload is the JSON text of the batch (one string clone
 * per tab, one JSON.parse in the tab). Filtering by subscription happens here,
 * so a tab only receives what it asked for.
 *
 * Scheduling (the SharedWorker's; a broker in a page: see `BrokerDeps.batchAtTaskEndUpTo`):
 * with two tabs or more the flush runs two task hops later
 * (MessageChannel posts, not a timer: no clamping), so socket messages already
 * queued or arriving meanwhile are taken too and a burst leaves as one batch.
 * Every batch costs a postMessage per tab and wakes every tab once: two hops batch a burst
 * for the least CPU of the whole browser, and waiting on while the queue grows does no
 * better, since a burst's frames reach the worker spread out and a hop that finds none new
 * does not mean it is over. A lone tab's batch leaves at the end of the task that brought
 * it: its posts cost least, and a hop could only add to its latency. The measurements
 * behind both are in bench/notes.md (`BENCH_ONLY=levers`, docs/testing.md).
 * `schedule` is injectable for tests.
 */
import type { Tab, TabRegistry } from './tabs.ts';
import { tenantAllows } from './tenancy.ts';

interface Pending {
  text: string;
  type: string;
  tenant: string | undefined;
  /** Control frames (auth.*, *.error) go to exact subscribers only, never to `*` or prefixes. */
  exactOnly: boolean;
}

export interface FanoutCounters {
  deliveries: number;
  batches: number;
  /** Tabs a batch could not be delivered to because delivering threw; the other tabs still got it. */
  failures: number;
  /** Events not posted to a tab that left too many batches unread (`Tab.postBatch`). */
  slowTab: number;
}

export class Fanout {
  #live: Pending[] = [];
  #scheduled = false;
  /** Bumped by every flush: a hop chain started before one finds itself stale and does nothing. */
  #generation = 0;
  #disposed = false;
  readonly counters: FanoutCounters = { deliveries: 0, batches: 0, failures: 0, slowTab: 0 };

  readonly #tabs: TabRegistry;
  readonly #schedule: Scheduler;
  readonly #atTaskEndUpTo: number;

  /**
   * Up to `atTaskEndUpTo` tabs a batch leaves at the end of the task that brought it (see
   * `BrokerDeps.batchAtTaskEndUpTo`); with more, two task hops later.
   */
  constructor(tabs: TabRegistry, schedule: Scheduler = nextTask(), atTaskEndUpTo = 1) {
    this.#tabs = tabs;
    this.#schedule = schedule;
    this.#atTaskEndUpTo = atTaskEndUpTo;
  }

  enqueue(text: string, type: string, tenant: string | undefined, exactOnly = false): void {
    if (this.#disposed) return;
    this.#live.push({ text, type, tenant, exactOnly });
    if (this.#scheduled) return;
    this.#scheduled = true;
    const generation = this.#generation;
    const flushIfCurrent = () => generation === this.#generation && this.flush();
    if (this.#tabs.size <= this.#atTaskEndUpTo) queueMicrotask(flushIfCurrent);
    else this.#schedule(() => this.#schedule(flushIfCurrent));
  }

  /** Send what is pending now (also called before anything that must come after it, like a resync). */
  flush(): void {
    this.#scheduled = false;
    this.#generation++;
    if (this.#live.length === 0) return;
    const batch = this.#live;
    this.#live = [];
    this.#post(batch, false);
  }

  /** Drop what is pending, unsent (logout: nothing of the session that ended may reach a tab). */
  discard(): void {
    this.#live = [];
  }

  /** The broker stopped: nothing more is taken, and the scheduler's channel closes (a page lives on). */
  dispose(): void {
    this.#disposed = true;
    this.discard();
    this.#schedule.close?.();
  }

  /** Replayed events go out at once, as their own batch, marked replayed: to every tab, or to `only`. */
  sendReplayed(events: Array<{ text: string; type: string; tenant: string | undefined }>, only?: Tab): void {
    this.flush();
    if (events.length > 0) this.#post(events.map((e) => ({ ...e, exactOnly: false })), true, only);
  }

  #post(batch: Pending[], replayed: boolean, only?: Tab): void {
    let everything: string | undefined;
    for (const tab of only ? [only] : this.#tabs.all()) {
      // The batch is already taken: whatever one tab's delivery throws must not cost the others theirs.
      try {
        const picked = pick(tab, batch);
        if (picked.length === 0) continue;
        // Most tabs subscribe to the same things: build the full batch's text once.
        const text = picked.length === batch.length ? (everything ??= join(batch)) : join(picked);
        if (!tab.postBatch(replayed ? { k: 'ev', d: text, r: 1 } : { k: 'ev', d: text }, () => timestampOf(picked[0]!.text))) {
          this.counters.slowTab += picked.length;
          continue;
        }
        if (replayed) tab.replayedSinceSignal += picked.length;
        this.counters.deliveries += picked.length;
        this.counters.batches++;
      } catch {
        this.counters.failures++;
      }
    }
  }
}

function pick(tab: Tab, batch: Pending[]): Pending[] {
  if (tab.patterns.size === 0) return [];
  const out: Pending[] = [];
  for (const event of batch) {
    if (!tenantAllows(tab.tenantId, event.tenant)) continue;
    if (event.exactOnly ? tab.patterns.has(event.type) : tab.patterns.matches(event.type)) out.push(event);
  }
  return out;
}

/** The server time of an event's text (its `timestamp`), read only when a batch is dropped for a slow tab. */
function timestampOf(text: string): string {
  try {
    const timestamp = (JSON.parse(text) as { timestamp?: unknown }).timestamp;
    if (typeof timestamp === 'string') return timestamp;
  } catch {
    // Not readable: the gap is said to start at the earliest instant, never later than it did.
  }
  return new Date(0).toISOString();
}

function join(events: Pending[]): string {
  let text = '[';
  for (let i = 0; i < events.length; i++) text += (i === 0 ? '' : ',') + events[i]!.text;
  return text + ']';
}

/** Runs a task later; `close` lets go of what it holds. */
export type Scheduler = ((task: () => void) => void) & { close?: () => void };

/** Run a callback as the next task, after what is already queued: a MessageChannel post. */
function nextTask(): Scheduler {
  if (typeof MessageChannel !== 'function') return (task) => setTimeout(task, 0);
  const channel = new MessageChannel();
  const queue: Array<() => void> = [];
  channel.port1.onmessage = () => queue.shift()?.();
  // Node's ports keep the process alive; a browser worker does not care.
  (channel.port1 as { unref?: () => void }).unref?.();
  const schedule: Scheduler = (task) => {
    queue.push(task);
    channel.port2.postMessage(0);
  };
  schedule.close = () => {
    queue.length = 0;
    channel.port1.close();
    channel.port2.close();
  };
  return schedule;
}
