/**
 * What one Socket.IO session keeps from one socket to the next, for connection state recovery:
 * the server's private session id (`pid`), the offset of the last event read, which engine
 * keys hold which room, and which of them the server is known to hold in that session. The
 * server sends the events a recovered socket missed before it answers CONNECT, that is before
 * the engine subscribes again, so they are routed by the rooms held on the previous socket (the
 * engine's keys stay the same while a channel is held).
 */
import type { ChannelSpec } from '../../../link/channels.ts';

export interface RecoverySession {
  pid?: string;
  offset?: string;
  /** Room name → the engine's keys subscribed to it, each with its channel (what a leave is sent with). */
  readonly roomKeys: Map<string, Map<string, ChannelSpec>>;
  /**
   * Keys whose room the server holds in session `pid`: their join was acked on a socket of it, or,
   * after a worker restart, they were read at the very position it resumed from. A restored
   * session rejoins the rooms it was in when its socket dropped and replays every event after the
   * offset to them (socket.io's `restoreSession`, in memory and on Redis streams), however late
   * the join came, so these alone answer their next join `recovered: true`; a room whose join was
   * not answered, or was answered in another session, may have missed events.
   */
  readonly joined: Set<string>;
}

export const newRecoverySession = (): RecoverySession => ({ roomKeys: new Map(), joined: new Set() });

/** The broker's session ended: nothing of it is asked from again. The rooms held stay (the engine keeps its channels). */
export function forgetRecovery(session: RecoverySession): void {
  delete session.pid;
  delete session.offset;
  session.joined.clear();
}

export function holdRoom(session: RecoverySession, key: string, channel: ChannelSpec): void {
  const keys = session.roomKeys.get(channel.name) ?? new Map<string, ChannelSpec>();
  keys.set(key, channel);
  session.roomKeys.set(channel.name, keys);
}

/** Drops `key` from `room`; true when no key holds the room any more. */
export function releaseRoom(session: RecoverySession, room: string, key: string): boolean {
  const keys = session.roomKeys.get(room);
  keys?.delete(key);
  if (keys && keys.size > 0) return false;
  session.roomKeys.delete(room);
  return true;
}

/**
 * Forgets the keys the engine no longer holds: a channel dropped while no socket was open (its
 * linger ended while down, or it had no tab left when the socket came back) never reaches
 * `unsubscribe`. Returns a channel of each room no key holds any more: a restored session still
 * has the socket in it, so it is left.
 */
export function releaseUnheld(session: RecoverySession, held: ReadonlySet<string>): ChannelSpec[] {
  const rooms: ChannelSpec[] = [];
  for (const [room, keys] of session.roomKeys) {
    for (const [key, channel] of keys) {
      if (held.has(key)) continue;
      session.joined.delete(key);
      if (releaseRoom(session, room, key)) rooms.push(channel);
    }
  }
  return rooms;
}
