/**
 * Events to the app's handlers, by pattern: an exact type, a prefix (`goal.*`) or
 * everything (`*`); control types (`auth.*`, `*.error`, ping/pong) only to their exact
 * pattern. Repeats two brokers deliver across a change of broker are dropped first (handoff.ts).
 */
import { matches } from '../link/patterns.ts';
import { isControlType } from '../link/control-types.ts';
import type { RealtimeEvent } from '../link/events.ts';
import type { TabClock } from '../link/clock.ts';
import { createHandoff } from './handoff.ts';
import { notify } from './listeners.ts';

export type Handler = (event: RealtimeEvent) => void;

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
  /**
   * One batch from the stream, in order; `replayed` marks each event. Nothing once logged out.
   * `text`: the JSON the batch was parsed from, kept for the handoff (without it, the events are written again).
   */
  deliver(events: RealtimeEvent[], replayed: boolean, text?: string): void;
  /** The broker changed: drop what this tab has when the next one replays it, and live repeats for a while. */
  openDedupeWindow(): void;
  /**
   * Where a re-attaching tab resumes from (server time): the newest event delivered, or the start of
   * a gap its broker opened and has not told yet, whichever is earlier; undefined when neither is known.
   */
  lastTimestamp(): string | undefined;
  /** The broker opened a gap at `since` (ISO): resume from there until it is told (`gapClosed`). */
  gapOpened(since: string): void;
  /** The broker's resync for its open gap came. */
  gapClosed(): void;
  /** Logout: forget what was delivered, so nothing of the user who left is compared or resumed from. */
  forgetDelivered(): void;
  /** `close()`: no handler is called again. */
  clear(): void;
}

type HandlerTable = Pick<Router, 'add' | 'remove' | 'patterns' | 'has' | 'clear'> & {
  /** Calls the handlers of every pattern that takes `event`, pattern by pattern in subscription order. */
  route(event: RealtimeEvent): void;
};

/**
 * `loggedOut`: the session ended (state `closed` for `logout`); `report`: a handler threw;
 * `handoffEvents`: how many of the last delivered events a replay after a change of broker is
 * compared against (what one broker may replay at once, see `handoffEventsFor`).
 */
export function createRouter(clock: TabClock, report: (error: unknown) => void, loggedOut: () => boolean, handoffEvents = 1024): Router {
  const table = handlerTable(report);
  const handoff = createHandoff(clock, handoffEvents);
  /** The start of the broker's open gap, when it told one; `at` 0: one it could not place (unknown). */
  let openGap: { since: string; at: number } | undefined;
  const resumeFrom = () => {
    const newest = handoff.newest();
    if (!openGap) return newest;
    if (openGap.at === 0) return undefined;
    return newest !== undefined && Date.parse(newest) < openGap.at ? newest : openGap.since;
  };
  return {
    ...table,
    deliver(events, replayed, text) {
      // Logged out: nothing of the session that ended reaches a handler, whatever was still in flight.
      if (loggedOut()) return;
      const fresh = events.filter((event) => !handoff.repeat(event, replayed));
      // Before any handler runs: they may change the objects they are given.
      handoff.delivered(text !== undefined && fresh.length === events.length ? text : JSON.stringify(fresh), fresh.length);
      for (const event of fresh) {
        if (replayed) event.replayed = true;
        table.route(event);
      }
    },
    openDedupeWindow: () => handoff.brokerChanged(),
    lastTimestamp: resumeFrom,
    gapOpened(since) {
      const at = Date.parse(since);
      if (Number.isFinite(at) && (!openGap || at < openGap.at)) openGap = { since, at };
    },
    gapClosed() {
      openGap = undefined;
    },
    forgetDelivered() {
      handoff.forget();
      openGap = undefined;
    },
  };
}

/**
 * What one broker may replay to a tab at once: its catch-up from the log (`log.maxEvents`) and
 * a gap's replay (`resync.replayLimit`), twice over; at least 1024, at most 50,000 events.
 */
export const handoffEventsFor = (config: { logMaxEvents: number; replayLimit: number }): number =>
  Math.min(50_000, Math.max(1024, 2 * (config.logMaxEvents + config.replayLimit)));

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
