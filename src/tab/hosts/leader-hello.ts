/**
 * What the tabs of a leader election say to each other on the `hello` BroadcastChannel, and the
 * timings they keep (docs/architecture.md, rule 9): shared by the page that leads
 * (leader-candidacy.ts) and the tabs that follow it (leader.ts).
 */
import type { Clock, TimerHandle } from '../../link/clock.ts';

export type Hello =
  /** The leader: on start, every heartbeat, and in answer to a probe. */
  | { k: 'here'; id: string }
  /** Anyone: is a leader there? */
  | { k: 'probe' }
  /** A tab: open my channels. */
  | { k: 'join'; tab: string }
  /** The leader: your channels are open. */
  | { k: 'joined'; tab: string; id: string };

export const heartbeatMs = 250;
/** Silence after which a follower suspects the leader is frozen, in ms. */
export const suspectAfterMs = 750;
/** How long a suspected leader has to answer a probe, in ms. */
export const probeTimeoutMs = 250;
/** Followers that suspect together spread their probes over this much (ms), so they do not all steal. */
export const jitterMs = 150;
/** Until a leader answers (the first candidate may still be starting), a tab probes again this often, in ms. */
export const askEveryMs = 500;
/** A leader asked to join is asked again only after this (ms): a second join would replace channels an attach may already be using. */
export const rejoinAfterMs = 1000;

/**
 * A tab not taken by a leader in this long (ms) gives up: a host that never settles could never be
 * closed, and its timers and channels would outlive every retry.
 */
export const joinWithinMs = 10_000;

/** Call `tick` every `ms` on `clock` until the returned function is called. */
export function every(clock: Clock, ms: number, tick: () => void): () => void {
  let handle: TimerHandle;
  let stopped = false;
  const schedule = () => {
    handle = clock.setTimeout(() => {
      if (stopped) return;
      schedule();
      tick();
    }, ms);
  };
  schedule();
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}

