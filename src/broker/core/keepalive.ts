/**
 * Keep-alive schedule. The gateway closes a connection after 10 minutes without
 * traffic and the server sends no pings (docs/protocol.md "Keep-alive"), so the client
 * pings when it has sent nothing for `keepAliveMs`. Pure: the caller owns the one
 * timer (per browser, in the worker) and the clock.
 */
/** When the next ping is due, given when the last frame was sent (ms since epoch). */
export function pingDueAt(lastSentAt: number, keepAliveMs: number): number {
  return lastSentAt + keepAliveMs;
}

/**
 * Decide at `now` whether to ping, and when to look again. A frame sent in the
 * meantime pushes the ping back, so a busy connection never pings.
 */
export function keepAliveStep(
  now: number,
  lastSentAt: number,
  keepAliveMs: number,
): { ping: boolean; nextCheckInMs: number } {
  const due = pingDueAt(lastSentAt, keepAliveMs);
  if (now >= due) return { ping: true, nextCheckInMs: keepAliveMs };
  return { ping: false, nextCheckInMs: due - now };
}
