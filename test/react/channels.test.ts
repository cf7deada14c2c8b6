/**
 * The channel hooks over tabwire/testing's memory broker: a component holds its channel while
 * mounted (one registration for equal params however often it renders), gets its messages, and
 * `useSubscription` shows the latest one and the channel's state.
 */
import { act, createElement, useState } from 'react';
import { type Root, createRoot } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TabwireProvider } from '../../src/tab/react.ts';
import { useChannel, useSubscription } from '../../src/react.ts';
import { type MemoryBroker, createMemoryBroker } from '../../src/testing.ts';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLElement;
let root: Root;
let broker: MemoryBroker;

beforeEach(() => {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  broker = createMemoryBroker();
});
afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

function render(component: () => unknown): void {
  const Component = () => component() as ReturnType<typeof createElement>;
  act(() => root.render(createElement(TabwireProvider, { broker }, createElement(Component))));
}

const flush = () => act(async () => {});

describe('useChannel', () => {
  it('holds the channel while mounted, once for equal params across renders, and calls the latest handler', async () => {
    const got: string[] = [];
    let rerender = () => {};
    render(() => {
      const [n, setN] = useState(0);
      rerender = () => setN((x) => x + 1);
      // A new params object every render: the same channel.
      useChannel<string>('room', { id: 7 }, (message) => got.push(`${n}:${message}`));
      return null;
    });
    await flush();
    expect(broker.channels()).toEqual(['["room",{"id":7}]']);
    act(() => rerender());
    await flush();
    expect(broker.calls.channel).toBe(1);
    act(() => broker.publish('room', { id: 7 }, 'hi'));
    act(() => broker.publish('room', { id: 8 }, 'not ours'));
    expect(got).toEqual(['1:hi']);
    act(() => root.unmount());
    root = createRoot(container);
    expect(broker.channels()).toEqual([]);
  });
});

describe('useSubscription', () => {
  it("shows the channel's latest message and its state, then its error", async () => {
    const seen: Array<{ data: unknown; state: string; error?: string }> = [];
    render(() => {
      const { data, state, error } = useSubscription<{ price: number }>('ticker', { symbol: 'ACME' });
      seen.push({ data, state, ...(error ? { error: `${error.code}/${String(error.serverCode)}` } : {}) });
      return null;
    });
    await flush();
    expect(seen.at(-1)).toEqual({ data: undefined, state: 'subscribed' });
    act(() => broker.publish('ticker', { symbol: 'ACME' }, { price: 1 }));
    act(() => broker.publish('ticker', { symbol: 'ACME' }, { price: 2 }));
    expect(seen.at(-1)).toEqual({ data: { price: 2 }, state: 'subscribed' });
    act(() => broker.endChannel('ticker', { symbol: 'ACME' }, { serverCode: 'GONE' }));
    expect(seen.at(-1)).toEqual({ data: { price: 2 }, state: 'error', error: 'CHANNEL_ERROR/GONE' });
  });
});
