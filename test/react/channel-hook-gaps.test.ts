/**
 * The channel hooks tell every gap of their channel: the channel's own resyncs and errors reach
 * their options' listeners, and a provider that moves to a new broker (its url, tenant or session
 * changed) tells a component that held the channel on the old one `{ complete: false }` once the
 * channel is subscribed on the new one — never for StrictMode's double mount, a channel never
 * held, or another channel. connectBroker is played by memory brokers.
 */
import { StrictMode, act, createElement } from 'react';
import { type Root, createRoot } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChannelResync } from '../../src/tab/channels.ts';
import type { ConnectOptions } from '../../src/tab/options.ts';
import { type MemoryBroker, createMemoryBroker } from '../../src/testing.ts';

const connected = vi.hoisted(() => [] as MemoryBroker[]);
vi.mock('../../src/tab/client.ts', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  connectBroker: (_options: ConnectOptions) => {
    const broker = createMemoryBroker({ state: 'idle' });
    connected.push(broker);
    return broker;
  },
}));
const { TabwireProvider } = await import('../../src/tab/react.ts');
const { useChannel, useSubscription } = await import('../../src/tab/react-channels.ts');

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLElement;
let root: Root;

beforeEach(() => {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  connected.length = 0;
});
afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

const flush = () => act(async () => {});
const base = { url: 'wss://a.example/ws', getToken: () => 't' };
const live = () => connected.filter((broker) => !broker.closed);

/** What the one component renders, read at each render: the component stays mounted across show()s. */
let body: () => unknown = () => null;
const Component = () => body() as ReturnType<typeof createElement>;

/** The provider with `options` over `component`, optionally in StrictMode. */
function show(options: ConnectOptions, component: () => unknown, strict = false): void {
  body = component;
  const tree = createElement(TabwireProvider, { options }, createElement(Component));
  act(() => root.render(strict ? createElement(StrictMode, null, tree) : tree));
}

/** Opens the one live broker and lets its channels subscribe. */
async function openLive(): Promise<MemoryBroker> {
  expect(live()).toHaveLength(1);
  const broker = live()[0]!;
  act(() => broker.setState('open', 'auth-accepted'));
  await flush();
  return broker;
}

describe("useChannel's options", () => {
  it("call the latest onResync with the channel's resync, and onError with its error", async () => {
    const seen: string[] = [];
    let round = 0;
    const room = () => {
      const n = ++round;
      useChannel('room', { id: 1 }, () => {}, {
        onResync: ({ complete }) => seen.push(`${n}:resync:${complete}`),
        onError: (error) => seen.push(`${n}:error:${error.code}`),
      });
      return null;
    };
    show(base, room);
    const broker = await openLive();
    show(base, room);
    act(() => broker.resyncChannel('room', { id: 1 }, true));
    act(() => broker.endChannel('room', { id: 1 }, { serverCode: 'GONE' }));
    expect(seen).toEqual(['2:resync:true', '2:error:CHANNEL_ERROR']);
    expect(broker.calls.channel).toBe(1);
  });
});

describe('a provider moving to a new broker', () => {
  const account = (sessionKey: string): ConnectOptions => ({ ...base, sessionKey });

  it('tells useChannel { complete: false } once, after the channel is subscribed on the new broker', async () => {
    const seen: string[] = [];
    const room = () => {
      useChannel<string>('room', { id: 1 }, (message) => seen.push(`message:${message}`), {
        onResync: (signal: ChannelResync) => seen.push(`resync:${signal.complete}`),
      });
      return null;
    };
    show(account('ada'), room);
    const first = await openLive();
    act(() => first.publish('room', { id: 1 }, 'a'));
    show(account('bob'), room);
    expect(first.closed).toBe(true);
    await flush();
    // Not before the new broker subscribed it: nothing is back yet.
    expect(seen).toEqual(['message:a']);
    const second = await openLive();
    expect(second.channels()).toEqual(['["room",{"id":1}]']);
    expect(seen).toEqual(['message:a', 'resync:false']);
    act(() => second.publish('room', { id: 1 }, 'b'));
    await flush();
    expect(seen).toEqual(['message:a', 'resync:false', 'message:b']);
  });

  it('tells useSubscription { complete: false } and shows no data of the old session', async () => {
    const resyncs: ChannelResync[] = [];
    let view: ReturnType<typeof useSubscription<number>> | undefined;
    const ticker = () => {
      view = useSubscription<number>('ticker', undefined, { onResync: (signal) => resyncs.push(signal) });
      return null;
    };
    show(account('ada'), ticker);
    const first = await openLive();
    act(() => first.publish('ticker', undefined, 1));
    expect(view).toEqual({ data: 1, state: 'subscribed', error: undefined });
    show(account('bob'), ticker);
    expect(view).toEqual({ data: undefined, state: 'subscribing', error: undefined });
    await openLive();
    expect(resyncs).toEqual([{ complete: false }]);
    expect(view).toEqual({ data: undefined, state: 'subscribed', error: undefined });
  });

  it('tells nothing under StrictMode, then once when the account changes', async () => {
    const resyncs: boolean[] = [];
    const room = () => {
      useChannel('room', undefined, () => {}, { onResync: ({ complete }) => resyncs.push(complete) });
      return null;
    };
    show(account('ada'), room, true);
    await openLive();
    show(account('ada'), room, true);
    await flush();
    expect(resyncs).toEqual([]);
    show(account('bob'), room, true);
    await openLive();
    expect(resyncs).toEqual([false]);
  });

  it('tells nothing for a channel the old broker never subscribed, nor for a channel of other params', async () => {
    const resyncs: string[] = [];
    const room = (id: number) => () => {
      useChannel('room', { id }, () => {}, { onResync: ({ complete }) => resyncs.push(`${id}:${complete}`) });
      return null;
    };
    show(account('ada'), room(1));
    // The first broker never opened: the channel was never held, nothing was missed.
    show(account('bob'), room(1));
    await openLive();
    expect(resyncs).toEqual([]);
    // Another channel on another account: a new channel, not a gap in the held one.
    show(account('cy'), room(2));
    await openLive();
    expect(resyncs).toEqual([]);
  });

  it('tells a gap once on the first broker that subscribes the channel again, not on one that never did', async () => {
    const resyncs: boolean[] = [];
    const room = () => {
      useChannel('room', undefined, () => {}, { onResync: ({ complete }) => resyncs.push(complete) });
      return null;
    };
    show(account('ada'), room);
    await openLive();
    show(account('bob'), room);
    await flush();
    show(account('cy'), room);
    await openLive();
    expect(resyncs).toEqual([false]);
  });

  it('tells nothing when StrictMode mounts a component on a channel another one already holds', async () => {
    const given = createMemoryBroker();
    const resyncs: string[] = [];
    const Room = ({ who }: { who: string }) => {
      useChannel('room', undefined, () => {}, { onResync: ({ complete }) => resyncs.push(`${who}:${complete}`) });
      return null;
    };
    const tree = (both: boolean) =>
      createElement(StrictMode, null, createElement(TabwireProvider, { broker: given }, createElement(Room, { who: 'a' }), both ? createElement(Room, { who: 'b' }) : null));
    act(() => root.render(tree(false)));
    await flush();
    act(() => root.render(tree(true)));
    await flush();
    act(() => given.resyncChannel('room', undefined, true));
    expect(resyncs).toEqual(['a:true', 'b:true']);
  });

  it("never renders the old broker's data with the new one, nor the old params' data with new params", async () => {
    const views: Array<{ id: number; data: unknown }> = [];
    let id = 1;
    const ticker = () => {
      views.push({ id, data: useSubscription<string>('ticker', { id }).data });
      return null;
    };
    show(account('ada'), ticker);
    const first = await openLive();
    act(() => first.publish('ticker', { id: 1 }, 'ada:1'));
    expect(views.at(-1)).toEqual({ id: 1, data: 'ada:1' });
    views.length = 0;
    show(account('bob'), ticker);
    expect(views.map((view) => view.data)).toEqual(views.map(() => undefined));
    const second = await openLive();
    act(() => second.publish('ticker', { id: 1 }, 'bob:1'));
    views.length = 0;
    id = 2;
    show(account('bob'), ticker);
    expect(views).toEqual(views.map(() => ({ id: 2, data: undefined })));
  });
});
