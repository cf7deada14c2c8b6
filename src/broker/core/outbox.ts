/**
 * The upstream buffer: messages a tab sends while the socket is down wait here,
 * bounded, and leave in order after the next successful handshake.
 */
export type OutboxResult = 'queued' | 'full';

export class Outbox<T> {
  private items: T[] = [];

  /** @param capacity most messages held. */
  constructor(private readonly capacity: number) {}

  push(item: T): OutboxResult {
    if (this.items.length >= this.capacity) return 'full';
    this.items.push(item);
    return 'queued';
  }

  /** Everything held, oldest first; the buffer is empty afterwards. */
  drain(): T[] {
    const items = this.items;
    this.items = [];
    return items;
  }

  /** Takes out, and returns, the held items `leaves` picks; the others keep their order. */
  take(leaves: (item: T) => boolean): T[] {
    const taken = this.items.filter(leaves);
    if (taken.length > 0) this.items = this.items.filter((item) => !leaves(item));
    return taken;
  }

  get size(): number {
    return this.items.length;
  }
}
