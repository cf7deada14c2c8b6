/**
 * What this tab delivered, kept for a change of broker (docs/architecture.md, rule 14: an event
 * arrives once). Two brokers may deliver the same events: the one left and the one moved to, both
 * live for a moment (an upgrade's overlap), and a broker that replaces a dead one replays what
 * that one relayed but had not written, however late and however much. So the tab keeps the
 * newest server time it delivered and the events within `overlapMs` below it (events may arrive
 * out of order by that much); at a change of broker it takes a mark, and from then on a
 * replayed event at or below the mark's newest is a repeat unless it is new by identity within
 * the overlap. Live repeats are dropped by identity for a while after the change.
 */
import { eventKey } from '../link/event-identity.ts';
import type { RealtimeEvent } from '../link/events.ts';
import type { TabClock } from './environment.ts';

/**
 * Most delivered events whose identity is kept; past it the oldest go, and a replayed event at
 * or below the newest of those gone counts as delivered (a burst of more than this within the
 * overlap loses identity only below the newest it dropped).
 */
const rememberedEvents = 1024;

/** How long after a change of broker live repeats are dropped by identity, in ms (monotonic). */
const liveRepeatWindowMs = 5000;

interface Delivered {
  event: RealtimeEvent;
  /** Its server time, in ms. */
  at: number;
}

/** Taken at a change of broker: replayed events up to `newest` are repeats unless new by identity above `below`. */
interface Mark {
  newest: number;
  below: number;
  keys: Set<string>;
}

export interface Handoff {
  /** True when `event` must not reach the app: a repeat of what this tab has. Remembers it otherwise. */
  repeat(event: RealtimeEvent, replayed: boolean): boolean;
  /** The broker changed: take the mark, and drop live repeats for a while. */
  brokerChanged(): void;
  /** The server time (as sent) of the newest event delivered. */
  newest(): string | undefined;
  /** Logout: nothing of the user who left is compared or resumed from. */
  forget(): void;
}

/** `overlapMs`: how far out of order events may arrive (the replay's overlap, `resync.overlapMs`). */
export function createHandoff(clock: TabClock, overlapMs: number): Handoff {
  let kept: Delivered[] = [];
  let newest: Delivered | undefined;
  /** The newest server time among events dropped from `kept` for room, not for age. */
  let droppedForRoom = -Infinity;
  let mark: Mark | undefined;
  let liveUntil = 0;
  const seen = new Set<string>();

  const keep = (event: RealtimeEvent, at: number) => {
    if (Number.isNaN(at)) return;
    if (!newest || at > newest.at) newest = { event, at };
    if (at < newest.at - overlapMs) return;
    kept.push({ event, at });
    if (kept.length <= 2 * rememberedEvents) return;
    // Trimmed in steps, not per event: by age first, then the oldest for room.
    const floor = newest.at - overlapMs;
    kept = kept.filter((entry) => entry.at >= floor);
    if (kept.length <= rememberedEvents) return;
    for (const entry of kept.splice(0, kept.length - rememberedEvents)) droppedForRoom = Math.max(droppedForRoom, entry.at);
  };

  /** A replayed event after a change of broker: at or below the mark's newest, a repeat unless new by identity in the overlap. */
  const replayedRepeat = (event: RealtimeEvent, at: number): boolean => {
    if (!mark || !(at <= mark.newest)) return false;
    if (at < mark.below) return true;
    const key = eventKey(event);
    if (mark.keys.has(key)) return true;
    mark.keys.add(key);
    return false;
  };

  return {
    repeat(event, replayed) {
      const at = Date.parse(event.timestamp);
      if (liveUntil > clock.monotonic()) {
        const key = eventKey(event);
        if (seen.has(key)) return true;
        seen.add(key);
      } else if (seen.size > 0) seen.clear();
      if (replayed && replayedRepeat(event, at)) return true;
      keep(event, at);
      return false;
    },
    brokerChanged() {
      // A duration: a wall clock set back or forward must not stretch or skip it.
      liveUntil = clock.monotonic() + liveRepeatWindowMs;
      if (!newest) return;
      const below = Math.max(newest.at - overlapMs, droppedForRoom);
      const keys = new Set<string>();
      for (const entry of kept) if (entry.at >= below) keys.add(eventKey(entry.event));
      for (const key of keys) seen.add(key);
      // Whatever an earlier broker delivered was kept here too: this mark covers it.
      mark = { newest: newest.at, below, keys };
    },
    newest: () => newest?.event.timestamp,
    forget() {
      kept = [];
      newest = undefined;
      droppedForRoom = -Infinity;
      mark = undefined;
      seen.clear();
    },
  };
}
