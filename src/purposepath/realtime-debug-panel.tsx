/**
 * The guide's `RealtimeDebugPanel`: what the connection is doing, for development
 * (`{process.env.NODE_ENV === 'development' && <RealtimeDebugPanel />}`). Its
 * numbers, events and transitions are the broker's, so they are the same in every
 * tab: the worker's stats, its log's newest events, its last state transitions.
 * Resyncs and errors are the ones this tab was told since the panel mounted.
 * A native disclosure (`<details>`), unstyled.
 */
import { type ReactElement, useEffect, useState } from 'react';
import { useRealtimeError, useRecentEvents, useResync } from '../tab/react.ts';
import type { ResyncSignal } from '../link/states.ts';
import { useRealtimeConnection } from './connection.ts';
import { useBrokerFor } from './provider.ts';

export interface RealtimeDebugPanelProps {
  className?: string;
  /** How many events, transitions, resyncs and errors each list keeps. @default 20 */
  maxItems?: number;
  /** Open at first. @default false */
  defaultOpen?: boolean;
}

interface Transition {
  at: number;
  from: string;
  to: string;
  reason: string;
}

export function RealtimeDebugPanel({ className, maxItems = 20, defaultOpen = false }: RealtimeDebugPanelProps): ReactElement {
  const { connectionState, tabwireState, stats, isEnabled } = useRealtimeConnection();
  const broker = useBrokerFor<object>('RealtimeDebugPanel');
  const recent = useRecentEvents({ limit: maxItems });
  const resyncs = useKept<ResyncSignal>(useResync, maxItems);
  const errors = useKept<{ code: string; message: string }>(useRealtimeError, maxItems);
  const transitions = useTransitions(broker, stats, maxItems);
  return (
    <details className={className} open={defaultOpen} data-tabwire-debug="">
      <summary>Realtime debug: {isEnabled ? connectionState : 'off'}</summary>
      <section aria-label="Connection">
        <h4>Connection</h4>
        <p>
          {isEnabled ? connectionState : 'off (feature flag)'} · tabwire {tabwireState}
          {` (${broker.reason}) · ${broker.sharing}`}
        </p>
        {broker ? (
          <button type="button" onClick={() => void broker.reconnect().catch(() => {})}>
            Reconnect
          </button>
        ) : null}
      </section>
      <section aria-label="Stats">
        <h4>Stats</h4>
        <pre>{stats ? JSON.stringify(stats, null, 2) : 'not yet'}</pre>
      </section>
      <List label="Recent events" items={[...recent.events].reverse()} render={(event) => `${event.timestamp} ${event.type}${event.replayed ? ' (replayed)' : ''}`} />
      <List label="Transitions" items={transitions} render={(t) => `${new Date(t.at).toISOString()} ${t.from} → ${t.to} (${t.reason})`} />
      <List label="Resyncs" items={resyncs} render={(r) => `${r.since} … ${r.until} ${r.reason}: ${r.replayed} replayed, ${r.complete ? 'complete' : 'refetch'}`} />
      <List label="Errors" items={errors} render={(e) => `${e.code}: ${e.message}`} />
    </details>
  );
}

function List<T>({ label, items, render }: { label: string; items: readonly T[]; render: (item: T) => string }): ReactElement {
  return (
    <section aria-label={label}>
      <h4>
        {label} ({items.length})
      </h4>
      <ol>
        {items.map((item, index) => (
          <li key={index}>{render(item)}</li>
        ))}
      </ol>
    </section>
  );
}

/** The newest `max` things a listener hook reported, newest first. */
function useKept<T>(listen: (handler: (item: T) => void) => void, max: number): T[] {
  const [items, setItems] = useState<T[]>([]);
  listen((item) => setItems((now) => [item, ...now].slice(0, max)));
  return items;
}

/** The broker's last transitions (`debug()`), newest first, read again whenever its stats change. */
function useTransitions(broker: Pick<ReturnType<typeof useBrokerFor>, 'debug'>, stats: unknown, max: number): Transition[] {
  const [transitions, setTransitions] = useState<Transition[]>([]);
  useEffect(() => {
    let live = true;
    broker.debug().then(
      (debug) => live && setTransitions(debug.transitions.slice(-max).reverse()),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [broker, stats, max]);
  return transitions;
}
