import { StrictMode, act, createElement, useState } from 'react';
import { type Root, createRoot } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RealtimeEvent } from '../../src/events.ts';
import {
  TabwireProvider,
  useConnectionState,
  useGoalActivity,
  useRealtimeEvent,
  useRealtimeGoals,
  useRecentEvents,
  useResync,
} from '../../src/react.ts';
import { MemoryBroker } from '../support/memory-broker.ts';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLElement;
let root: Root;
let broker: MemoryBroker;

beforeEach(() => {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  broker = new MemoryBroker();
});
afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

function render(component: () => unknown, strict = false): void {
  const Component = () => component() as ReturnType<typeof createElement>;
  const tree = createElement(TabwireProvider, { broker: broker.asBroker() }, createElement(Component));
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
    expect(broker.onCalls).toBe(1);
    act(() => root.unmount());
    expect(broker.subscriptions).toBe(0);
    root = createRoot(container);
  });

  it('leaves no subscription behind under StrictMode’s double effects', () => {
    const seen: string[] = [];
    render(() => {
      useRealtimeEvent('*', (event) => seen.push(event.type));
      return null;
    }, true);
    expect(broker.subscriptions).toBe(1);
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
      for (const handler of [(broker as unknown as { handlers: Set<{ handler: (e: RealtimeEvent) => void }> }).handlers]) {
        for (const entry of handler) entry.handler(event);
      }
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

  it('useGoalActivity routes one goal’s events to its handlers and ignores other goals', () => {
    const calls: string[] = [];
    render(() => {
      useGoalActivity('g1', {
        onActivity: (e) => calls.push(`activity:${e.data.title}`),
        onCompleted: (e) => calls.push(`completed:${e.data.goalId}`),
        onDecision: (e) => calls.push(`decision:${e.data.decision}`),
        onAny: (e) => calls.push(`any:${e.type}`),
      });
      return null;
    });
    act(() => {
      broker.emit('goal.activity.created', { goalId: 'g1', title: 'note' });
      broker.emit('goal.activity.created', { goalId: 'g2', title: 'other goal' });
      broker.emit('decision.created', { goalId: 'g1', decision: 'go' });
      broker.emit('goal.completed', { goalId: 'g1' });
    });
    expect(calls).toEqual([
      'activity:note',
      'any:goal.activity.created',
      'decision:go',
      'any:decision.created',
      'completed:g1',
      'any:goal.completed',
    ]);
  });

  it('useRealtimeGoals routes every goal event by type', () => {
    const calls: string[] = [];
    render(() => {
      useRealtimeGoals({
        onCreated: (e) => calls.push(`created:${e.data.title}`),
        onPaused: (e) => calls.push(`paused:${e.data.goalId}`),
      });
      return null;
    });
    act(() => {
      broker.emit('goal.created', { goalId: 'g9', title: 'New' });
      broker.emit('goal.paused', { goalId: 'g9' });
      broker.emit('action.created', { goalId: 'g9' });
    });
    expect(calls).toEqual(['created:New', 'paused:g9']);
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
});
