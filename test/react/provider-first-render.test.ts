/**
 * The provider's broker is there from the first render: `useBroker()` is a `Broker` inside the
 * provider at once, nothing connects until the provider mounts, and what the tree does with it
 * before then (a child's effect runs before its parent's) reaches the broker once connected.
 */
import { StrictMode, act, createElement, useEffect } from 'react';
import { type Root, createRoot } from 'react-dom/client';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { Broker } from '../../src/tab/client.ts';
import type { ConnectOptions } from '../../src/tab/options.ts';
import { type MemoryBroker, createMemoryBroker } from '../../src/testing.ts';
import { TabwireProvider, useBroker, useConnectionState } from '../../src/tab/react.ts';

/**
 * Every broker the provider connected, in order: connectBroker is played by memory brokers (made by
 * the test's own import: tabwire/testing imports the client).
 */
const connected = vi.hoisted(() => [] as MemoryBroker[]);
vi.mock('../../src/tab/client.ts', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  connectBroker: (_options: ConnectOptions) => {
    const broker = createMemoryBroker({ state: 'connecting' });
    connected.push(broker);
    return broker;
  },
}));

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root;
beforeEach(() => {
  connected.length = 0;
  root = createRoot(document.createElement('div'));
});
afterEach(() => act(() => root.unmount()));

const options = { url: 'wss://x/realtime', getToken: () => 't' };

function renderWith(component: () => unknown, strict = false): void {
  const Component = () => component() as ReturnType<typeof createElement>;
  const tree = createElement(TabwireProvider, { options }, createElement(Component));
  act(() => root.render(strict ? createElement(StrictMode, null, tree) : tree));
}

it('gives a Broker on the first render, before anything connected', () => {
  const renders: Array<{ broker: Broker | null; connectedThen: number; state: string }> = [];
  renderWith(() => {
    renders.push({ broker: useBroker(), connectedThen: connected.length, state: useConnectionState() });
    return null;
  });
  expect(renders[0]).toMatchObject({ connectedThen: 0, state: 'idle' });
  expect(typeof renders[0]!.broker?.on).toBe('function');
  expect(connected).toHaveLength(1);
  // The same broker through re-renders, now showing the connected one's state.
  expect(new Set(renders.map((render) => render.broker)).size).toBe(1);
  expect(renders.at(-1)!.state).toBe('connecting');
  act(() => connected[0]!.setState('open'));
  expect(renders.at(-1)!.state).toBe('open');
});

it("lets a child's effect use the broker before the provider's effect connected it", async () => {
  const seen: string[] = [];
  let sent: Promise<boolean> | undefined;
  renderWith(() => {
    const broker = useBroker();
    useEffect(() => {
      sent = broker.send({ action: 'hello' });
      return broker.on('goal.*', (event) => seen.push(event.type));
    }, [broker]);
    return null;
  });
  await act(async () => {
    await sent;
  });
  const [real] = connected;
  expect(real!.sent).toEqual([{ message: { action: 'hello' }, options: {} }]);
  act(() => void real!.emit('goal.created', { goalId: 'g1' }));
  expect(seen).toEqual(['goal.created']);
  act(() => root.unmount());
  expect(real!.closed).toBe(true);
  expect(real!.listeners('event')).toBe(0);
  root = createRoot(document.createElement('div'));
});

it("under StrictMode's double effects, leaves the tree's listeners on the one broker still open", () => {
  const seen: string[] = [];
  renderWith(() => {
    const broker = useBroker();
    useEffect(() => broker.on('*', (event) => seen.push(event.type)), [broker]);
    useConnectionState();
    return null;
  }, true);
  const open = connected.filter((broker) => !broker.closed);
  expect(open).toHaveLength(1);
  for (const closed of connected.filter((broker) => broker.closed)) expect(closed.listeners('event') + closed.listeners('state')).toBe(0);
  act(() => void open[0]!.emit('goal.created'));
  expect(seen).toEqual(['goal.created']);
  expect(open[0]!.listeners('event')).toBe(1);
});

it('rejects what waits for a broker with CLOSED when the provider unmounts first', async () => {
  let broker: Broker | undefined;
  renderWith(() => {
    broker = useBroker();
    return null;
  });
  act(() => root.unmount());
  await expect(broker!.send({})).rejects.toMatchObject({ code: 'CLOSED' });
  await expect(broker!.once('goal.*')).rejects.toMatchObject({ code: 'CLOSED' });
  root = createRoot(document.createElement('div'));
});
