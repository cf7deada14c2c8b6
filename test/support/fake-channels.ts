/**
 * BroadcastChannel in memory for Node tests of the leader election: a bus per
 * test, so channel names never leak between tests, each message delivered in a
 * later microtask to every other open channel of its name (never the sender),
 * and a record of every channel opened, to find the ones left open. Channels
 * belong to a page; a frozen page's channels neither send nor receive, as when
 * the browser froze the tab.
 */
import type { LeaderChannel } from '../../src/tab/hosts/leader-deps.ts';

type Listener = (event: MessageEvent) => void;

export interface FakePage {
  /** Its JavaScript is paused: its channels neither send nor receive. */
  frozen: boolean;
  readonly Channel: new (name: string) => LeaderChannel;
}

export class ChannelBus {
  readonly #open = new Map<string, Set<FakeChannel>>();
  /** Every channel ever made on this bus, closed or not. */
  readonly made: FakeChannel[] = [];
  /** Messages posted so far, in order, with the channel name: what the tests inspect. */
  readonly posted: Array<{ name: string; data: unknown }> = [];

  /** A page of its own: its `Channel` is the constructor the leader's deps take. */
  page(): FakePage {
    const bus = this;
    const page: FakePage = {
      frozen: false,
      Channel: class extends FakeChannel {
        constructor(name: string) {
          super(name, bus, page);
        }
      },
    };
    return page;
  }

  /** Channels still open, optionally only those whose name contains `part`. */
  openChannels(part = ''): FakeChannel[] {
    return this.made.filter((channel) => !channel.closed && channel.name.includes(part));
  }

  /** @internal */
  join(channel: FakeChannel): void {
    this.made.push(channel);
    const set = this.#open.get(channel.name) ?? new Set();
    set.add(channel);
    this.#open.set(channel.name, set);
  }

  /** @internal */
  leave(channel: FakeChannel): void {
    this.#open.get(channel.name)?.delete(channel);
  }

  /** @internal */
  send(from: FakeChannel, data: unknown): void {
    if (from.page.frozen) return;
    this.posted.push({ name: from.name, data });
    const copy = structuredClone(data);
    for (const to of this.#open.get(from.name) ?? []) {
      if (to === from) continue;
      queueMicrotask(() => {
        if (!to.closed && !to.page.frozen) to.dispatch(copy);
      });
    }
  }
}

export class FakeChannel implements LeaderChannel {
  closed = false;
  readonly #listeners = new Set<Listener>();

  constructor(
    readonly name: string,
    private readonly bus: ChannelBus,
    readonly page: FakePage,
  ) {
    bus.join(this);
  }

  postMessage(message: unknown): void {
    if (this.closed) throw new DOMException('channel closed', 'InvalidStateError');
    this.bus.send(this, message);
  }

  addEventListener(_type: 'message', listener: Listener): void {
    this.#listeners.add(listener);
  }

  removeEventListener(_type: 'message', listener: Listener): void {
    this.#listeners.delete(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.bus.leave(this);
  }

  /** @internal */
  dispatch(data: unknown): void {
    const event = new MessageEvent('message', { data });
    for (const listener of [...this.#listeners]) listener(event);
  }
}
