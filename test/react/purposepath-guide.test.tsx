/**
 * `tabwire/purposepath/react` against PurposePath's frontend guide: the guide's
 * five connection states, live stats, its event names, the positional
 * `useRealtimeEvent`, `useRealtime()`, and the feature flag off unless set.
 */
import { act, cleanup, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrokerStats } from '../../src/link/stats.ts';
import {
  RealtimeProvider,
  useRealtime,
  useRealtimeConnection,
  useRealtimeEvent,
} from '../../src/purposepath-react.ts';
import { MemoryBroker } from '../support/memory-broker.ts';

const connected = vi.hoisted(() => [] as MemoryBroker[]);
vi.mock('../../src/tab/client.ts', async (importOriginal) =>
  (await import('../support/memory-broker.ts')).clientOfMemoryBrokers(await importOriginal<typeof import('../../src/tab/client.ts')>(), connected),
);

let broker: MemoryBroker;
let statsCalls: number;

beforeEach(() => {
  connected.length = 0;
  statsCalls = 0;
  broker = new MemoryBroker();
  // What a broker answers stats() with, as far as these tests look: its state and a call count.
  Object.assign(broker, { stats: async () => ({ state: broker.state, eventsReceived: ++statsCalls }) as unknown as BrokerStats });
});
afterEach(() => {
  // Testing Library unmounts by itself only where the test globals are on.
  cleanup();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const withBroker = ({ children }: { children: ReactNode }) => (
  <RealtimeProvider enabled broker={broker.asBroker()}>
    {children}
  </RealtimeProvider>
);

describe('useRealtimeConnection(): the guide’s vocabulary', () => {
  it.each([
    ['idle', 'initial', 'disconnected'],
    ['connecting', 'tab-attached', 'connecting'],
    ['authenticating', 'socket-opened', 'connecting'],
    ['open', 'auth-accepted', 'connected'],
    ['backoff', 'socket-closed', 'reconnecting'],
    ['connecting', 'retry', 'reconnecting'],
    ['offline', 'went-offline', 'reconnecting'],
    ['unauthorized', 'refresh-failed', 'error'],
    ['forbidden', 'forbidden', 'error'],
    ['closed', 'logout', 'disconnected'],
    ['closed', 'retries-exhausted', 'error'],
  ] as const)('tabwire %s (%s) is %s, with tabwire’s state beside it', async (state, reason, status) => {
    const { result } = renderHook(() => useRealtimeConnection(), { wrapper: withBroker });
    await act(async () => broker.setState(state, reason));
    expect(result.current.connectionState).toBe(status);
    expect(result.current.tabwireState).toBe(state);
    expect(result.current.isConnected).toBe(status === 'connected');
  });

  it('has stats once connected, and refreshes them as events arrive, at most once a second', async () => {
    vi.useFakeTimers();
    const { result } = renderHook(() => useRealtimeConnection(), { wrapper: withBroker });
    await act(async () => broker.setState('open', 'auth-accepted'));
    expect(result.current.stats).toMatchObject({ state: 'open' });
    const before = statsCalls;
    await act(async () => {
      for (let i = 0; i < 20; i++) broker.emit('goal.created', { goalId: `g${i}` });
    });
    await act(async () => vi.advanceTimersByTimeAsync(1_100));
    // Twenty events, one second: one more answer, not twenty.
    expect(statsCalls - before).toBe(1);
    expect(result.current.stats).toMatchObject({ eventsReceived: statsCalls });
    await act(async () => vi.advanceTimersByTimeAsync(5_000));
    expect(statsCalls - before).toBe(1);
  });
});

describe('event names the guide uses', () => {
  it.each(['kpi.reading_created', 'kpi.reading.created', 'measure.reading.created'])(
    'a handler of %s gets the reading under each of its names, and the console says the current name once',
    async (name) => {
      const info = vi.spyOn(console, 'info').mockImplementation(() => {});
      const seen: string[] = [];
      renderHook(() => useRealtimeEvent({ eventType: name, onEvent: (message) => seen.push(`${message.type}:${String(message.data.value)}`) }), {
        wrapper: withBroker,
      });
      renderHook(() => useRealtimeEvent({ eventType: name, onEvent: () => {} }), { wrapper: withBroker });
      act(() => {
        broker.emit('measure.reading.created', { value: 1 });
        broker.emit('kpi.reading_created', { value: 2 });
        broker.emit('kpi.reading.created', { value: 3 });
      });
      expect(seen).toEqual(['measure.reading.created:1', 'kpi.reading_created:2', 'kpi.reading.created:3']);
      const notes = info.mock.calls.filter(([text]) => String(text).includes(name) && String(text).includes('measure.reading.created'));
      expect(notes.length).toBe(name === 'measure.reading.created' ? 0 : 1);
    },
  );
});

describe('useRealtimeEvent(eventType, handler(data), enabled): the positional form', () => {
  it('hands the payload to the handler, and subscribes only while enabled', () => {
    const seen: unknown[] = [];
    const { rerender } = renderHook(({ on }) => useRealtimeEvent('goal.completed', (data) => seen.push(data.goalId), on), {
      wrapper: withBroker,
      initialProps: { on: false },
    });
    act(() => void broker.emit('goal.completed', { goalId: 'off' }));
    rerender({ on: true });
    act(() => void broker.emit('goal.completed', { goalId: 'g1' }));
    expect(seen).toEqual(['g1']);
  });
});

describe('useRealtime()', () => {
  it('gives { connection, status, isEnabled }', async () => {
    const { result } = renderHook(() => useRealtime(), { wrapper: withBroker });
    await act(async () => broker.setState('open', 'auth-accepted'));
    expect(result.current).toEqual({ connection: broker.asBroker(), status: 'connected', isEnabled: true });
  });

  it('throws "must be within RealtimeProvider" outside it', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => renderHook(() => useRealtime())).toThrow('must be within RealtimeProvider');
  });
});

describe('<RealtimeProvider>: the feature flag', () => {
  const options = { url: 'wss://example.test/realtime', getToken: () => 'token' };

  it('is off unless enabled: nothing connects and isEnabled is false', () => {
    const { result } = renderHook(() => useRealtime(), {
      wrapper: ({ children }) => <RealtimeProvider options={options}>{children}</RealtimeProvider>,
    });
    expect(connected).toEqual([]);
    expect(result.current).toEqual({ connection: null, status: 'disconnected', isEnabled: false });
  });

  it('warns once when enabled without options or a broker, and connects nothing', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { rerender } = renderHook(() => useRealtime(), {
      wrapper: ({ children }) => <RealtimeProvider enabled>{children}</RealtimeProvider>,
    });
    rerender();
    expect(connected).toEqual([]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/RealtimeProvider.*enabled.*options/);
  });
});
