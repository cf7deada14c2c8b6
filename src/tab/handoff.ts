/**
 * What this tab delivered, kept for a change of broker (docs/architecture.md, rule 14: an event
 * arrives once). Two brokers may deliver the same events: the one left and the one moved to, both
 * live for a moment (an upgrade's overlap), and a broker that replaces a dead one replays what
 * that one relayed but had not written, however late. So the tab keeps the last events it
 * delivered, as many as one broker can replay at once; at a change of broker it takes their
 * identities, and from then on drops a replayed event it already has, whenever it comes. By
 * identity, not by time: a server may stamp an event ahead of its clock (a skewed frame is
 * relayed all the same), and "at or below the newest delivered" would then drop real events
 * missed while no broker ran. Live repeats are dropped by identity for a while after the change.
 */
import { eventKey } from '../link/event-identity.ts';
import type { RealtimeEvent } from '../link/events.ts';
import type { TabClock } from '../link/clock.ts';

/** How long after a change of broker live repeats are dropped by identity, in ms (monotonic). */
const liveRepeatWindowMs = 5000;

export interface Handoff {
  /** True when `event` must not reach the app: a repeat of what this tab has. Remembers it otherwise. */
  repeat(event: RealtimeEvent, replayed: boolean): boolean;
  /** The broker changed: take the identities of what was delivered, and drop live repeats for a while. */
  brokerChanged(): void;
  /** The server time (as sent) of the newest event delivered. */
  newest(): string | undefined;
  /** Logout: nothing of the user who left is compared or resumed from. */
  forget(): void;
  /** How many identities it holds (bounded: at most four times what it remembers). */
  held(): number;
}

/** `remembered`: how many of the last delivered events a replay is compared against (what one broker replays at most). */
export function createHandoff(clock: TabClock, remembered: number): Handoff {
  let kept: RealtimeEvent[] = [];
  let newest: { event: RealtimeEvent; at: number } | undefined;
  /** Identities of what was delivered before the last change of broker, and of what was replayed since. */
  let delivered: Set<string> | undefined;
  let liveUntil = 0;
  const seen = new Set<string>();

  const keep = (event: RealtimeEvent) => {
    const at = Date.parse(event.timestamp);
    if (!newest || at > newest.at) newest = { event, at };
    // Trimmed in steps, not shifted per event.
    if (kept.push(event) > 2 * remembered) kept = kept.slice(-remembered);
  };

  return {
    repeat(event, replayed) {
      if (liveUntil > clock.monotonic()) {
        const key = eventKey(event);
        if (seen.has(key)) return true;
        seen.add(key);
      } else if (seen.size > 0) seen.clear();
      if (replayed && delivered) {
        const key = eventKey(event);
        if (delivered.has(key)) return true;
        delivered.add(key);
      }
      keep(event);
      // Every gap's replay adds to it: past four times what one broker replays at once, it is
      // what was delivered last again, which still holds anything a broker could replay twice.
      if (delivered && delivered.size > 4 * remembered) delivered = new Set(kept.slice(-remembered).map(eventKey));
      return false;
    },
    brokerChanged() {
      // A duration: a wall clock set back or forward must not stretch or skip it.
      liveUntil = clock.monotonic() + liveRepeatWindowMs;
      // What an earlier broker replayed was delivered, so it is among `kept` too.
      delivered = new Set(kept.slice(-remembered).map(eventKey));
      for (const key of delivered) seen.add(key);
    },
    newest: () => newest?.event.timestamp,
    held: () => (delivered?.size ?? 0) + seen.size,
    forget() {
      kept = [];
      newest = undefined;
      delivered = undefined;
      seen.clear();
    },
  };
}
