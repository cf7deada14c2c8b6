/**
 * Channel messages to the tabs holding each channel, batched like events: what arrives in one
 * task leaves as one `cm` message per tab, at the task's end. Flushed before anything that must
 * come after them (a channel's state or resync, a connection state). A tab that stopped reading
 * is bounded as for events (tab-backlog.ts), and told which channels lost messages. Each message
 * is made JSON once, when queued: one a dialect gave that JSON cannot hold (a BigInt, a cycle, a
 * throwing `toJSON`) is dropped alone there, through `unserializable`.
 */
import type { ChannelDelivery, StreamMessage } from '../link/messages.ts';
import type { Tab } from './tabs.ts';

/** One queued message: its channel's key, and the delivery as JSON text. */
type Queued = { key: string; json: string };

export class ChannelFanout {
  #pending = new Map<Tab, Queued[]>();
  #scheduled = false;
  readonly #unserializable: (error: unknown) => void;

  /**
   * `unserializable`: told of each message dropped because JSON cannot hold it.
   * @default nothing is told
   */
  constructor(unserializable: (error: unknown) => void = () => {}) {
    this.#unserializable = unserializable;
  }

  /** Queue one message for each of `tabs`. */
  enqueue(tabs: Iterable<Tab>, delivery: ChannelDelivery): void {
    let json: string;
    try {
      json = JSON.stringify(delivery);
    } catch (error) {
      this.#unserializable(error);
      return;
    }
    const queued = { key: delivery[0], json };
    for (const tab of tabs) {
      const batch = this.#pending.get(tab);
      if (batch) batch.push(queued);
      else this.#pending.set(tab, [queued]);
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.flush());
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#pending.size === 0) return;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [tab, batch] of pending) tab.postChannelBatch({ k: 'cm', d: `[${batch.map((q) => q.json).join(',')}]` }, new Set(batch.map((q) => q.key)));
  }

  /** Post `message` to `tabs`, after what was queued for them. */
  post(tabs: Iterable<Tab>, message: StreamMessage): void {
    this.flush();
    for (const tab of tabs) tab.post(message);
  }
}
