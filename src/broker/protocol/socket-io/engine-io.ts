/**
 * Engine.IO v4 packets as they travel in WebSocket text frames: one packet per frame, a type
 * digit then its data (`0{…}` open, `1` close, `2` ping, `3` pong, `4…` message, `6` noop).
 * Written here rather than taken from `engine.io-parser`: text frames alone are read (binary
 * attachments are not supported), so its base64 and binary paths would only add weight.
 */

/** What the server's open packet says about liveness and the session. */
export interface EngineOpen {
  sid: string;
  /** How often the server pings, in ms. */
  pingIntervalMs: number;
  /** How long after a ping's due time the server's silence still counts as alive, in ms. */
  pingTimeoutMs: number;
}

export type EnginePacket =
  | { type: 'open'; open: EngineOpen }
  | { type: 'close' }
  | { type: 'ping'; data: string }
  | { type: 'pong'; data: string }
  | { type: 'message'; data: string }
  | { type: 'noop' };

/** The client's answer to a server ping: a pong with the ping's data. */
export const enginePong = (data: string): string => `3${data}`;

/** A Socket.IO packet wrapped as an Engine.IO message. */
export const engineMessage = (data: string): string => `4${data}`;

/** One text frame as an Engine.IO packet, or why it is not one. */
export function readEnginePacket(frame: string): EnginePacket | { error: string } {
  const data = frame.slice(1);
  switch (frame[0]) {
    case '0':
      return readOpen(data);
    case '1':
      return { type: 'close' };
    case '2':
      return { type: 'ping', data };
    case '3':
      return { type: 'pong', data };
    case '4':
      return { type: 'message', data };
    case '6':
      return { type: 'noop' };
    default:
      return { error: 'not an Engine.IO v4 packet' };
  }
}

function readOpen(data: string): EnginePacket | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { error: 'Engine.IO open packet is not JSON' };
  }
  const open = value as { sid?: unknown; pingInterval?: unknown; pingTimeout?: unknown } | null;
  if (!open || typeof open.sid !== 'string' || !isDuration(open.pingInterval) || !isDuration(open.pingTimeout)) {
    return { error: 'Engine.IO open packet lacks sid, pingInterval or pingTimeout' };
  }
  return { type: 'open', open: { sid: open.sid, pingIntervalMs: Math.min(open.pingInterval, maxPingMs), pingTimeoutMs: Math.min(open.pingTimeout, maxPingMs) } };
}

/**
 * Longest pingInterval or pingTimeout taken from a server, in ms (10 minutes; longer is clamped):
 * their sum bounds the silence timer, which a value past 2^31 ms would fire at once.
 */
export const maxPingMs = 10 * 60_000;

const isDuration = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
