/**
 * The server's own reconnection time (an SSE stream's `retry:` field) within tabwire's backoff:
 * never sooner than the server asked, never sooner than `minDelayMs`, never later than
 * `maxDelayMs`, and still growing with the attempts past the server's time. Pure.
 */
import type { BackoffPolicy } from './backoff.ts';

export function serverRetryDelayMs(backoffMs: number, serverRetryMs: number | undefined, policy: BackoffPolicy): number {
  if (serverRetryMs === undefined || !Number.isFinite(serverRetryMs)) return backoffMs;
  return Math.min(policy.maxDelayMs, Math.max(backoffMs, serverRetryMs, policy.minDelayMs));
}

/** A retry strategy with the server's time read at each retry. */
export function withServerRetry(
  delayMs: (attempt: number) => number,
  serverRetryMs: () => number | undefined,
  policy: BackoffPolicy,
): (attempt: number) => number {
  return (attempt) => serverRetryDelayMs(delayMs(attempt), serverRetryMs(), policy);
}
