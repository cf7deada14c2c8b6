/**
 * Fan-out of events to tabs, batched: events that arrive together leave as one
 * message per tab, whose payload is the JSON text of the batch (one string clone
 * per tab, one JSON.parse in the tab). Filtering by subscription happens here,
 * so a tab only receives what it asked for.
 *
 * Scheduling: an event arriving after a quiet spell is flushed at the end of the
 * current task (lowest latency); events arriving within `burstWindowMs` of the
 * last flush wait up to that long so bursts leave in batches (highest throughput).
 */
import type { Clock } from '../src/ports.ts';
import type { Tab, TabRegistry } from './tabs.ts';

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
}

export class Fanout {
  #live: Pending[] = [];
  #scheduled = false;
  #lastFlushAt = Number.NEGATIVE_INFINITY;
  readonly counters: FanoutCounters = { deliveries: 0, batches: 0 };

  readonly #tabs: TabRegistry;
  readonly #clock: Clock;
  readonly #burstWindowMs: number;

  constructor(tabs: TabRegistry, clock: Clock, burstWindowMs = 2) {
    this.#tabs = tabs;
    this.#clock = clock;
    this.#burstWindowMs = burstWindowMs;
  }

  enqueue(text: string, type: string, tenant: string | undefined, exactOnly = false): void {
    this.#live.push({ text, type, tenant, exactOnly });
    if (this.#scheduled) return;
    this.#scheduled = true;
    const now = this.#clock.now();
    if (now - this.#lastFlushAt >= this.#burstWindowMs) queueMicrotask(() => this.flush());
    else this.#clock.setTimeout(() => this.flush(), this.#burstWindowMs);
  }

  /** Send what is pending now (also called before anything that must come after it, like a resync). */
  flush(): void {
    this.#scheduled = false;
    if (this.#live.length === 0) return;
    const batch = this.#live;
    this.#live = [];
    this.#lastFlushAt = this.#clock.now();
    this.#post(batch, false);
  }

  /** Replayed events go out at once, as their own batch, marked replayed: to every tab, or to `only`. */
  sendReplayed(events: Array<{ text: string; type: string; tenant: string | undefined }>, only?: Tab): void {
    this.flush();
    if (events.length > 0) this.#post(events.map((e) => ({ ...e, exactOnly: false })), true, only);
  }

  #post(batch: Pending[], replayed: boolean, only?: Tab): void {
    let everything: string | undefined;
    for (const tab of only ? [only] : this.#tabs.all()) {
      const picked = pick(tab, batch);
      if (picked.length === 0) continue;
      // Most tabs subscribe to the same things: build the full batch's text once.
      const text =
        picked.length === batch.length ? (everything ??= join(batch)) : join(picked);
      tab.post(replayed ? { k: 'ev', d: text, r: 1 } : { k: 'ev', d: text });
      this.counters.deliveries += picked.length;
      this.counters.batches++;
    }
  }
}

function pick(tab: Tab, batch: Pending[]): Pending[] {
  if (tab.patterns.size === 0) return [];
  const out: Pending[] = [];
  for (const event of batch) {
    if (tab.tenantId !== undefined && event.tenant !== undefined && event.tenant !== tab.tenantId) continue;
    if (event.exactOnly ? tab.patterns.has(event.type) : tab.patterns.matches(event.type)) out.push(event);
  }
  return out;
}

function join(events: Pending[]): string {
  let text = '[';
  for (let i = 0; i < events.length; i++) text += (i === 0 ? '' : ',') + events[i]!.text;
  return text + ']';
}
