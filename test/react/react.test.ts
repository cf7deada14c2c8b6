import { StrictMode, act, createElement, useState } from 'react';
import { type Root, createRoot } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UpgradeNotice } from '../../src/link/messages.ts';
import { TabwireError, type TabwireErrorData } from '../../src/link/errors.ts';
import type { RealtimeEvent } from '../../src/link/events.ts';
import type { ConnectOptions } from '../../src/tab/options.ts';
import type { RecentQuery } from '../../src/link/messages.ts';
import {
  TabwireProvider,
  useBroker,
  useConnectionState,
  useRealtimeError,
  useRealtimeEvent,
  useRecentEvents,
  useResync,
  useUpgrade,
} from '../../src/tab/react.ts';
import { type MemoryBroker, createMemoryBroker } from '../../src/testing.ts';

/**
 * Every broker the provider connected, in order, with the options it was given: connectBroker is
 * played by memory brokers (made by the test's own import: tabwire/testing imports the client).
 */
const connected = vi.hoisted(() => [] as MemoryBroker[]);
const optionsOf = vi.hoisted(() => new Map<object, ConnectOptions>());
vi.mock('../../src/tab/client.ts', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  connectBroker: (options: ConnectOptions) => {
    const broker = createMemoryBroker({ state: 'idle' });
    optionsOf.set(broker, options);
    connected.push(broker);
    return broker;
  },
}));

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLElement;
let root: Root;
let broker: MemoryBroker;

beforeEach(() => {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  broker = createMemoryBroker({ state: 'idle' });
  connected.length = 0;
});
afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

function render(component: () => unknown, strict = false): void {
  const Component = () => component() as ReturnType<typeof createElement>;
  const tree = createElement(TabwireProvider, { broker }, createElement(Component));
  act(() => root.render(strict ? createElement(StrictMode, null, tree) : tree));
}

describe('tabwire/react', () => {
  it('useRealtimeEvent calls the latest handler without resubscribing, and unsubscribes on unmount', () => {
    const seen: string[] = [];
    let rerender: (n: number) => void = () => {};
    render(() => {
      const [n, setN] = useState(0);
      rerender = setN;
      // A new handler on every render, closing over the render's n.
      useRealtimeEvent('goal.created', (event) => seen.push(`${n}:${event.data.title}`));
      return null;
    });
    act(() => void broker.emit('goal.created', { title: 'a' }));
    act(() => rerender(1));
    act(() => rerender(2));
    act(() => void broker.emit('goal.created', { title: 'b' }));
    act(() => void broker.emit('issue.created', { title: 'ignored' }));
    expect(seen).toEqual(['0:a', '2:b']);
    expect(broker.calls.on).toBe(1);
    act(() => root.unmount());
    expect(broker.listeners('event')).toBe(0);
    root = createRoot(container);
  });

  it('leaves no subscription behind under StrictMode’s double effects', () => {
    const seen: string[] = [];
    render(() => {
      useRealtimeEvent('*', (event) => seen.push(event.type));
      return null;
    }, true);
    expect(broker.listeners('event')).toBe(1);
    act(() => void broker.emit('goal.created', {}));
    expect(seen).toEqual(['goal.created']);
  });

  it('useConnectionState re-renders on every state change', () => {
    const renders: string[] = [];
    render(() => {
      renders.push(useConnectionState());
      return null;
    });
    act(() => broker.setState('connecting', 'tab-attached'));
    act(() => broker.setState('open', 'auth-accepted'));
    expect(renders.at(-1)).toBe('open');
    expect(renders).toContain('connecting');
  });

  it('useResync hands each resync signal to the latest handler', () => {
    const signals: unknown[] = [];
    render(() => {
      useResync((signal) => signals.push(signal.reason));
      return null;
    });
    act(() => broker.resync({ since: 'a', until: 'b', reason: 'reconnect', replayed: 0, complete: false }));
    expect(signals).toEqual(['reconnect']);
  });

  it('useRecentEvents renders the log at once, then keeps up with live events, within its limit', async () => {
    broker.emit('goal.created', { title: 'old-1' });
    broker.emit('issue.created', { title: 'not a goal' });
    broker.emit('goal.completed', { title: 'old-2' });
    let view: { events: RealtimeEvent[]; loading: boolean } = { events: [], loading: true };
    render(() => {
      view = useRecentEvents({ type: 'goal.*', limit: 3 }) as typeof view;
      return null;
    });
    await act(async () => {});
    expect(view.loading).toBe(false);
    expect(view.events.map((e) => e.data.title)).toEqual(['old-1', 'old-2']);
    act(() => void broker.emit('goal.paused', { title: 'live-1' }));
    act(() => void broker.emit('goal.resumed', { title: 'live-2' }));
    expect(view.events.map((e) => e.data.title)).toEqual(['old-2', 'live-1', 'live-2']);
    act(() => broker.setState('closed', 'logout'));
    expect(view.events).toEqual([]);
  });

  it('useRecentEvents does not show an event twice when it arrives while the log is being read', async () => {
    let view: { events: RealtimeEvent[] } = { events: [] };
    const event = broker.emit('goal.created', { title: 'both' });
    const recent = broker.recent.bind(broker);
    broker.recent = async (query) => {
      const answer = await recent(query);
      // The same event also arrives live before the log's answer is used.
      broker.emit(event.type, event.data, { timestamp: event.timestamp });
      return answer;
    };
    render(() => {
      view = useRecentEvents({}) as typeof view;
      return null;
    });
    await act(async () => {});
    expect(view.events.map((e) => e.data.title)).toEqual(['both']);
  });

  it('useRecentEvents does not bring the old user’s events back when logout lands while the log is read', async () => {
    broker.emit('goal.created', { title: 'previous user' });
    let view: { events: RealtimeEvent[]; loading: boolean } = { events: [], loading: true };
    const recent = broker.recent.bind(broker);
    let answer!: () => void;
    broker.recent = (query) => new Promise((resolve) => (answer = () => void recent(query).then(resolve)));
    render(() => {
      view = useRecentEvents({}) as typeof view;
      return null;
    });
    act(() => broker.setState('closed', 'logout'));
    await act(async () => answer());
    await act(async () => {});
    expect(view.events).toEqual([]);
  });

  it('hooks wait quietly for a provider that has not connected yet', () => {
    const renders: string[] = [];
    const Component = () => {
      renders.push(useConnectionState());
      useRealtimeEvent('*', () => {});
      return null;
    };
    act(() => root.render(createElement(TabwireProvider, {}, createElement(Component))));
    expect(renders).toEqual(['idle']);
  });

  it('useRealtimeError hands each error to the latest handler, and unsubscribes on unmount', () => {
    const codes: string[] = [];
    const received: unknown[] = [];
    let rerender: (n: number) => void = () => {};
    render(() => {
      const [n, setN] = useState(0);
      rerender = setN;
      useRealtimeError((error) => {
        codes.push(`${n}:${error.code}`);
        received.push(error);
      });
      return null;
    });
    act(() => broker.fail({ code: 'MALFORMED_FRAME', message: 'x' } satisfies TabwireErrorData));
    act(() => rerender(1));
    let sent!: TabwireError;
    act(() => void (sent = broker.fail({ code: 'SERVER_ERROR', message: 'y', serverCode: 'VALIDATION_ERROR' } satisfies TabwireErrorData)));
    expect(codes).toEqual(['0:MALFORMED_FRAME', '1:SERVER_ERROR']);
    // The broker's TabwireError itself, as onError gives it.
    expect(received[1]).toBe(sent);
    expect(received[1]).toBeInstanceOf(TabwireError);
    expect(received[1]).toMatchObject({ code: 'SERVER_ERROR', message: 'y', serverCode: 'VALIDATION_ERROR' });
    expect(broker.listeners('error')).toBe(1);
    act(() => root.unmount());
    expect(broker.listeners('error')).toBe(0);
    root = createRoot(container);
  });

  it('useUpgrade gives the latest notice and a function that upgrades', async () => {
    let view!: ReturnType<typeof useUpgrade>;
    render(() => {
      view = useUpgrade();
      return null;
    });
    expect(view.notice).toBeUndefined();
    const notice: UpgradeNotice = { buildId: 'b2', mode: 'worker', compatible: true };
    act(() => broker.announce(notice));
    expect(view.notice).toEqual(notice);
    act(() => broker.announce({ ...notice, buildId: 'b3', compatible: false }));
    expect(view.notice?.buildId).toBe('b3');
    // The broker's answer: b3 needs a reload.
    await expect(view.upgrade()).resolves.toBe(false);
    expect(broker.calls.upgrade).toBe(1);
    expect(broker.listeners('upgrade')).toBe(1);
  });
});

describe('useConnectionState', () => {
  it('subscribes once per broker, however often it re-renders', () => {
    let rerender: (n: number) => void = () => {};
    render(() => {
      const [, setN] = useState(0);
      rerender = setN;
      useConnectionState();
      return null;
    });
    for (let n = 1; n <= 5; n++) act(() => rerender(n));
    expect(broker.calls.onState).toBe(1);
    expect(broker.listeners('state')).toBe(1);
  });

  it('leaves exactly one state subscription under StrictMode', () => {
    render(() => useConnectionState() && null, true);
    expect(broker.listeners('state')).toBe(1);
  });
});

describe('outside <TabwireProvider>', () => {
  const hooks: Array<[string, () => unknown]> = [
    ['useBroker', () => useBroker()],
    ['useRealtimeEvent', () => useRealtimeEvent('*', () => {})],
    ['useConnectionState', () => useConnectionState()],
    ['useResync', () => useResync(() => {})],
    ['useRecentEvents', () => useRecentEvents()],
    ['useRealtimeError', () => useRealtimeError(() => {})],
    ['useUpgrade', () => useUpgrade()],
  ];
  it.each(hooks)('%s throws a clear error', (name, hook) => {
    const Component = () => (hook(), null);
    expect(() => act(() => root.render(createElement(Component)))).toThrow(
      `${name} must be used inside <TabwireProvider>`,
    );
  });
});

/** A `recent` whose answers the test gives, one by one, in any order. */
function heldAnswers(target: MemoryBroker) {
  const recent = target.recent.bind(target);
  const asked: Array<{ query: RecentQuery; answer: () => Promise<void> }> = [];
  target.recent = (query = {}) =>
    new Promise((resolve) => asked.push({ query, answer: async () => resolve(await recent(query)) }));
  return asked;
}

describe('useRecentEvents and changing queries', () => {
  type View = { events: RealtimeEvent[]; loading: boolean };
  const titles = (view: View) => view.events.map((event) => event.data.title);

  it('does not loop with an inline new Date(…), and asks again when the date’s value changes', async () => {
    broker.emit('goal.created', { title: 'old' }, { timestamp: '2020-01-01T00:00:00.000Z' });
    broker.emit('goal.created', { title: 'new' }, { timestamp: '2024-01-01T00:00:00.000Z' });
    const recent = broker.recent.bind(broker);
    let calls = 0;
    // Stops answering after a few calls, so a loop fails the test instead of hanging it.
    broker.recent = (query) => (++calls > 10 ? new Promise(() => {}) : recent(query));
    let renders = 0;
    let since = '2019-01-01T00:00:00.000Z';
    let view: View = { events: [], loading: true };
    let rerender: (n: number) => void = () => {};
    render(() => {
      renders++;
      const [, setN] = useState(0);
      rerender = setN;
      view = useRecentEvents({ since: new Date(since), limit: 10 }) as View;
      return null;
    });
    for (let i = 0; i < 5; i++) await act(async () => {});
    expect(calls).toBe(1);
    expect(renders).toBeLessThanOrEqual(3);
    expect(titles(view)).toEqual(['old', 'new']);
    since = '2023-01-01T00:00:00.000Z';
    await act(async () => rerender(1));
    for (let i = 0; i < 5; i++) await act(async () => {});
    expect(calls).toBe(2);
    expect(titles(view)).toEqual(['new']);
  });

  it('clears the old query’s events and is loading until the new query answers', async () => {
    broker.emit('goal.created', { title: 'a goal' });
    broker.emit('issue.created', { title: 'an issue' });
    const asked = heldAnswers(broker);
    let view: View = { events: [], loading: true };
    let setType: (type: string) => void = () => {};
    render(() => {
      const [type, set] = useState('goal.*');
      setType = set;
      view = useRecentEvents({ type }) as View;
      return null;
    });
    await act(() => asked[0]!.answer());
    expect(view).toMatchObject({ loading: false });
    expect(titles(view)).toEqual(['a goal']);
    act(() => setType('issue.*'));
    // The very render that changed the query must not show the old answer as current.
    expect(view).toMatchObject({ loading: true, events: [] });
    await act(() => asked[1]!.answer());
    expect(view).toMatchObject({ loading: false });
    expect(titles(view)).toEqual(['an issue']);
  });

  it('never lets a late answer of an older query overwrite a newer one', async () => {
    broker.emit('goal.created', { title: 'a goal' });
    broker.emit('issue.created', { title: 'an issue' });
    const asked = heldAnswers(broker);
    let view: View = { events: [], loading: true };
    let setType: (type: string) => void = () => {};
    render(() => {
      const [type, set] = useState('goal.*');
      setType = set;
      view = useRecentEvents({ type }) as View;
      return null;
    });
    act(() => setType('issue.*'));
    await act(() => asked[1]!.answer());
    expect(titles(view)).toEqual(['an issue']);
    await act(() => asked[0]!.answer());
    expect(titles(view)).toEqual(['an issue']);
    expect(view.loading).toBe(false);
  });

  it('stays loading when only the older query has answered', async () => {
    broker.emit('goal.created', { title: 'a goal' });
    const asked = heldAnswers(broker);
    let view: View = { events: [], loading: true };
    let setLimit: (limit: number) => void = () => {};
    render(() => {
      const [limit, set] = useState(10);
      setLimit = set;
      view = useRecentEvents({ limit }) as View;
      return null;
    });
    act(() => setLimit(5));
    await act(() => asked[0]!.answer());
    expect(view).toMatchObject({ loading: true, events: [] });
    await act(() => asked[1]!.answer());
    expect(view).toMatchObject({ loading: false });
    expect(titles(view)).toEqual(['a goal']);
  });
});

describe('TabwireProvider with options', () => {
  const base = { url: 'wss://a.example/ws', getToken: () => 't' };
  let seen: Array<ReturnType<typeof useBroker>>;

  const Child = () => {
    seen.push(useBroker());
    useRealtimeEvent('*', () => {});
    return null;
  };
  const show = (options: ConnectOptions, strict = false) => {
    const tree = createElement(TabwireProvider, { options }, createElement(Child));
    act(() => root.render(strict ? createElement(StrictMode, null, tree) : tree));
  };
  const live = () => connected.filter((broker) => !broker.closed);

  beforeEach(() => {
    seen = [];
  });

  it('leaves exactly one broker attached, with one subscription, under StrictMode', () => {
    show({ ...base }, true);
    expect(live()).toHaveLength(1);
    expect(live()[0]!.listeners('event')).toBe(1);
    for (const closed of connected.filter((broker) => broker.closed)) expect(closed.listeners('event')).toBe(0);
    act(() => root.unmount());
    expect(live()).toHaveLength(0);
    root = createRoot(container);
  });

  it('keeps its broker when re-rendered with a new object of the same options', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    show({ ...base, tenantId: 't1' });
    show({ ...base, tenantId: 't1' });
    show({ ...base, tenantId: 't1', getToken: () => 'another function' });
    expect(connected).toHaveLength(1);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it.each([
    ['url', { url: 'wss://b.example/ws' }],
    ['tenantId', { tenantId: 't2' }],
    ['sessionKey', { sessionKey: 's2' }],
  ])('reconnects when %s changes: the old broker closed, the new one provided', (_name, change) => {
    show({ ...base, tenantId: 't1', sessionKey: 's1' } as ConnectOptions);
    const first = connected[0]!;
    show({ ...base, tenantId: 't1', sessionKey: 's1', ...change } as ConnectOptions);
    expect(connected).toHaveLength(2);
    expect(first.closed).toBe(true);
    expect(first.listeners('event')).toBe(0);
    const second = connected[1]!;
    expect(optionsOf.get(second)).toMatchObject(change);
    expect(second.listeners('event')).toBe(1);
    // A new broker for the new connection, from the render that changed it, speaking for the second.
    expect(seen.at(-1) === seen[0]).toBe(false);
    act(() => second.setState('open', 'auth-accepted'));
    expect(seen.at(-1)!.state).toBe('open');
  });

  it('warns once, naming the option, when another option changes, and keeps the broker', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    show({ ...base, keepAliveMs: 60_000 });
    show({ ...base, keepAliveMs: 30_000 });
    show({ ...base, keepAliveMs: 10_000 });
    show({ ...base, keepAliveMs: 10_000, log: { maxEvents: 5 } });
    expect(connected).toHaveLength(1);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[0]![0])).toContain('keepAliveMs');
    expect(String(warn.mock.calls[1]![0])).toContain('log');
    warn.mockRestore();
  });

  it('asks the latest getToken, so a token function closing over new state needs no reconnect', async () => {
    show({ ...base, getToken: () => 'first' });
    show({ ...base, getToken: () => 'second' });
    expect(await optionsOf.get(connected[0]!)!.getToken()).toBe('second');
  });
});
