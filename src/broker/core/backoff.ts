/**
 * Reconnect delays. Pure: randomness is a parameter so tests can pin it.
 *
 * The ceiling doubles per attempt (1 s, 2 s, 4 s, 8 s, 16 s, capped at 30 s by
 * default, docs/protocol.md "Reconnection"); the delay is drawn uniformly between the
 * floor and floor + ceiling ("full jitter" above a floor, as centrifuge-js does),
 * so a browser never retries faster than `minDelayMs` and a fleet of browsers
 * that lost the server together does not come back in lockstep.
 */
import { optionDefaults } from '../../link/config.ts';
import { exponentialDelayMs } from '../../link/exponential-delay.ts';

export interface BackoffPolicy {
  /** Floor and first ceiling of the delay, in ms. @default 1000 */
  minDelayMs: number;
  /** Cap of every delay, in ms. @default 30000 */
  maxDelayMs: number;
}

export const defaultBackoff: BackoffPolicy = { minDelayMs: optionDefaults.minDelayMs, maxDelayMs: optionDefaults.maxDelayMs };

/** The exponential ceiling for a 0-based attempt: min, 2·min, 4·min … ≤ max. */
export function backoffCeilingMs(attempt: number, policy: BackoffPolicy = defaultBackoff): number {
  return exponentialDelayMs(policy.minDelayMs, attempt, policy.maxDelayMs);
}

/** Full-jitter delay above the floor: uniform in [min, min + ceiling], capped at max. */
export function jitteredDelayMs(
  attempt: number,
  random: () => number,
  policy: BackoffPolicy = defaultBackoff,
): number {
  const ceiling = backoffCeilingMs(attempt, policy);
  return Math.min(policy.maxDelayMs, Math.round(policy.minDelayMs + random() * ceiling));
}

/**
 * Delay after `RATE_LIMIT_EXCEEDED`: the server asked for 1 s, 2 s, 4 s, 8 s …
 * (docs/protocol.md "Errors"), so the ceiling itself is the floor here and jitter
 * only adds up to 10 % on top, never less than the server asked.
 */
export function rateLimitDelayMs(
  attempt: number,
  random: () => number,
  policy: BackoffPolicy = defaultBackoff,
): number {
  const ceiling = backoffCeilingMs(attempt, policy);
  return Math.round(ceiling + random() * ceiling * 0.1);
}
