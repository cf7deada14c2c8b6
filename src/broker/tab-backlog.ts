/**
 * How far a tab may fall behind on its stream. A port has no back-pressure and no "not
 * reading" signal: a frozen or hung tab that keeps its Web Lock would have every batch
 * queued for it, without end. So a tab acknowledges the batches it processed (every
 * `streamAckEvery`, see link/messages.ts), and the broker stops posting to a tab that has
 * `bound` batches unacknowledged and acknowledged nothing for `stallMs`: frozen, not busy. A tab
 * that is only slow (a burst larger than it can take at once, a busy main thread) still
 * acknowledges, and is cut only at `tabBacklogHardFactor` × `bound`. Past either, the fan-out counts what it
 * dropped; at the tab's next acknowledgement it is told once that events were lost
 * (`complete: false`), and receives again. A tab that never acknowledged (a client of a build
 * without acknowledgements) is not bounded. Pure: time comes in as arguments (monotonic ms).
 */
import type { ResyncSignal } from '../link/states.ts';

/** Batches a tab may leave unacknowledged before a stall cuts it off. */
export const defaultTabBacklogBatches = 256;
/** How long a tab with a full backlog may acknowledge nothing before it counts as stalled, in ms. */
export const defaultTabStallMs = 2000;
/** A tab that still acknowledges is cut off at this many times the bound. */
export const tabBacklogHardFactor = 16;

export class TabBacklog {
  /** Posted, not yet acknowledged. */
  #unacked = 0;
  /** The tab acknowledges: it is bounded. */
  #acking = false;
  /** When it last acknowledged (monotonic ms). */
  #ackedAt = 0;
  /** Since the broker stopped posting: the server time of the first batch it dropped (ISO). */
  #droppedSince: string | undefined;

  /**
   * @param bound batches unacknowledged past which a stalled tab is posted nothing (at least 2 acknowledgements' worth).
   * @param stallMs how long without an acknowledgement makes a tab with a full backlog stalled.
   */
  constructor(
    readonly bound: number,
    readonly stallMs = defaultTabStallMs,
  ) {}

  /**
   * Whether a batch may be posted at `now` (monotonic ms); false: drop it. `firstTimestamp`: its
   * earliest event's time, read only when it is dropped; undefined for a batch of channel messages,
   * whose loss the tab's channels are told of instead (`Tab`), not the browser-wide stream.
   */
  admit(firstTimestamp: (() => string) | undefined, now: number): boolean {
    if (this.#droppedSince === undefined && !(this.#acking && this.#overBound(now))) {
      this.#unacked++;
      return true;
    }
    if (!firstTimestamp) return false;
    // The earliest event dropped, whatever order batches came in (a replay brings older ones).
    const at = firstTimestamp();
    if (this.#droppedSince === undefined || Date.parse(at) < Date.parse(this.#droppedSince)) this.#droppedSince = at;
    return false;
  }

  #overBound(now: number): boolean {
    if (this.#unacked >= this.bound * tabBacklogHardFactor) return true;
    return this.#unacked >= this.bound && now - this.#ackedAt >= this.stallMs;
  }

  /** The tab processed `count` more batches at `now` (monotonic ms). After a drop: the signal to tell it, once (`until`: server time now, ISO). */
  acked(count: number, until: string, now: number): ResyncSignal | undefined {
    this.#acking = true;
    this.#ackedAt = now;
    this.#unacked = Math.max(0, this.#unacked - count);
    const since = this.#droppedSince;
    if (since === undefined) return undefined;
    this.#droppedSince = undefined;
    return { since, until, reason: 'slow-tab', replayed: 0, complete: false };
  }

  /** Whether it is dropping batches for this tab now. */
  get behind(): boolean {
    return this.#droppedSince !== undefined;
  }
}
