/**
 * The guide's components in `tabwire/purposepath/react`, with React Testing Library
 * on a memory broker: RealtimeIndicator, LiveBadge / useLiveBadge, GoalActivityFeed,
 * RealtimeDebugPanel. Queried by role and name, as a user (or a screen reader) finds them.
 */
import { act, cleanup, fireEvent, render, renderHook, screen, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrokerStats } from '../../src/link/stats.ts';
import {
  GoalActivityFeed,
  LiveBadge,
  RealtimeDebugPanel,
  RealtimeIndicator,
  RealtimeProvider,
  useLiveBadge,
} from '../../src/purposepath-react.ts';
import { MemoryBroker } from '../support/memory-broker.ts';

let broker: MemoryBroker;
let reconnects: number;

beforeEach(() => {
  reconnects = 0;
  broker = new MemoryBroker();
  // What the components read of a broker besides what the memory broker plays.
  Object.assign(broker, {
    sharing: 'worker',
    stats: async () => ({ state: broker.state, tabs: 3, eventsReceived: broker.log.length, reconnects: 1, lastSeen: broker.log.at(-1)?.timestamp ?? null }) as unknown as BrokerStats,
    debug: async () => ({ transitions: [{ at: 0, from: 'connecting', to: 'open', reason: 'auth-accepted' }] }),
    reconnect: async () => void reconnects++,
  });
});
afterEach(() => {
  // Testing Library unmounts by itself only where the test globals are on.
  cleanup();
  vi.useRealTimers();
});

function inProvider(children: ReactNode, enabled = true) {
  return (
    <RealtimeProvider enabled={enabled} broker={broker.asBroker()}>
      {children}
    </RealtimeProvider>
  );
}

const activity = (goalId: string, n: number, createdAt = `2025-01-01T00:00:0${n}.000Z`) => ({
  activityId: `a${n}`,
  goalId,
  tenantId: 't',
  type: 'note',
  title: `Activity ${n}`,
  content: `content ${n}`,
  createdAt,
  createdBy: 'u1',
});

describe('RealtimeIndicator', () => {
  it('says the state in words, as a polite live region, coloured by status', async () => {
    const { container } = render(inProvider(<RealtimeIndicator className="mine" position="footer" />));
    expect(screen.getByRole('status')).toHaveProperty('textContent', 'Disconnected');
    await act(async () => broker.setState('open', 'auth-accepted'));
    expect(screen.getByRole('status').textContent).toBe('Connected');
    expect(screen.getByRole('status').getAttribute('aria-live')).toBe('polite');
    const root = container.firstElementChild as HTMLElement;
    expect([root.className, root.dataset.status, root.dataset.position]).toEqual(['mine', 'connected', 'footer']);
    await act(async () => broker.setState('backoff', 'socket-closed'));
    expect(screen.getByRole('status').textContent).toBe('Reconnecting…');
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('with showDetails, opens the connection details from a button, and Escape closes them', async () => {
    render(inProvider(<RealtimeIndicator showDetails />));
    await act(async () => broker.setState('open', 'auth-accepted'));
    const button = screen.getByRole('button', { name: 'Connected' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    const details = screen.getByRole('region', { name: 'Realtime connection details' });
    expect(button.getAttribute('aria-controls')).toBe(details.id);
    expect(details.textContent).toContain('Tabs sharing it3');
    expect(details.textContent).toContain('Shared throughworker');
    fireEvent.keyDown(details, { key: 'Escape' });
    expect(screen.queryByRole('region')).toBeNull();
    expect(document.activeElement).toBe(button);
  });

  it('offers a reconnect in the details while not connected', async () => {
    render(inProvider(<RealtimeIndicator showDetails />));
    await act(async () => broker.setState('backoff', 'socket-closed'));
    fireEvent.click(screen.getByRole('button', { name: 'Reconnecting…' }));
    fireEvent.click(screen.getByRole('button', { name: 'Reconnect now' }));
    expect(reconnects).toBe(1);
  });

  it('says realtime is off when the flag is', () => {
    render(inProvider(<RealtimeIndicator />, false));
    expect(screen.getByRole('status').textContent).toBe('Realtime off');
  });
});

describe('LiveBadge and useLiveBadge', () => {
  it('shows its label, hides by itself after autoHideDuration and calls onHide once', async () => {
    vi.useFakeTimers();
    const onHide = vi.fn();
    render(<LiveBadge autoHideDuration={1000} onHide={onHide} size="sm" label="New" />);
    const badge = screen.getByText('New');
    expect([badge.dataset.size, badge.dataset.state]).toEqual(['sm', 'shown']);
    await act(async () => vi.advanceTimersByTimeAsync(999));
    expect(onHide).not.toHaveBeenCalled();
    await act(async () => vi.advanceTimersByTimeAsync(1));
    expect(onHide).toHaveBeenCalledTimes(1);
    expect(screen.getByText('New').dataset.state).toBe('fading');
    await act(async () => vi.advanceTimersByTimeAsync(1000));
    expect(screen.queryByText('New')).toBeNull();
    expect(onHide).toHaveBeenCalledTimes(1);
  });

  it('follows show, and reads "Live" by default', async () => {
    vi.useFakeTimers();
    const { rerender } = render(<LiveBadge show={false} />);
    expect(screen.queryByText('Live')).toBeNull();
    rerender(<LiveBadge show />);
    expect(screen.getByText('Live').dataset.size).toBe('md');
    rerender(<LiveBadge show={false} />);
    await act(async () => vi.advanceTimersByTimeAsync(500));
    expect(screen.queryByText('Live')).toBeNull();
  });

  it('useLiveBadge: triggerBadge shows it, for autoHideDuration from the last trigger', async () => {
    vi.useFakeTimers();
    const { result } = renderHook(() => useLiveBadge(1000));
    expect(result.current.showBadge).toBe(false);
    act(() => result.current.triggerBadge());
    expect(result.current.showBadge).toBe(true);
    await act(async () => vi.advanceTimersByTimeAsync(600));
    act(() => result.current.triggerBadge());
    await act(async () => vi.advanceTimersByTimeAsync(600));
    expect(result.current.showBadge).toBe(true);
    await act(async () => vi.advanceTimersByTimeAsync(400));
    expect(result.current.showBadge).toBe(false);
  });
});

describe('GoalActivityFeed', () => {
  const titles = () => screen.getAllByRole('article').map((article) => within(article).getByRole('heading').textContent);

  it('is seeded from the worker’s log and initialActivities, one goal’s only, newest first, one per activityId', async () => {
    broker.emit('goal.activity.created', activity('g1', 1));
    broker.emit('goal.activity.created', activity('g2', 2));
    broker.emit('goal.activity.created', activity('g1', 3));
    await act(async () => void render(inProvider(<GoalActivityFeed goalId="g1" initialActivities={[activity('g1', 4), activity('g1', 1)]} />)));
    expect(screen.getByRole('feed').getAttribute('aria-busy')).toBe('false');
    expect(titles()).toEqual(['Activity 4', 'Activity 3', 'Activity 1']);
    const first = screen.getAllByRole('article')[0]!;
    expect([first.getAttribute('aria-posinset'), first.getAttribute('aria-setsize')]).toEqual(['1', '3']);
  });

  it('adds live activities at the top, marked new for a while, and keeps at most maxActivities', async () => {
    await act(async () => void render(inProvider(<GoalActivityFeed goalId="g1" maxActivities={2} />)));
    expect(screen.getByText('No activity yet.')).toBeTruthy();
    vi.useFakeTimers();
    act(() => {
      broker.emit('goal.activity.created', activity('g1', 1));
      broker.emit('goal.activity.created', activity('g2', 2));
      broker.emit('goal.activity.created', activity('g1', 3));
      broker.emit('goal.activity.created', activity('g1', 5));
      broker.emit('goal.activity.created', activity('g1', 5)); // the same activity twice
    });
    expect(titles()).toEqual(['Activity 5', 'Activity 3']);
    expect(screen.getAllByRole('article')[0]!.dataset.new).toBe('true');
    await act(async () => vi.advanceTimersByTimeAsync(3_000));
    expect(screen.getAllByRole('article')[0]!.dataset.new).toBeUndefined();
  });

  it('without autoScroll, says how many arrived and takes the reader to them', async () => {
    await act(async () => void render(inProvider(<GoalActivityFeed goalId="g1" autoScroll={false} />)));
    act(() => {
      broker.emit('goal.activity.created', activity('g1', 1));
      broker.emit('goal.activity.created', activity('g1', 2));
    });
    const button = screen.getByRole('button', { name: '2 new activities' });
    fireEvent.click(button);
    expect(screen.queryByRole('button')).toBeNull();
    expect(document.activeElement).toBe(screen.getAllByRole('article')[0]);
  });

  it('moves focus between items with Page Down and Page Up', async () => {
    broker.emit('goal.activity.created', activity('g1', 1));
    broker.emit('goal.activity.created', activity('g1', 2));
    await act(async () => void render(inProvider(<GoalActivityFeed goalId="g1" />)));
    const [second, first] = screen.getAllByRole('article');
    second!.focus();
    fireEvent.keyDown(second!, { key: 'PageDown' });
    expect(document.activeElement).toBe(first);
    fireEvent.keyDown(first!, { key: 'PageUp' });
    expect(document.activeElement).toBe(second);
  });
});

describe('RealtimeDebugPanel', () => {
  it('shows the connection, the broker’s stats, its log’s events and transitions, and this tab’s resyncs and errors', async () => {
    broker.emit('goal.created', { goalId: 'g0' }, '2025-01-01T00:00:00.000Z');
    await act(async () => void render(inProvider(<RealtimeDebugPanel defaultOpen />)));
    await act(async () => broker.setState('open', 'auth-accepted'));
    await act(async () => {
      broker.emit('goal.completed', { goalId: 'g0' }, '2025-01-01T00:00:01.000Z');
      broker.resync({ since: '2025-01-01T00:00:00.000Z', until: '2025-01-01T00:00:05.000Z', reason: 'reconnect', replayed: 2, complete: true });
      broker.fail({ code: 'BUFFER_FULL', message: 'buffer full' });
    });
    const section = (name: string) => screen.getByRole('region', { name }).textContent ?? '';
    expect(screen.getByText(/Realtime debug: connected/)).toBeTruthy();
    expect(section('Connection')).toContain('tabwire open (auth-accepted) · worker');
    expect(section('Stats')).toContain('"tabs": 3');
    expect(section('Recent events')).toMatch(/goal\.completed[\s\S]*goal\.created/);
    expect(section('Transitions')).toContain('connecting → open (auth-accepted)');
    expect(section('Resyncs')).toContain('reconnect: 2 replayed, complete');
    expect(section('Errors')).toContain('BUFFER_FULL: buffer full');
    fireEvent.click(screen.getByRole('button', { name: 'Reconnect' }));
    expect(reconnects).toBe(1);
  });
});
