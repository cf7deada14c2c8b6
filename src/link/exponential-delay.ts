/**
 * The exponential part of every retry in tabwire (the socket's reconnect ceiling,
 * the replay's retries, a tab's attach retries): one formula, so they all grow
 * and cap the same way. Pure; shared by tab and broker.
 */

/** `baseMs`, 2·base, 4·base … for a 0-based attempt, at most `capMs`. */
export function exponentialDelayMs(baseMs: number, attempt: number, capMs = Number.POSITIVE_INFINITY): number {
  // Capping the exponent keeps the value finite for any attempt count.
  const exponent = Math.min(Math.max(attempt, 0), 31);
  return Math.min(capMs, baseMs * 2 ** exponent);
}
