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
 *
 * What it keeps is each batch's JSON text as the broker sent it, read again only at a change of
 * broker: the handlers' event objects may be changed by the app (and would then no longer match
 * their replay), and texts cost the tab's GC one flat string per batch where objects cost dozens
 * per event, kept alive across thousands of events.
 */
import { eventKey } from '../link/event-identity.ts';
import type { RealtimeEvent } from '../link/events.ts';
import type { TabClock } from '../link/clock.ts';

/** How long after a change of broker live repeats are dropped by identity, in ms (monotonic). */
const liveRepeatWindowMs = 5000;

export interface Handoff {
  /** True when `event` must not reach the app: a repeat of what this tab has. Remembers its identity otherwise. */
  repeat(event: RealtimeEvent, replayed: boolean): boolean;
  /** The events of a batch that were not repeats, as JSON text of their array, before any handler ran; `count` of them. */
  delivered(text: string, count: number): void;
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
  /** Batches delivered, oldest first: their text and how many events each holds. */
  let kept: Array<{ text: string; count: number }> = [];
  let keptEvents = 0;
  let newest: { timestamp: string; at: number } | undefined;
  /** Identities of what was delivered before the last change of broker, and of what was replayed since. */
  let delivered: Set<string> | undefined;
  let liveUntil = 0;
  const seen = new Set<string>();

  /** The identities of the last `count` events delivered (fewer when fewer were). */
  const lastKeys = (count: number): string[] => {
    const keys: string[] = [];
    for (let i = kept.length - 1; i >= 0 && keys.length < count; i--) {
      const events = JSON.parse(kept[i]!.text) as RealtimeEvent[];
      for (let j = events.length - 1; j >= 0 && keys.length < count; j--) keys.push(eventKey(events[j]!));
    }
    return keys;
  };
  /** Trimmed in steps, not per batch: past twice what it remembers, back to the newest batches that hold it. */
  const trim = () => {
    if (keptEvents <= 2 * remembered) return;
    let from = kept.length;
    let held = 0;
    while (from > 0 && held < remembered) held += kept[--from]!.count;
    kept = kept.slice(from);
    keptEvents = held;
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
      const at = Date.parse(event.timestamp);
      if (!newest || at > newest.at) newest = { timestamp: event.timestamp, at };
      return false;
    },
    delivered(text, count) {
      if (count === 0) return;
      kept.push({ text, count });
      keptEvents += count;
      trim();
      // Every gap's replay adds to it: past four times what one broker replays at once, it is
      // what was delivered last again, which still holds anything a broker could replay twice.
      if (delivered && delivered.size > 4 * remembered) delivered = new Set(lastKeys(remembered));
    },
    brokerChanged() {
      // A duration: a wall clock set back or forward must not stretch or skip it.
      liveUntil = clock.monotonic() + liveRepeatWindowMs;
      // What an earlier broker replayed was delivered, so it is among `kept` too.
      delivered = new Set(lastKeys(remembered));
      for (const key of delivered) seen.add(key);
    },
    newest: () => newest?.timestamp,
    held: () => (delivered?.size ?? 0) + seen.size,
    forget() {
      kept = [];
      keptEvents = 0;
      newest = undefined;
      delivered = undefined;
      seen.clear();
    },
  };
}
