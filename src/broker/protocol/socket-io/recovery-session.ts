/**
 * What one Socket.IO session keeps from one socket to the next, for connection state recovery:
 * the server's private session id (`pid`), the offset of the last event read, and which engine
 * keys hold which room. The server sends the events a recovered socket missed before it answers
 * CONNECT, that is before the engine subscribes again, so they are routed by the rooms held on
 * the previous socket (the engine's keys stay the same while a channel is held).
 */

export interface RecoverySession {
  pid?: string;
  offset?: string;
  /** Room name → the engine's keys subscribed to it. */
  readonly roomKeys: Map<string, Set<string>>;
  /**
   * Keys whose own position, after a worker restart, is not the one the session resumed from:
   * what their room got in between is unknown, so their next join answers `recovered: false`.
   */
  readonly behind: Set<string>;
}

export const newRecoverySession = (): RecoverySession => ({ roomKeys: new Map(), behind: new Set() });

/** The broker's session ended: nothing of it is asked from again. The rooms held stay (the engine keeps its channels). */
export function forgetRecovery(session: RecoverySession): void {
  delete session.pid;
  delete session.offset;
  session.behind.clear();
}

export function holdRoom(session: RecoverySession, room: string, key: string): void {
  const keys = session.roomKeys.get(room) ?? new Set<string>();
  keys.add(key);
  session.roomKeys.set(room, keys);
}

/** Drops `key` from `room`; true when no key holds the room any more. */
export function releaseRoom(session: RecoverySession, room: string, key: string): boolean {
  const keys = session.roomKeys.get(room);
  keys?.delete(key);
  if (keys && keys.size > 0) return false;
  session.roomKeys.delete(room);
  return true;
}
