/**
 * How far a tab may fall behind on its stream. A port has no back-pressure and no "not
 * reading" signal: a frozen or hung tab that keeps its Web Lock would have every batch
 * queued for it, without end. So a tab acknowledges the batches it processed (every
 * `streamAckEvery`, see link/messages.ts), and the broker keeps at most `bound` batches
 * unacknowledged per tab. Past it the broker posts nothing more to that tab (the fan-out
 * counts what it dropped); at the tab's next acknowledgement it is told once that events
 * were lost (`complete: false`), and receives again. A tab that never acknowledged (a client
 * of a build without acknowledgements) is not bounded. Pure: time comes in as arguments.
 */
import type { ResyncSignal } from '../link/states.ts';

/** Batches a tab may leave unacknowledged before the broker stops posting to it. */
export const defaultTabBacklogBatches = 256;

export class TabBacklog {
  /** Posted, not yet acknowledged. */
  #unacked = 0;
  /** The tab acknowledges: it is bounded. */
  #acking = false;
  /** Since the broker stopped posting: the server time of the first batch it dropped (ISO). */
  #droppedSince: string | undefined;

  /** @param bound batches unacknowledged past which nothing is posted (at least 2 acknowledgements' worth). */
  constructor(readonly bound: number) {}

  /** Whether a batch may be posted now; false: drop it. `firstTimestamp`: its first event's time, read only when it is dropped. */
  admit(firstTimestamp: () => string): boolean {
    if (this.#droppedSince !== undefined) return false;
    if (this.#acking && this.#unacked >= this.bound) {
      this.#droppedSince = firstTimestamp();
      return false;
    }
    this.#unacked++;
    return true;
  }

  /** The tab processed `count` more batches. After a drop: the signal to tell it, once (`until`: server time now, ISO). */
  acked(count: number, until: string): ResyncSignal | undefined {
    this.#acking = true;
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
