/**
 * Notice a sleep (laptop lid, a suspended phone) while connected: nothing tells a socket
 * that died without a close until TCP gives up, minutes later. A look every few seconds
 * compares the wall clock, which runs on through a sleep, with the monotonic one, which
 * does not where it counts no sleep; elsewhere the look itself comes far too late.
 */
import type { Clock } from '../link/clock.ts';
import { NamedTimers } from './timers.ts';

/** How often the worker looks for a sleep it woke from while connected, in ms. */
const wakeCheckMs = 10_000;
/** The wall clock running this far ahead of the monotonic one since the last look means the machine slept, in ms. */
const sleptAfterMs = 30_000;
/**
 * A look this much later than scheduled on the monotonic clock means the same where that clock
 * counts sleep; above what background throttling delays a timer (about a minute), in ms.
 */
const stalledAfterMs = 120_000;

export class WakeWatch {
  /** The last look, on both clocks. */
  #mark: { wall: number; monotonic: number } | undefined;
  readonly #timers: NamedTimers<'wake'>;

  readonly #clock: Clock;
  readonly #connected: () => boolean;
  readonly #onWake: () => void;

  constructor(clock: Clock, connected: () => boolean, onWake: () => void) {
    this.#clock = clock;
    this.#connected = connected;
    this.#onWake = onWake;
    this.#timers = new NamedTimers(clock);
  }

  /** Look from now on, every few seconds. */
  start(): void {
    this.#mark = { wall: this.#clock.now(), monotonic: this.#clock.monotonic() };
    this.#timers.set('wake', wakeCheckMs, () => this.#onTimer());
  }

  /** A timer may fire before it is due on the monotonic clock: then the look is still owed, one period on. */
  #onTimer(): void {
    this.check();
    if (this.#mark && this.#connected() && !this.#timers.has('wake')) this.#timers.set('wake', wakeCheckMs, () => this.#onTimer());
  }

  stop(): void {
    this.#timers.clear('wake');
  }

  /** Look now (also when a tab is shown again or back online after a long pause). */
  check(): void {
    const mark = this.#mark;
    if (!this.#connected() || !mark) return;
    const monotonicMs = this.#clock.monotonic() - mark.monotonic;
    const wallMs = this.#clock.now() - mark.wall;
    if (wallMs - monotonicMs > sleptAfterMs || monotonicMs > wakeCheckMs + stalledAfterMs) {
      this.#mark = undefined;
      this.#onWake();
      return;
    }
    if (monotonicMs >= wakeCheckMs) this.start();
  }
}
