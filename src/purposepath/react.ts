/**
 * `tabwire/purposepath/react`: the hooks of PurposePath's frontend guide, with the
 * shapes that guide documents, built on the core hooks of `tabwire/react`. An app
 * written from the guide migrates by changing the import of its hooks, and by
 * putting `<RealtimeProvider>` where its own realtime context was.
 *
 * The guide's goal handlers take the payload (`onCompleted: (data) => …`); here the
 * whole event follows as a second argument, for its `eventId`, `timestamp` or
 * `replayed`. Handlers may change on every render without resubscribing.
 */
import { type ReactElement, createContext, createElement, useContext, useEffect, useMemo, useState } from 'react';
import { TabwireProvider, type TabwireProviderProps, useBroker, useConnectionState } from '../tab/react.ts';
import { useLatest } from '../tab/react-latest.ts';
import type { TabwireEvents } from '../link/catalogue.ts';
import type { DefaultEvents, EventOf, PatternOf, RealtimeEvent } from '../link/events.ts';
import type { ConnectionStatus } from '../link/states.ts';
import type { BrokerStats } from '../link/stats.ts';

/** The feature flag: true unless a `<RealtimeProvider enabled={false}>` says otherwise. */
const EnabledContext = createContext(true);

export interface RealtimeProviderProps extends TabwireProviderProps {
  /**
   * The app's realtime feature flag (the guide's `REACT_APP_FEATURE_REALTIME`). `false`
   * connects nothing: the hooks stay quiet and `useRealtimeConnection().isEnabled` is
   * false, so the app can poll instead. Turning it off closes a broker the provider made.
   */
  enabled?: boolean;
}

/** `<TabwireProvider>` with the guide's feature flag. */
export function RealtimeProvider({ enabled = true, options, broker, children }: RealtimeProviderProps): ReactElement {
  // Neither options nor broker: the core provider offers no broker, and every hook waits.
  const connection = enabled ? { options, broker } : {};
  return createElement(EnabledContext.Provider, { value: enabled }, createElement(TabwireProvider, connection, children));
}

/** As the core provider's check, but naming the hook the app called. */
function useBrokerFor<M extends object>(hook: string) {
  try {
    return useBroker<M>();
  } catch (error) {
    throw error instanceof Error ? new Error(error.message.replace('useBroker', hook)) : error;
  }
}


/** One subscription while `enabled`, calling the latest `handler`. */
function useSubscription<M extends object, P extends PatternOf<M>>(
  hook: string,
  pattern: P,
  handler: (event: EventOf<M, P>) => void,
  enabled: boolean,
): void {
  const broker = useBrokerFor<M>(hook);
  const latest = useLatest(handler);
  useEffect(
    () => (enabled ? broker?.on(pattern, (event) => latest.current(event)) : undefined),
    [broker, pattern, enabled, latest],
  );
}

export interface RealtimeEventOptions<M extends object, P extends PatternOf<M>> {
  /** An exact type, `prefix.*` or `*`. */
  eventType: P;
  /** The whole event (`message.data` is the payload). */
  onEvent: (message: EventOf<M, P>) => void;
  /** `false`: no subscription (e.g. until signed in). Default `true`. */
  enabled?: boolean;
  /**
   * Accepted for the guide's sake, not needed: the latest `onEvent` is always the
   * one called, so what it closes over never calls for a new subscription.
   */
  dependencies?: readonly unknown[];
}

/** The guide's `useRealtimeEvent({ eventType, onEvent, enabled, dependencies })`. */
export function useRealtimeEvent<M extends object = DefaultEvents, P extends PatternOf<M> = PatternOf<M>>(
  options: RealtimeEventOptions<M, P>,
): void {
  useSubscription<M, P>('useRealtimeEvent', options.eventType, options.onEvent, options.enabled ?? true);
}

export interface RealtimeConnection {
  /** The socket is open and authenticated. */
  isConnected: boolean;
  /** tabwire's state (`idle` until the provider connected, and on the server). */
  connectionState: ConnectionStatus;
  /** The broker's `stats()`, asked again at each state change; undefined until it answered. */
  stats: BrokerStats | undefined;
  /** The provider's feature flag: false means poll instead. */
  isEnabled: boolean;
}

/** The guide's `useRealtimeConnection()`, re-rendering on every state change. */
export function useRealtimeConnection(): RealtimeConnection {
  const broker = useBrokerFor<object>('useRealtimeConnection');
  const connectionState = useConnectionState();
  const isEnabled = useContext(EnabledContext);
  const stats = useStats(broker, connectionState);
  return useMemo(
    () => ({ isConnected: connectionState === 'open', connectionState, stats, isEnabled }),
    [connectionState, stats, isEnabled],
  );
}

type StatsSource = { stats(): Promise<BrokerStats> } | null;

function useStats(broker: StatsSource, state: ConnectionStatus): BrokerStats | undefined {
  // Tagged with its broker, so a new broker never shows the old one's numbers.
  const [answered, setAnswered] = useState<{ broker: StatsSource; stats: BrokerStats }>();
  useEffect(() => {
    if (!broker) return;
    let live = true;
    broker.stats().then(
      (stats) => live && setAnswered({ broker, stats }),
      () => {}, // a closed broker cannot answer; the last numbers stay.
    );
    return () => {
      live = false;
    };
  }, [broker, state]);
  return answered?.broker === broker ? answered.stats : undefined;
}

type GoalEvents = Pick<
  TabwireEvents,
  'goal.created' | 'goal.activated' | 'goal.completed' | 'goal.cancelled' | 'goal.paused' | 'goal.resumed' | 'goal.activity.created' | 'decision.created'
>;
type EventHandler<T extends keyof GoalEvents> = (event: RealtimeEvent<T, GoalEvents[T]>) => void;
/** The guide's handler: the payload, then the whole event. */
type DataHandler<T extends keyof GoalEvents> = (data: GoalEvents[T], event: RealtimeEvent<T, GoalEvents[T]>) => void;
type AnyGoalHandler = (eventType: string, data: Record<string, unknown>, event: RealtimeEvent) => void;

/** The word each type's handler is named by: `onGoalCompleted`, `onCompleted`. */
const handlerWord: Record<string, string> = {
  'goal.created': 'Created',
  'goal.activated': 'Activated',
  'goal.completed': 'Completed',
  'goal.cancelled': 'Cancelled',
  'goal.paused': 'Paused',
  'goal.resumed': 'Resumed',
  'goal.activity.created': 'Activity',
  'decision.created': 'Decision',
};

type Loose = (...args: unknown[]) => void;

/** The handler called `prefix` + the type's word; own keys only, as a server may name a type `constructor`. */
function handlerFor(handlers: object, prefix: string, type: string): Loose | undefined {
  const word = Object.hasOwn(handlerWord, type) ? handlerWord[type] : undefined;
  const named = (name: string) => {
    const value = (handlers as Record<string, unknown>)[name];
    return typeof value === 'function' ? (value as Loose) : undefined;
  };
  if (!word) return undefined;
  // The guide's useGoalActivity names it onActivityCreated.
  return named(prefix + word) ?? (prefix === 'on' && word === 'Activity' ? named('onActivityCreated') : undefined);
}

export interface RealtimeGoalsHandlers {
  onGoalCreated?: DataHandler<'goal.created'>;
  onGoalActivated?: DataHandler<'goal.activated'>;
  onGoalCompleted?: DataHandler<'goal.completed'>;
  onGoalCancelled?: DataHandler<'goal.cancelled'>;
  onGoalPaused?: DataHandler<'goal.paused'>;
  onGoalResumed?: DataHandler<'goal.resumed'>;
  onGoalActivity?: DataHandler<'goal.activity.created'>;
  /** Every goal event, after its own handler. */
  onAnyGoalEvent?: AnyGoalHandler;
  /** `false`: no subscription. Default `true`. */
  enabled?: boolean;
}

/** The guide's `useRealtimeGoals({ onGoalCreated, onGoalCompleted, … })`: every goal event of the tenant. */
export function useRealtimeGoals(handlers: RealtimeGoalsHandlers): void {
  const route = (event: RealtimeEvent) => {
    handlerFor(handlers, 'onGoal', event.type)?.(event.data, event);
    handlers.onAnyGoalEvent?.(event.type, event.data, event);
  };
  useSubscription('useRealtimeGoals', 'goal.*', (event) => route(event as RealtimeEvent), handlers.enabled ?? true);
}

export interface GoalActivityOptions {
  goalId: string;
  onActivated?: DataHandler<'goal.activated'>;
  onCompleted?: DataHandler<'goal.completed'>;
  onCancelled?: DataHandler<'goal.cancelled'>;
  onPaused?: DataHandler<'goal.paused'>;
  onResumed?: DataHandler<'goal.resumed'>;
  onActivity?: DataHandler<'goal.activity.created'>;
  /** The guide's name for `onActivity` (used when `onActivity` is not given). */
  onActivityCreated?: DataHandler<'goal.activity.created'>;
  onDecision?: DataHandler<'decision.created'>;
  /** Every event about this goal, after its own handler. */
  onAnyGoalEvent?: AnyGoalHandler;
  /** `false`: no subscription. Default `true`. */
  enabled?: boolean;
}

/** The positional form's handlers (tabwire's earlier shape): each gets the whole event. */
export interface GoalActivityHandlers {
  onActivated?: EventHandler<'goal.activated'>;
  onCompleted?: EventHandler<'goal.completed'>;
  onCancelled?: EventHandler<'goal.cancelled'>;
  onPaused?: EventHandler<'goal.paused'>;
  onResumed?: EventHandler<'goal.resumed'>;
  onActivity?: EventHandler<'goal.activity.created'>;
  onDecision?: EventHandler<'decision.created'>;
  /** Any event about this goal, after the specific handler. */
  onAny?: (event: RealtimeEvent) => void;
}

/** What happens to one goal (the guide's shape): its status changes, activities and decisions. */
export function useGoalActivity(options: GoalActivityOptions): void;
/** tabwire's earlier shape, kept: `useGoalActivity(goalId, handlers)`, handlers get the event. */
export function useGoalActivity(goalId: string, handlers: GoalActivityHandlers): void;
export function useGoalActivity(first: string | GoalActivityOptions, handlers: GoalActivityHandlers = {}): void {
  const route = typeof first === 'string' ? eventRoute(first, handlers) : dataRoute(first);
  const enabled = typeof first === 'string' || first.enabled !== false;
  useSubscription('useGoalActivity', 'goal.*', (event) => route(event as RealtimeEvent), enabled);
  useSubscription('useGoalActivity', 'decision.created', (event) => route(event as RealtimeEvent), enabled);
}

function eventRoute(goalId: string, handlers: GoalActivityHandlers) {
  return (event: RealtimeEvent) => {
    if (event.data.goalId !== goalId) return;
    handlerFor(handlers, 'on', event.type)?.(event);
    handlers.onAny?.(event);
  };
}

function dataRoute(options: GoalActivityOptions) {
  return (event: RealtimeEvent) => {
    if (event.data.goalId !== options.goalId) return;
    handlerFor(options, 'on', event.type)?.(event.data, event);
    options.onAnyGoalEvent?.(event.type, event.data, event);
  };
}
