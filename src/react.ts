/**
 * `tabwire/react`: the hooks app teams write by hand, once. React is an optional
 * peer dependency. Handlers may change on every render without resubscribing
 * (the latest one is called); unmounting unsubscribes.
 */
import {
  type ReactElement,
  type ReactNode,
  createContext,
  createElement,
  useContext,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import { type Broker, connectBroker } from './client.ts';
import type { ConnectionStatus } from './core/connection.ts';
import type { ResyncSignal } from './core/resync.ts';
import type { DefaultEvents, EventOf, PatternOf, RealtimeEvent } from './events.ts';
import type { ConnectOptions } from './options.ts';
import type { RecentQuery } from './ports.ts';
import type { TabwireEvents } from './protocol/catalogue.ts';

type AnyBroker = Broker<object>;

const BrokerContext = createContext<AnyBroker | null>(null);

/**
 * A broker of any event map. The map appears in both argument and result
 * positions of `on`, so `Broker<AppEvents>` is not assignable to
 * `Broker<object>`; the hooks type events by their own map parameter.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type BrokerOfAnyMap = Broker<any>;

export interface TabwireProviderProps {
  /** Options for the broker this provider creates (read on mount, and again when `sessionKey` changes). */
  options?: ConnectOptions;
  /** Or a broker the app created itself (the provider then never closes it). */
  broker?: BrokerOfAnyMap;
  children?: ReactNode;
}

/**
 * Owns one broker for the tree below. With `options` it connects on mount and
 * closes on unmount (in an effect, so StrictMode's double render never leaves
 * a second broker attached), and moves to a new broker when `sessionKey` changes
 * (another account signed in: it must not keep the last one's); with `broker`
 * it only provides it.
 */
export function TabwireProvider({ options, broker, children }: TabwireProviderProps): ReactElement {
  const given = broker as AnyBroker | undefined;
  const [owned, setOwned] = useState<AnyBroker | null>(null);
  const latest = useLatest(options);
  const sessionKey = options?.sessionKey;
  useEffect(() => {
    if (given || !latest.current) return;
    const broker = connectBroker(latest.current) as AnyBroker;
    setOwned(broker);
    return () => {
      broker.close();
      setOwned(null);
    };
  }, [given, sessionKey]);
  return createElement(BrokerContext.Provider, { value: given ?? owned }, children);
}

/** The broker of the nearest provider; null until it has connected. */
export function useBroker<M extends object = DefaultEvents>(): Broker<M> | null {
  return useContext(BrokerContext) as Broker<M> | null;
}

/** Keep a ref to the latest value, updated before effects and events run. */
function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}

/** Call `handler` for each event matching `pattern` (exact type, `prefix.*` or `*`). */
export function useRealtimeEvent<M extends object = DefaultEvents, P extends PatternOf<M> = PatternOf<M>>(
  pattern: P,
  handler: (event: EventOf<M, P>) => void,
): void {
  const broker = useBroker<M>();
  const latest = useLatest(handler);
  useEffect(() => broker?.on(pattern, (event) => latest.current(event)), [broker, pattern, latest]);
}

/** The connection state, re-rendering on every change. `idle` until the provider connected. */
export function useConnectionState(): ConnectionStatus {
  const broker = useBroker();
  return useSyncExternalStore(
    (notify) => (broker ? broker.onState(notify) : () => {}),
    () => broker?.state ?? 'idle',
    () => 'idle',
  );
}

/** Call `handler` once per gap (see `onResync`): the place to invalidate query caches. */
export function useResync(handler: (signal: ResyncSignal) => void): void {
  const broker = useBroker();
  const latest = useLatest(handler);
  useEffect(() => broker?.onResync((signal) => latest.current(signal)), [broker, latest]);
}

export interface RecentEvents<E> {
  /** Oldest first, at most `limit`: the log's events, then live ones as they arrive. */
  events: E[];
  loading: boolean;
  error: Error | undefined;
}

const identity = (event: RealtimeEvent) =>
  event.eventId ?? `${event.type}|${event.timestamp}|${JSON.stringify(event.data)}`;

/**
 * The newest events of the log matching `query`, kept current with live
 * events: an activity feed that renders at once in a tab opened later.
 * Emptied on logout.
 */
export function useRecentEvents<M extends object = DefaultEvents, P extends PatternOf<M> = '*'>(
  query: RecentQuery & { type?: P } = {},
): RecentEvents<EventOf<M, P>> {
  const broker = useBroker<M>();
  const [state, setState] = useState<RecentEvents<EventOf<M, P>>>({ events: [], loading: true, error: undefined });
  const { type = '*' as P, since, limit = 100 } = query;
  useEffect(() => {
    if (!broker) return;
    let live: RealtimeEvent[] | undefined = [];
    let cancelled = false;
    // What the feed shows, and the identities of exactly those events: bounded by `limit`.
    let shown: RealtimeEvent[] = [];
    let failure: Error | undefined;
    const seen = new Set<string>();
    const show = (events: RealtimeEvent[]) => {
      shown = events.slice(Math.max(0, events.length - limit));
      seen.clear();
      for (const event of shown) seen.add(identity(event));
      setState({ events: shown as Array<EventOf<M, P>>, loading: false, error: failure });
    };
    const add = (event: RealtimeEvent) => {
      if (!seen.has(identity(event))) show([...shown, event]);
    };
    // Subscribe first and hold live events until the log answered, so none falls between.
    const off = broker.on(type, (event) => (live ? live.push(event as RealtimeEvent) : add(event as RealtimeEvent)));
    // A log read still in flight when the user logs out must not bring the old user's events back.
    let loggedOut = false;
    const offState = broker.onState((next, _prev, reason) => {
      if (next === 'closed' && reason === 'logout') {
        loggedOut = true;
        live = undefined;
        failure = undefined;
        show([]);
      }
    });
    const release = () => {
      const held = live ?? [];
      live = undefined;
      for (const event of held) add(event);
    };
    broker.recent({ type, limit, ...(since !== undefined ? { since } : {}) }).then(
      (events) => {
        if (cancelled || loggedOut) return;
        show(events as RealtimeEvent[]);
        release();
      },
      (error: Error) => {
        if (cancelled || loggedOut) return;
        failure = error;
        show([]);
        release();
      },
    );
    return () => {
      cancelled = true;
      off();
      offState();
    };
  }, [broker, type, since, limit]);
  return state;
}

type Handler<T extends keyof TabwireEvents> = (event: RealtimeEvent<T, TabwireEvents[T]>) => void;

export interface GoalHandlers {
  onCreated?: Handler<'goal.created'>;
  onActivated?: Handler<'goal.activated'>;
  onCompleted?: Handler<'goal.completed'>;
  onCancelled?: Handler<'goal.cancelled'>;
  onPaused?: Handler<'goal.paused'>;
  onResumed?: Handler<'goal.resumed'>;
  onActivity?: Handler<'goal.activity.created'>;
}

export interface GoalActivityHandlers extends Omit<GoalHandlers, 'onCreated'> {
  onDecision?: Handler<'decision.created'>;
  /** Any event about this goal, after the specific handler. */
  onAny?: (event: RealtimeEvent) => void;
}

const goalHandlerOf: Record<string, keyof GoalActivityHandlers | 'onCreated'> = {
  'goal.created': 'onCreated',
  'goal.activated': 'onActivated',
  'goal.completed': 'onCompleted',
  'goal.cancelled': 'onCancelled',
  'goal.paused': 'onPaused',
  'goal.resumed': 'onResumed',
  'goal.activity.created': 'onActivity',
  'decision.created': 'onDecision',
};

function callGoalHandler(handlers: GoalActivityHandlers & GoalHandlers, event: RealtimeEvent): void {
  const name = goalHandlerOf[event.type];
  const handler = name ? (handlers[name] as ((event: RealtimeEvent) => void) | undefined) : undefined;
  handler?.(event);
}

/** Every goal event of the tenant, routed to `onCreated`, `onCompleted`, … */
export function useRealtimeGoals(handlers: GoalHandlers): void {
  const latest = useLatest(handlers);
  useRealtimeEvent('goal.*', (event) => callGoalHandler(latest.current, event as RealtimeEvent));
}

/** What happens to one goal: its status changes, activities and decisions. */
export function useGoalActivity(goalId: string, handlers: GoalActivityHandlers): void {
  const latest = useLatest(handlers);
  const route = (event: RealtimeEvent) => {
    if (event.data.goalId !== goalId) return;
    callGoalHandler(latest.current, event);
    latest.current.onAny?.(event);
  };
  useRealtimeEvent('goal.*', (event) => route(event as RealtimeEvent));
  useRealtimeEvent('decision.created', (event) => route(event as RealtimeEvent));
}
