/**
 * `tabwire/react`: the hooks app teams write by hand, once. React is an optional
 * peer dependency. Handlers may change on every render without resubscribing
 * (the latest one is called); unmounting unsubscribes. Every hook needs a
 * `<TabwireProvider>` above it and throws without one. Domain hooks live with
 * their backend's entry (PurposePath's: `tabwire/purposepath/react`).
 */
import {
  type ReactElement,
  type ReactNode,
  createContext,
  createElement,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import { type Broker, connectBroker } from './client.ts';
import { type BindableBroker, bindableBroker } from './react-broker.ts';
import type { UpgradeNotice } from '../link/messages.ts';
import { useLatest } from './react-latest.ts';
import { type ConnectionStatus, isLoggedOut } from '../link/states.ts';
import type { ResyncSignal } from '../link/states.ts';
import type { TabwireError } from '../link/errors.ts';
import type { DefaultEvents, EventOf, PatternOf, RealtimeEvent } from '../link/events.ts';
import type { ConnectOptions } from './options.ts';
import type { RecentQuery } from '../link/messages.ts';

type AnyBroker = Broker<object>;


/**
 * A broker of any event map. The map appears in both argument and result
 * positions of `on`, so `Broker<AppEvents>` is not assignable to
 * `Broker<object>`; the hooks type events by their own map parameter.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type BrokerOfAnyMap = Broker<any>;

/** `undefined`: no provider above (a mistake). */
const BrokerContext = createContext<BrokerOfAnyMap | undefined>(undefined);


/** The provider's broker; throws, naming `hook`, without a provider. */
function useProvidedBroker<M extends object>(hook: string): Broker<M> {
  const broker = useContext(BrokerContext);
  if (broker === undefined) {
    throw new Error(
      `${hook} must be used inside <TabwireProvider>: wrap the components that use it in <TabwireProvider options={…}> or <TabwireProvider broker={…}>.`,
    );
  }
  return broker;
}

export interface TabwireProviderProps {
  /**
   * Options for the broker this provider creates. A change of `url`, `tenantId`
   * or `sessionKey` (by value: inline objects are fine) closes it and connects
   * anew; `getToken`/`refreshToken` are always called at their latest; any other
   * change is ignored, with one warning per option. Give the provider a new
   * React `key` to start over with all options.
   */
  options?: ConnectOptions;
  /** Or a broker the app created itself (the provider then never closes it). */
  broker?: BrokerOfAnyMap;
  children?: ReactNode;
}

/**
 * Owns one broker for the tree below, there from the first render (on the server too): with
 * `options` it connects in an effect and closes on unmount (so nothing connects on the server,
 * and StrictMode's double mount never leaves a second broker attached); with `broker` it only
 * provides it.
 */
export function TabwireProvider({ options, broker, children }: TabwireProviderProps): ReactElement {
  const given = broker as AnyBroker | undefined;
  const owned = useOwnedBroker(given ? undefined : options);
  return createElement(BrokerContext.Provider, { value: given ?? owned }, children);
}

/** The options that name another connection: another endpoint, tenant or user session. */
const reconnectingOptions = ['url', 'tenantId', 'sessionKey'] as const;


/**
 * The broker for `options`, from the first render: bound on mount to one it connects, which is
 * closed on unmount; a new one when a reconnecting option changes. Never bound without options.
 */
function useOwnedBroker(options: ConnectOptions | undefined): BindableBroker {
  const latest = useLatest(options);
  const connectedWith = useRef<ConnectOptions | undefined>(undefined);
  const url = options?.url;
  const tenantId = options?.tenantId;
  const sessionKey = options?.sessionKey;
  const owned = useMemo(() => bindableBroker(reportLater), [url, tenantId, sessionKey]);
  useEffect(() => {
    const current = latest.current;
    if (!current) return;
    connectedWith.current = current;
    const broker = connectBroker(withLatestTokenFunctions(current, latest)) as AnyBroker;
    const unbind = owned.bind(broker);
    return () => {
      unbind();
      broker.close();
    };
  }, [owned, latest]);
  useWarnOnIgnoredChange(options, connectedWith);
  return owned;
}

/** A listener of the provider's broker threw: reported as the browser reports an uncaught error, the others still called. */
function reportLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}

/**
 * The app's token functions, called at their latest: an inline `getToken`
 * closing over new state must not need a reconnect.
 */
function withLatestTokenFunctions(
  options: ConnectOptions,
  latest: { readonly current: ConnectOptions | undefined },
): ConnectOptions {
  const now = () => latest.current ?? options;
  const { getToken, refreshToken } = options;
  return {
    ...options,
    // Only real functions are wrapped, so connectBroker still rejects a missing one.
    ...(typeof getToken === 'function' ? { getToken: () => (now().getToken ?? getToken)() } : {}),
    ...(typeof refreshToken === 'function' ? { refreshToken: () => (now().refreshToken ?? refreshToken)() } : {}),
  };
}

/** Warns once per option (per provider) when one that does not reconnect changes. */
function useWarnOnIgnoredChange(
  options: ConnectOptions | undefined,
  connectedWith: { readonly current: ConnectOptions | undefined },
): void {
  const warned = useRef(new Set<string>());
  useEffect(() => {
    const before = connectedWith.current;
    if (!options || !before || before === options) return;
    for (const name of ignoredChanges(before, options)) {
      if (warned.current.has(name)) continue;
      warned.current.add(name);
      console.warn(
        `tabwire: <TabwireProvider> options.${name} changed and is ignored: the broker keeps the value it connected with. ` +
          `Only ${reconnectingOptions.join(', ')} reconnect; give the provider a new React key to start over with new options.`,
      );
    }
  });
}

/** The options, other than the reconnecting ones, whose value differs. */
function ignoredChanges(before: ConnectOptions, after: ConnectOptions): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const name of reconnectingOptions) names.delete(name);
  const value = (options: ConnectOptions, name: string) => (options as unknown as Record<string, unknown>)[name];
  return [...names].filter((name) => !sameValue(value(before, name), value(after, name)));
}

/**
 * Equal by value. Functions count as equal when both are functions: inline
 * options give new ones on every render, the token functions are called at
 * their latest anyway, and the others are only read when connecting.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === 'function' || typeof b === 'function') return typeof a === typeof b;
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].every((key) => sameValue(x[key], y[key]));
}

/** The broker of the nearest provider, from the first render (`idle` until the provider connected it). */
export function useBroker<M extends object = DefaultEvents>(): Broker<M> {
  return useProvidedBroker<M>('useBroker');
}

/** Call `handler` for each event matching `pattern` (exact type, `prefix.*` or `*`). */
export function useRealtimeEvent<M extends object = DefaultEvents, P extends PatternOf<M> = PatternOf<M>>(
  pattern: P,
  handler: (event: EventOf<M, P>) => void,
): void {
  const broker = useProvidedBroker<M>('useRealtimeEvent');
  const latest = useLatest(handler);
  useEffect(() => broker.on(pattern, (event) => latest.current(event)), [broker, pattern, latest]);
}

type Subscribe = (notify: () => void) => () => void;

/** One subscribe function per broker: useSyncExternalStore resubscribes whenever it gets a new one. */
const stateSubscribers = new WeakMap<AnyBroker, Subscribe>();

function subscribeToStateOf(broker: AnyBroker): Subscribe {
  let subscribe = stateSubscribers.get(broker);
  if (!subscribe) {
    subscribe = (notify) => broker.onState(notify);
    stateSubscribers.set(broker, subscribe);
  }
  return subscribe;
}

/** The connection state, re-rendering on every change. `idle` until the provider connected, and on the server. */
export function useConnectionState(): ConnectionStatus {
  const broker = useProvidedBroker<object>('useConnectionState');
  return useSyncExternalStore(
    subscribeToStateOf(broker),
    () => broker.state,
    () => 'idle',
  );
}

/** Call `handler` once per gap (see `onResync`): the place to invalidate query caches. */
export function useResync(handler: (signal: ResyncSignal) => void): void {
  const broker = useProvidedBroker<object>('useResync');
  const latest = useLatest(handler);
  useEffect(() => broker.onResync((signal) => latest.current(signal)), [broker, latest]);
}

/** Call `handler` with each `TabwireError` the broker reports (see `onError`): dropped frames, server errors, a degraded log… */
export function useRealtimeError(handler: (error: TabwireError) => void): void {
  const broker = useProvidedBroker<object>('useRealtimeError');
  const latest = useLatest(handler);
  useEffect(() => broker.onError((error) => latest.current(error)), [broker, latest]);
}

export interface Upgrade {
  /** The latest newer build announced since this hook mounted (see `onUpgrade`); undefined before any. */
  notice: UpgradeNotice | undefined;
  /** Move to that build's broker now (`broker.upgrade()`); false without one, or when it needs a reload. */
  upgrade: () => Promise<boolean>;
}

/** A newer build is live: the latest notice, and the way to move to it (with `upgrade: 'manual'`). */
export function useUpgrade(): Upgrade {
  const broker = useProvidedBroker<object>('useUpgrade');
  // Tagged with its broker, so a new broker never shows the old one's notice.
  const [announced, setAnnounced] = useState<{ broker: AnyBroker; notice: UpgradeNotice }>();
  useEffect(() => broker.onUpgrade((notice) => setAnnounced({ broker, notice })), [broker]);
  const upgrade = useCallback(() => broker.upgrade(), [broker]);
  const notice = announced?.broker === broker ? announced.notice : undefined;
  return useMemo(() => ({ notice, upgrade }), [notice, upgrade]);
}

export interface RecentEvents<E> {
  /** Oldest first, at most `limit`: the log's events, then live ones as they arrive. */
  events: E[];
  /** True until the current query has answered: the events of an earlier query are never shown meanwhile. */
  loading: boolean;
  error: Error | undefined;
}

/** What the feed shows while its query has not answered: nothing, rather than another query's events. */
const loadingView: RecentEvents<never> = { events: Object.freeze([]) as never[], loading: true, error: undefined };

const identity = (event: RealtimeEvent) =>
  event.eventId ?? `${event.type}|${event.timestamp}|${JSON.stringify(event.data)}`;

/** `since` by its value: a Date by its time, so a `new Date(…)` made on every render is the same query. */
function sinceValueOf(since: string | Date | undefined): string | number | undefined {
  return since instanceof Date ? since.getTime() : since;
}

/**
 * The newest events of the log matching `query`, kept current with live
 * events: an activity feed that renders at once in a tab opened later.
 * Keyed on the query's value (`type`, `since`'s time, `limit`): a changed query
 * reads the log again, shows no events and `loading: true` until it answers,
 * and an older query's late answer is dropped. Emptied on logout.
 */
export function useRecentEvents<M extends object = DefaultEvents, P extends PatternOf<M> = '*'>(
  query: RecentQuery & { type?: P } = {},
): RecentEvents<EventOf<M, P>> {
  const broker = useProvidedBroker<M>('useRecentEvents');
  const { type = '*' as P, limit = 100 } = query;
  const since = sinceValueOf(query.since);
  const key = JSON.stringify([type, since, limit]);
  // Each answer is tagged with the broker and query it belongs to, so a render after
  // a change never shows the previous query's events as current.
  const [shown, setShown] = useState<{ broker: Broker<M>; key: string; view: RecentEvents<EventOf<M, P>> }>();
  useEffect(() => {
    const query = { type, limit, ...(since !== undefined ? { since: typeof since === 'number' ? new Date(since) : since } : {}) };
    return followRecent<M, P>(broker, query, limit, (view) => setShown({ broker, key, view }));
  }, [broker, key, type, since, limit]);
  return shown && shown.broker === broker && shown.key === key ? shown.view : loadingView;
}

/**
 * Reads the log for `query`, then adds live events, calling `render` with each
 * new view until the returned function stops it.
 */
function followRecent<M extends object, P extends PatternOf<M>>(
  broker: Broker<M>,
  query: RecentQuery & { type: P },
  limit: number,
  render: (view: RecentEvents<EventOf<M, P>>) => void,
): () => void {
  let live: RealtimeEvent[] | undefined = [];
  let stopped = false;
  // What the feed shows, and the identities of exactly those events: bounded by `limit`.
  let shown: RealtimeEvent[] = [];
  let failure: Error | undefined;
  const seen = new Set<string>();
  const show = (events: RealtimeEvent[]) => {
    if (stopped) return;
    shown = events.slice(Math.max(0, events.length - limit));
    seen.clear();
    for (const event of shown) seen.add(identity(event));
    render({ events: shown as Array<EventOf<M, P>>, loading: false, error: failure });
  };
  const add = (event: RealtimeEvent) => {
    if (!seen.has(identity(event))) show([...shown, event]);
  };
  // Subscribe first and hold live events until the log answered, so none falls between.
  const off = broker.on(query.type, (event) => (live ? live.push(event as RealtimeEvent) : add(event as RealtimeEvent)));
  // A log read still in flight when the user logs out must not bring the old user's events back.
  let loggedOut = false;
  const offState = broker.onState((next, _prev, reason) => {
    if (isLoggedOut(next, reason)) {
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
  broker.recent(query).then(
    (events) => {
      if (loggedOut) return;
      show(events as RealtimeEvent[]);
      release();
    },
    (error: Error) => {
      if (loggedOut) return;
      failure = error;
      show([]);
      release();
    },
  );
  return () => {
    stopped = true;
    off();
    offState();
  };
}
