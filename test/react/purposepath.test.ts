/**
 * `tabwire/purposepath/react` with a real renderer: the hooks of PurposePath's
 * frontend guide, in the shapes it documents, on a memory broker.
 */
import { StrictMode, act, createElement, useState } from 'react';
import { type Root, createRoot } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrokerStats } from '../../src/link/stats.ts';
import { TabwireProvider } from '../../src/tab/react.ts';
import {
  RealtimeProvider,
  type RealtimeConnection,
  useGoalActivity,
  useRealtimeConnection,
  useRealtimeEvent,
  useRealtimeGoals,
} from '../../src/purposepath-react.ts';
import { MemoryBroker } from '../support/memory-broker.ts';

const connected = vi.hoisted(() => [] as MemoryBroker[]);
vi.mock('../../src/tab/client.ts', async (importOriginal) =>
  (await import('../support/memory-broker.ts')).clientOfMemoryBrokers(await importOriginal<typeof import('../../src/tab/client.ts')>(), connected, (broker) => {
    // What a connected broker answers stats() with, as far as these tests look.
    Object.assign(broker, { stats: async () => ({ state: broker.state }) });
  }),
);

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLElement;
let root: Root;
let broker: MemoryBroker;

/** The memory broker answers `stats()` with what the test needs: the state it is in. */
function withStats(target: MemoryBroker): MemoryBroker {
  Object.assign(target, { stats: async () => ({ state: target.state, tabs: 1 }) as BrokerStats });
  return target;
}

beforeEach(() => {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  broker = withStats(new MemoryBroker());
  connected.length = 0;
});
afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

function render(component: () => unknown, { strict = false, enabled = true }: { strict?: boolean; enabled?: boolean } = {}): void {
  const Component = () => component() as ReturnType<typeof createElement>;
  const tree = createElement(RealtimeProvider, { broker: broker.asBroker(), enabled }, createElement(Component));
  act(() => root.render(strict ? createElement(StrictMode, null, tree) : tree));
}

describe('useRealtimeEvent({ eventType, onEvent, enabled, dependencies })', () => {
  it('hands the whole event to the latest onEvent, without resubscribing on re-render', () => {
    const seen: string[] = [];
    let rerender: (n: number) => void = () => {};
    render(() => {
      const [n, setN] = useState(0);
      rerender = setN;
      useRealtimeEvent({ eventType: 'goal.created', onEvent: (message) => seen.push(`${n}:${message.data.title}`), dependencies: [n] });
      return null;
    });
    act(() => void broker.emit('goal.created', { title: 'a' }));
    act(() => rerender(1));
    act(() => void broker.emit('goal.created', { title: 'b' }));
    act(() => void broker.emit('issue.created', { title: 'ignored' }));
    expect(seen).toEqual(['0:a', '1:b']);
    expect(broker.onCalls).toBe(1);
  });

  it('subscribes only while enabled', () => {
    const seen: string[] = [];
    let enable: (on: boolean) => void = () => {};
    render(() => {
      const [on, setOn] = useState(false);
      enable = setOn;
      useRealtimeEvent({ eventType: 'action.completed', enabled: on, onEvent: (message) => seen.push(message.type) });
      return null;
    });
    act(() => void broker.emit('action.completed', {}));
    expect(broker.subscriptions).toBe(0);
    act(() => enable(true));
    act(() => void broker.emit('action.completed', {}));
    act(() => enable(false));
    act(() => void broker.emit('action.completed', {}));
    expect(seen).toEqual(['action.completed']);
    expect(broker.subscriptions).toBe(0);
  });

  it('leaves one subscription under StrictMode, and none after unmount', () => {
    render(() => {
      useRealtimeEvent({ eventType: '*', onEvent: () => {} });
      useGoalActivity({ goalId: 'g1' });
      useRealtimeGoals({});
      return null;
    }, { strict: true });
    // '*', then goal.* and decision.created for the goal, then goal.* for all goals.
    expect(broker.subscriptions).toBe(4);
    act(() => root.unmount());
    expect(broker.subscriptions).toBe(0);
    root = createRoot(container);
  });
});

describe('useRealtimeConnection()', () => {
  it('gives isConnected, connectionState, stats (asked again on each change) and isEnabled', async () => {
    const views: RealtimeConnection[] = [];
    render(() => {
      views.push(useRealtimeConnection());
      return null;
    });
    expect(views.at(-1)).toMatchObject({ isConnected: false, connectionState: 'disconnected', tabwireState: 'idle', isEnabled: true });
    await act(async () => broker.setState('connecting', 'tab-attached'));
    await act(async () => broker.setState('open', 'auth-accepted'));
    expect(views.at(-1)).toMatchObject({ isConnected: true, connectionState: 'connected', tabwireState: 'open', stats: { state: 'open' }, isEnabled: true });
    await act(async () => broker.setState('backoff', 'socket-closed'));
    expect(views.at(-1)).toMatchObject({ isConnected: false, connectionState: 'reconnecting', tabwireState: 'backoff', stats: { state: 'backoff' } });
  });

  it('with the feature flag off: nothing connects, the hooks stay quiet, and isEnabled tells the app to poll', () => {
    const views: RealtimeConnection[] = [];
    const seen: string[] = [];
    const Component = () => {
      views.push(useRealtimeConnection());
      useRealtimeEvent({ eventType: '*', onEvent: (message) => seen.push(message.type) });
      return null;
    };
    const options = { url: 'wss://example.test/ws', getToken: () => 'token' };
    act(() => root.render(createElement(RealtimeProvider, { enabled: false, options }, createElement(Component))));
    expect(connected).toEqual([]);
    expect(views.at(-1)).toEqual({ isConnected: false, connectionState: 'disconnected', tabwireState: 'idle', stats: undefined, isEnabled: false });
    act(() => root.render(createElement(RealtimeProvider, { enabled: true, options }, createElement(Component))));
    expect(connected).toHaveLength(1);
    expect(views.at(-1)?.isEnabled).toBe(true);
    // Turned off again: the broker the provider made is closed.
    act(() => root.render(createElement(RealtimeProvider, { enabled: false, options }, createElement(Component))));
    expect(connected[0]?.closed).toBe(true);
    expect(seen).toEqual([]);
  });

  it('is enabled under a plain <TabwireProvider> too', async () => {
    const views: RealtimeConnection[] = [];
    const Component = () => (views.push(useRealtimeConnection()), null);
    await act(async () => root.render(createElement(TabwireProvider, { broker: broker.asBroker() }, createElement(Component))));
    expect(views.at(-1)).toMatchObject({ isEnabled: true, stats: { state: 'idle' } });
  });
});

describe('useGoalActivity', () => {
  const emitAll = () =>
    act(() => {
      broker.emit('goal.activity.created', { goalId: 'g1', title: 'note' });
      broker.emit('goal.activity.created', { goalId: 'g2', title: 'other goal' });
      broker.emit('decision.created', { goalId: 'g1', decision: 'go' });
      broker.emit('goal.paused', { goalId: 'g1', reason: 'holiday' });
      broker.emit('goal.completed', { goalId: 'g1' });
    });

  it('({ goalId, onCompleted, onPaused, onActivityCreated, … }): the guide’s shape, payload first, event second', () => {
    const calls: string[] = [];
    render(() => {
      useGoalActivity({
        goalId: 'g1',
        onActivityCreated: (data, event) => calls.push(`activity:${data.title}:${event.type}`),
        onPaused: (data) => calls.push(`paused:${data.reason}`),
        onCompleted: (data) => calls.push(`completed:${data.goalId}`),
        onDecision: (data) => calls.push(`decision:${data.decision}`),
        onAnyGoalEvent: (eventType) => calls.push(`any:${eventType}`),
      });
      return null;
    });
    emitAll();
    expect(calls).toEqual([
      'activity:note:goal.activity.created',
      'any:goal.activity.created',
      'decision:go',
      'any:decision.created',
      'paused:holiday',
      'any:goal.paused',
      'completed:g1',
      'any:goal.completed',
    ]);
  });

  it('subscribes to nothing when not enabled', () => {
    const calls: string[] = [];
    let enable: (on: boolean) => void = () => {};
    render(() => {
      const [on, setOn] = useState(true);
      enable = setOn;
      useGoalActivity({
        goalId: 'g1',
        enabled: on,
        onActivityCreated: (data) => calls.push(`onActivityCreated:${data.title}`),
      });
      return null;
    });
    emitAll();
    act(() => enable(false));
    expect(broker.subscriptions).toBe(0);
    emitAll();
    expect(calls).toEqual(['onActivityCreated:note']);
  });
});

describe('useRealtimeGoals({ onGoalCreated, onGoalCompleted, … })', () => {
  it('routes every goal of the tenant by type, payload first, then onAnyGoalEvent', () => {
    const calls: string[] = [];
    let rerender: (n: number) => void = () => {};
    render(() => {
      const [n, setN] = useState(0);
      rerender = setN;
      useRealtimeGoals({
        onGoalCreated: (data) => calls.push(`${n}:created:${data.title}`),
        onGoalActivated: (data) => calls.push(`${n}:activated:${data.goalId}`),
        onGoalPaused: (data) => calls.push(`${n}:paused:${data.goalId}`),
        onGoalResumed: (data) => calls.push(`${n}:resumed:${data.goalId}`),
        onGoalCompleted: (data, event) => calls.push(`${n}:completed:${data.goalId}:${event.type}`),
        onGoalCancelled: (data) => calls.push(`${n}:cancelled:${data.goalId}`),
        onGoalActivityCreated: (data) => calls.push(`${n}:activity:${data.goalId}`),
        onAnyGoalEvent: (eventType, data) => calls.push(`${n}:any:${eventType}:${String(data.goalId)}`),
      });
      return null;
    });
    act(() => {
      broker.emit('goal.created', { goalId: 'g9', title: 'New' });
      broker.emit('action.created', { goalId: 'g9' });
    });
    act(() => rerender(1));
    act(() => {
      for (const type of ['activated', 'paused', 'resumed', 'completed', 'cancelled', 'activity.created']) broker.emit(`goal.${type}`, { goalId: 'g8' });
    });
    expect(calls).toEqual([
      '0:created:New',
      '0:any:goal.created:g9',
      '1:activated:g8',
      '1:any:goal.activated:g8',
      '1:paused:g8',
      '1:any:goal.paused:g8',
      '1:resumed:g8',
      '1:any:goal.resumed:g8',
      '1:completed:g8:goal.completed',
      '1:any:goal.completed:g8',
      '1:cancelled:g8',
      '1:any:goal.cancelled:g8',
      '1:activity:g8',
      '1:any:goal.activity.created:g8',
    ]);
    expect(broker.onCalls).toBe(1);
  });

  it('calls no handler for a type named like an object property', () => {
    const calls: string[] = [];
    render(() => {
      useRealtimeGoals({ onAnyGoalEvent: (eventType) => calls.push(eventType) });
      return null;
    });
    expect(() => act(() => void broker.emit('goal.constructor', { goalId: 'g1' }))).not.toThrow();
    expect(calls).toEqual(['goal.constructor']);
  });
});

describe('outside a provider', () => {
  const hooks: Array<[string, () => unknown]> = [
    ['useRealtimeEvent', () => useRealtimeEvent({ eventType: '*', onEvent: () => {} })],
    ['useRealtimeConnection', () => useRealtimeConnection()],
    ['useRealtimeGoals', () => useRealtimeGoals({})],
    ['useGoalActivity', () => useGoalActivity({ goalId: 'g1' })],
  ];
  it.each(hooks)('%s throws a clear error naming itself', (name, hook) => {
    const Component = () => (hook(), null);
    expect(() => act(() => root.render(createElement(Component)))).toThrow(`${name} must be used inside <TabwireProvider>`);
  });
});
