/**
 * Channel messages to the tabs holding each channel, batched like events: what arrives in one
 * task leaves as one `cm` message per tab, at the task's end. Flushed before anything that must
 * come after them (a channel's state or resync, a connection state). A tab that stopped reading
 * is bounded as for events (tab-backlog.ts), and told which channels lost messages.
 */
import type { ChannelDelivery, StreamMessage } from '../link/messages.ts';
import type { Tab } from './tabs.ts';

export class ChannelFanout {
  #pending = new Map<Tab, ChannelDelivery[]>();
  #scheduled = false;

  /** Queue one message for each of `tabs`. */
  enqueue(tabs: Iterable<Tab>, delivery: ChannelDelivery): void {
    for (const tab of tabs) {
      const batch = this.#pending.get(tab);
      if (batch) batch.push(delivery);
      else this.#pending.set(tab, [delivery]);
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
    for (const [tab, batch] of pending) tab.postChannelBatch({ k: 'cm', d: JSON.stringify(batch) }, new Set(batch.map(([key]) => key)));
  }

  /** Post `message` to `tabs`, after what was queued for them. */
  post(tabs: Iterable<Tab>, message: StreamMessage): void {
    this.flush();
    for (const tab of tabs) tab.post(message);
  }
}
