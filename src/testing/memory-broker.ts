/**
 * A `Broker` held in memory, for an app's own tests (`tabwire/testing`): nothing connects, and the
 * test plays the server and the broker — `emit` an event, `setState`, `resync`, `fail`, `announce`
 * a build — then reads what the app did (`sent`, `calls`, `listeners`). It keeps the client's
 * rules, from the same code: patterns (control types reach only their exact pattern), `once` and
 * signals, `connected` following the state, logout emptying the log, CLOSED after `close()`, and
 * `recent()` answered by the broker's own in-memory log.
 */
import { isControlType } from '../link/control-types.ts';
import type { BrokerDebug } from '../link/debug.ts';
import { TabwireError, type TabwireErrorData } from '../link/errors.ts';
import { eventKey } from '../link/event-identity.ts';
import type { DefaultEvents, RealtimeEvent } from '../link/events.ts';
import type { RecentQuery, UpgradeNotice } from '../link/messages.ts';
import { matches } from '../link/patterns.ts';
import type { ConnectionStatus, GapReason, ResyncSignal, TransitionReason } from '../link/states.ts';
import type { BrokerStats } from '../link/stats.ts';
import { MemoryEventStore } from '../broker/memory-store.ts';
import type { Sharing } from '../tab/hosts/host.ts';
import { closedError } from '../tab/calls.ts';
import { type Broker, type SendOptions, checkPattern } from '../tab/client.ts';
import { connectionState } from '../tab/connection-state.ts';
import { listen, nextEvent, notify, untilAborted } from '../tab/listeners.ts';
import { checkRecentQuery } from '../tab/recent-query.ts';
import type { ChannelDelivery } from '../link/messages.ts';
import { type ChannelPosition, channelKey } from '../link/channels.ts';
import { type RequestOptions } from '../tab/client.ts';
import { tabChannels } from '../tab/channels.ts';
import type { Call } from '../tab/calls.ts';
import type { ConnectionState } from '../tab/connection-state.ts';

/** What a test reads back: each method's calls, by name. */
export type MemoryBrokerCalls = Record<'on' | 'once' | 'onState' | 'onResync' | 'onError' | 'onUpgrade' | 'upgrade' | 'recent' | 'send' | 'request' | 'channel' | 'stats' | 'debug' | 'logout' | 'reconnect' | 'close', number>;

export interface MemoryBroker<M extends object = DefaultEvents> extends Broker<M> {
  /** The server sends an event: every matching handler gets it now, and `recent()` finds it. */
  emit(type: string, data?: object, event?: { timestamp?: string | Date; eventId?: string; replayed?: boolean }): RealtimeEvent;
  /** The connection moves to `next` (`reason` defaults to what a real broker would most likely say). */
  setState(next: ConnectionStatus, reason?: TransitionReason): void;
  /** A gap closed: `onResync` listeners get this signal (`complete: false`, `replayed: 0` unless given). */
  resync(signal?: Partial<ResyncSignal>): ResyncSignal;
  /** The broker reports an error: `onError` listeners get it as one `TabwireError`. */
  fail(error: TabwireErrorData): TabwireError;
  /** A newer build is live: `onUpgrade` listeners get `notice`, and `upgrade()` answers `notice.compatible`. */
  announce(notice: UpgradeNotice): void;
  /** Every `send()`, in order. */
  readonly sent: ReadonlyArray<{ message: object; options: SendOptions }>;
  readonly calls: Readonly<MemoryBrokerCalls>;
  /** How many listeners are live now, of one kind: `event` for `on`/`once` handlers. */
  listeners(kind: 'event' | 'state' | 'resync' | 'error' | 'upgrade'): number;
  /** True once `close()` was called. */
  readonly closed: boolean;
  /** The keys of the channels the app holds now (`channel()` handles not unsubscribed). */
  channels(): string[];
  /** The server publishes on a channel: the handles on it get `message` (with `meta`) now. */
  publish(name: string, params: unknown, message: unknown, meta?: { position?: ChannelPosition; replayed?: boolean }): void;
  /** A channel ends for its handles: `'complete'`, or refused or failed with this error (`CHANNEL_ERROR` unless given). */
  endChannel(name: string, params: unknown, how: 'complete' | Partial<TabwireErrorData>): void;
  /** A channel's gap closed: its handles' `onResync` listeners get `{ complete }`. */
  resyncChannel(name: string, params: unknown, complete: boolean): void;
  /** Every `request()`, in order. */
  readonly requests: ReadonlyArray<{ message: unknown; options: RequestOptions }>;
}

export interface MemoryBrokerOptions {
  /** The state it starts in. @default 'open' (reason 'auth-accepted'), so `connected` has resolved */
  state?: ConnectionStatus;
  /** What `sharing` says. @default 'none' */
  sharing?: Sharing;
  /**
   * The server's answer to `request()`: a value (or a promise of one) resolves it, a throw rejects
   * it. @default none: every request rejects `UNSUPPORTED`, as a broker without a channel seam does
   */
  answerRequest?: (message: unknown) => unknown;
}

/** The reason a real broker most likely gives for entering each state. */
const usualReason: Record<ConnectionStatus, TransitionReason> = {
  idle: 'no-tabs',
  connecting: 'tab-attached',
  authenticating: 'socket-opened',
  open: 'auth-accepted',
  backoff: 'socket-closed',
  offline: 'went-offline',
  unauthorized: 'token-rejected',
  forbidden: 'forbidden',
  closed: 'logout',
};

/** A log as large and as old as a test needs. */
const keepAll = { maxEvents: Number.POSITIVE_INFINITY, maxAgeMs: Number.POSITIVE_INFINITY };

type Handler = (event: RealtimeEvent) => void;

/** A `Broker` in memory: see the file's comment. */
export function createMemoryBroker<M extends object = DefaultEvents>(options: MemoryBrokerOptions = {}): MemoryBroker<M> {
  const fail = (error: unknown) => {
    throw error;
  };
  const log: RealtimeEvent[] = [];
  const connection = connectionState(fail, () => void (log.length = 0));
  if (options.state !== 'idle') connection.set(options.state ?? 'open', usualReason[options.state ?? 'open']);
  const handlers = new Set<{ pattern: string; handler: Handler }>();
  const sets = { resync: new Set<(signal: ResyncSignal) => void>(), error: new Set<(error: TabwireError) => void>(), upgrade: new Set<(notice: UpgradeNotice) => void>() };
  const sent: Array<{ message: object; options: SendOptions }> = [];
  const calls = Object.fromEntries(['on', 'once', 'onState', 'onResync', 'onError', 'onUpgrade', 'upgrade', 'recent', 'send', 'request', 'channel', 'stats', 'debug', 'logout', 'reconnect', 'close'].map((name) => [name, 0])) as MemoryBrokerCalls;
  const lifetime = new AbortController();
  let newest: UpgradeNotice | undefined;
  const requests: Array<{ message: unknown; options: RequestOptions }> = [];
  const channels = memoryChannels(connection, fail);
  /** A call as the client makes it: CLOSED once closed, counted either way. */
  const answer = <T>(name: keyof MemoryBrokerCalls, result: () => T | Promise<T>): Promise<T> => {
    calls[name]++;
    return connection.closed ? Promise.reject(closedError()) : Promise.resolve().then(result);
  };

  const broker: MemoryBroker<M> = {
    get state() {
      return connection.status;
    },
    get reason() {
      return connection.reason;
    },
    sharing: options.sharing ?? 'none',
    ready: Promise.resolve(),
    connected: connection.connected,
    on(pattern, handler, listenOptions) {
      calls.on++;
      if (connection.closed) throw closedError();
      checkPattern(pattern);
      const entry = { pattern, handler: handler as Handler };
      return untilAborted(() => {
        handlers.add(entry);
        return () => void handlers.delete(entry);
      }, listenOptions?.signal);
    },
    once(pattern, listenOptions) {
      calls.once++;
      calls.on--;
      return nextEvent((handler) => broker.on(pattern, handler), [listenOptions?.signal, lifetime.signal]);
    },
    onState: (listener, o) => (calls.onState++, listen(connection.listeners, listener, o)),
    onResync: (listener, o) => (calls.onResync++, listen(sets.resync, listener, o)),
    onError: (listener, o) => (calls.onError++, listen(sets.error, listener, o)),
    onUpgrade: (listener, o) => (calls.onUpgrade++, listen(sets.upgrade, listener, o)),
    upgrade: () => answer('upgrade', () => newest?.compatible === true),
    recent: (query = {}) => answer('recent', () => readLog(log, query)),
    send: (message, sendOptions = {}) =>
      answer('send', () => {
        sent.push({ message, options: sendOptions });
        return !(sendOptions.volatile && connection.status !== 'open');
      }),
    channel(name, params) {
      calls.channel++;
      if (connection.closed) throw closedError();
      return channels.open(name, params);
    },
    request: (message, requestOptions = {}) =>
      answer('request', () => {
        requests.push({ message, options: requestOptions });
        if (requestOptions.signal?.aborted) throw requestOptions.signal.reason;
        if (!options.answerRequest) throw new TabwireError({ code: 'UNSUPPORTED', message: 'this memory broker answers no requests (answerRequest)' });
        return options.answerRequest(message);
      }) as Promise<never>,
    stats: () => answer('stats', () => statsOf(connection, log.length, sent.length)),
    debug: () => answer('debug', async () => debugOf(await statsOf(connection, log.length, sent.length), handlers)),
    logout: () => answer('logout', () => connection.set('closed', 'logout')),
    reconnect: () => answer('reconnect', () => connection.set('connecting', 'reconnect-requested')),
    close() {
      calls.close++;
      if (connection.closed) return;
      connection.close();
      handlers.clear();
      lifetime.abort(closedError());
    },

    emit(type, data = {}, event = {}) {
      const timestamp = event.timestamp instanceof Date ? event.timestamp.toISOString() : (event.timestamp ?? new Date().toISOString());
      const delivered: RealtimeEvent = { type, timestamp, data: data as Record<string, unknown>, ...(event.eventId !== undefined && { eventId: event.eventId }), ...(event.replayed && { replayed: true }) };
      log.push(delivered);
      const control = isControlType(type);
      for (const { pattern, handler } of [...handlers]) if (control ? pattern === type : matches(pattern, type)) handler(delivered);
      return delivered;
    },
    setState: (next, reason = usualReason[next]) => connection.set(next, reason),
    resync(given = {}) {
      const now = new Date().toISOString();
      const signal: ResyncSignal = { since: now, until: now, reason: 'reconnect' as GapReason, replayed: 0, complete: false, ...given };
      notify(sets.resync, signal, fail);
      return signal;
    },
    fail(data) {
      const error = new TabwireError(data);
      notify(sets.error, error, fail);
      return error;
    },
    announce(notice) {
      newest = notice;
      notify(sets.upgrade, notice, fail);
    },
    sent,
    requests,
    channels: () => channels.keys(),
    publish(name, params, message, meta = {}) {
      const delivery: ChannelDelivery = [channels.keyOf(name, params), message, meta.position ?? null];
      if (meta.replayed) delivery[3] = 1;
      channels.registry.deliver([delivery]);
    },
    endChannel(name, params, how) {
      const key = channels.keyOf(name, params);
      if (how === 'complete') return channels.registry.stateChanged(key, 'complete');
      channels.registry.stateChanged(key, 'error', { code: 'CHANNEL_ERROR', message: 'the channel failed', ...how });
    },
    resyncChannel: (name, params, complete) => channels.registry.resynced(channels.keyOf(name, params), { complete }),
    calls,
    listeners: (kind) => (kind === 'event' ? handlers.size : kind === 'state' ? connection.listeners.size : sets[kind].size),
    get closed() {
      return connection.closed;
    },
  };
  return broker;
}

/** `recent()` as the broker answers it: the query checked as the client checks it, then the broker's in-memory log. */
async function readLog<E>(log: RealtimeEvent[], query: RecentQuery): Promise<E[]> {
  const checked = checkRecentQuery(query);
  if ('problem' in checked) throw new TabwireError({ code: 'INVALID_ARGUMENT', message: checked.problem });
  // Once each, as the broker logs them; events of one instant in the order emitted (keys that sort so).
  const seen = new Set<string>();
  const rows = log.flatMap((envelope, index) => {
    const identity = eventKey(envelope);
    if (seen.has(identity)) return [];
    seen.add(identity);
    return [{ key: String(index).padStart(12, '0'), at: Date.parse(envelope.timestamp), envelope }];
  });
  const store = new MemoryEventStore(keepAll);
  await store.append(rows, null, 0);
  // Typed by the pattern as the client's answer is: what was emitted under that type.
  return (await store.recent(checked.query)).map((stored) => stored.envelope as E);
}

/** The counters a memory broker has: its state, its log's size and the sends; every other counter 0. */
async function statsOf(connection: { status: ConnectionStatus; reason: TransitionReason }, logged: number, sent: number): Promise<BrokerStats> {
  const dropped = { malformed: 0, oversized: 0, tooDeep: 0, invalid: 0, tenant: 0, early: 0, volatile: 0, dialect: 0, slowTab: 0 };
  const zero = { socketsOpened: 0, handshakes: 0, reconnects: 0, framesReceived: 0, eventsReceived: 0, eventsRelayed: 0, deliveries: 0, batches: 0, duplicates: 0, replayed: 0, resyncs: 0, pings: 0 };
  return {
    brokerId: 'memory',
    buildId: 'memory',
    state: connection.status,
    reason: connection.reason,
    tabs: 1,
    ...zero,
    sent,
    dropped,
    lastSeen: null,
    outbox: 0,
    log: { status: 'ok', size: logged, written: logged, refused: 0 },
    deliveryFailures: 0,
    session: null,
    uptimeMs: 0,
  };
}

function debugOf(stats: BrokerStats, handlers: Set<{ pattern: string }>): BrokerDebug {
  const patterns = [...new Set([...handlers].map((entry) => entry.pattern))];
  return { stats, config: null, gap: { phase: 'fresh' }, tabs: [{ id: 'memory', visible: true, patterns }], transitions: [] };
}

/**
 * The client's own channel registrations over a broker that is this object: a channel is
 * subscribed at once while the state is `open` (else when it next opens), and held keys are read back.
 */
function memoryChannels(connection: ConnectionState, fail: (error: unknown) => void) {
  const held = new Set<string>();
  const keyOf = (name: string, params: unknown) => channelKey({ name, params }, Number.POSITIVE_INFINITY);
  const call = (async (method: string, args: unknown[]) => {
    if (method === 'unchannel') return void held.delete(args[0] as string);
    const spec = args[0] as { name: string; params?: unknown };
    const key = keyOf(spec.name, spec.params);
    held.add(key);
    const subscribed = () => held.has(key) && registry.stateChanged(key, 'subscribed');
    if (connection.status === 'open') queueMicrotask(subscribed);
    else {
      const off = listen(connection.listeners, (status) => status === 'open' && (off(), subscribed()));
    }
    return key;
  }) as Call;
  const registry = tabChannels(call, Number.POSITIVE_INFINITY, fail);
  return { registry, keyOf, open: registry.open, keys: () => [...held] };
}
