/**
 * Events to the app's handlers, by pattern: an exact type, a prefix (`goal.*`) or
 * everything (`*`); control types (`auth.*`, `*.error`, ping/pong) only to their exact
 * pattern. Also the handoff window: after this tab changed brokers, two of them may
 * deliver the same events for a moment, and the repeats are dropped.
 */
import { matches } from '../link/patterns.ts';
import { isControlType } from '../link/control-types.ts';
import { eventKey } from '../link/event-identity.ts';
import type { RealtimeEvent } from '../link/events.ts';
import type { TabClock } from './environment.ts';
import { notify } from './listeners.ts';

export type Handler = (event: RealtimeEvent) => void;

/** How many of the last delivered events the handoff window compares against. */
const rememberedEvents = 64;

/** How long after a change of broker repeats are dropped, in ms (monotonic). */
const dedupeWindowMs = 5000;

/** Event types whose matching handler sets are remembered; past that the cache starts over (types come from the server). */
const cachedTypes = 256;

export interface Router {
  /** Adds `handler` for `pattern`; true when the pattern is new (the broker has to hear of it). */
  add(pattern: string, handler: Handler): boolean;
  /** Removes `handler` from `pattern`; true when it was the pattern's last (the broker may forget it). */
  remove(pattern: string, handler: Handler): boolean;
  /** The patterns that have handlers, in the order they were first subscribed. */
  patterns(): Iterable<string>;
  has(pattern: string): boolean;
  /** One batch from the stream, in order; `replayed` marks each event. Nothing once logged out. */
  deliver(events: RealtimeEvent[], replayed: boolean): void;
  /** The broker changed: drop repeats of what was delivered last, and of what comes twice, for a while. */
  openDedupeWindow(): void;
  /** The server time of the last event delivered, if any. */
  lastTimestamp(): string | undefined;
  /** Logout: forget what was delivered, so nothing of the user who left is compared or resumed from. */
  forgetDelivered(): void;
  /** `close()`: no handler is called again. */
  clear(): void;
}

type HandlerTable = Pick<Router, 'add' | 'remove' | 'patterns' | 'has' | 'clear'> & {
  /** Calls the handlers of every pattern that takes `event`, pattern by pattern in subscription order. */
  route(event: RealtimeEvent): void;
};

/** `loggedOut`: the session ended (state `closed` for `logout`); `report`: a handler threw. */
export function createRouter(clock: TabClock, report: (error: unknown) => void, loggedOut: () => boolean): Router {
  const table = handlerTable(report);
  // After a host change two brokers may deliver the same events for a moment: remember the
  // last few delivered, and drop repeats until `dedupeUntil`.
  const lastDelivered: RealtimeEvent[] = [];
  const seen = new Set<string>();
  let dedupeUntil = 0;
  return {
    ...table,
    deliver(events, replayed) {
      // Logged out: nothing of the session that ended reaches a handler, whatever was still in flight.
      if (loggedOut()) return;
      const window = dedupeUntil > clock.monotonic();
      if (!window && seen.size > 0) seen.clear();
      for (const event of events) {
        if (window) {
          const key = eventKey(event);
          if (seen.has(key)) continue;
          seen.add(key);
        }
        // Trimmed in steps, not shifted per event: the window reads only the newest `rememberedEvents`.
        if (lastDelivered.push(event) > 2 * rememberedEvents) lastDelivered.splice(0, rememberedEvents);
        if (replayed) event.replayed = true;
        table.route(event);
      }
    },
    openDedupeWindow() {
      // A duration: a wall clock set back or forward must not stretch or skip it.
      dedupeUntil = clock.monotonic() + dedupeWindowMs;
      for (const event of lastDelivered.slice(-rememberedEvents)) seen.add(eventKey(event));
    },
    lastTimestamp: () => lastDelivered.at(-1)?.timestamp,
    forgetDelivered() {
      lastDelivered.length = 0;
      seen.clear();
    },
  };
}

const takes = (pattern: string, type: string, control: boolean) => (control ? pattern === type : matches(pattern, type));

/** The handlers by pattern, and per event type the ones that take it, cached. */
function handlerTable(report: (error: unknown) => void): HandlerTable {
  const handlers = new Map<string, Set<Handler>>();
  /** Per event type, the [pattern, handler set] entries that take it; emptied when a pattern comes or goes. */
  const routes = new Map<string, Array<[string, Set<Handler>]>>();
  /** Counts pattern changes, so a delivery sees one made by a handler it called. */
  let patternChanges = 0;
  const patternsChanged = () => {
    patternChanges++;
    routes.clear();
  };
  const call = (set: Set<Handler>, event: RealtimeEvent) => notify(set, event, report);
  return {
    add(pattern, handler) {
      let set = handlers.get(pattern);
      const added = !set;
      if (!set) {
        handlers.set(pattern, (set = new Set()));
        patternsChanged();
      }
      set.add(handler);
      return added;
    },
    remove(pattern, handler) {
      const current = handlers.get(pattern);
      if (!current?.delete(handler) || current.size > 0) return false;
      handlers.delete(pattern);
      patternsChanged();
      return true;
    },
    patterns: () => handlers.keys(),
    has: (pattern) => handlers.has(pattern),
    clear() {
      handlers.clear();
      patternsChanged();
    },
    route(event) {
      let entries = routes.get(event.type);
      if (!entries) {
        if (routes.size >= cachedTypes) routes.clear();
        const control = isControlType(event.type);
        entries = [...handlers].filter(([pattern]) => takes(pattern, event.type, control));
        routes.set(event.type, entries);
      }
      const changes = patternChanges;
      // A pattern a handler dropped (or `close()` cleared) is skipped, as walking the live map would.
      for (const [pattern, set] of entries) if (handlers.get(pattern) === set) call(set, event);
      if (changes === patternChanges) return;
      // A handler subscribed a pattern that takes this event: it is called too, after the others.
      const control = isControlType(event.type);
      for (const [pattern, set] of handlers) {
        if (takes(pattern, event.type, control) && !entries.some((entry) => entry[1] === set)) call(set, event);
      }
    },
  };
}
