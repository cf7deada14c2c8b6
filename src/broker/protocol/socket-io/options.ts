/**
 * The Socket.IO preset's options. All but `route` are plain data, so they travel in the
 * tabs' config to the SharedWorker; `route` is for a worker entry written in code.
 */

/** How a server event finds its room: the room's name, or undefined for the browser-wide stream. */
export type SocketIoRoute = (eventName: string, args: readonly unknown[]) => string | undefined;

export interface SocketIoOptions {
  /** The namespace connected to. @default '/' */
  namespace?: string;
  /**
   * `'token'`: the CONNECT packet's auth payload carries the tab's token under `tokenField`;
   * `'cookie'`: the upgrade request's cookies authenticate, the payload carries no token. @default 'token'
   */
  auth?: 'token' | 'cookie';
  /** The auth payload's field holding the token (the server reads `socket.handshake.auth[tokenField]`). @default 'token' */
  tokenField?: string;
  /** JSON fields added to every CONNECT auth payload. @default {} */
  authData?: Record<string, unknown>;
  /** The app event that joins a room, emitted with an ack as `[joinEvent, room, params?]`. @default 'join' */
  joinEvent?: string;
  /** The app event that leaves a room, emitted as `[leaveEvent, room, params?]`. @default 'leave' */
  leaveEvent?: string;
  /**
   * Fields of an event's first argument naming its room, tried in order; an event without one
   * goes to the browser-wide stream. @default ['channel', 'room']
   */
  roomFields?: readonly string[];
  /** Routing written in code (a worker entry); wins over `roomFields`. @default undefined */
  route?: SocketIoRoute;
}

export interface SocketIoSettings {
  namespace: string;
  auth: 'token' | 'cookie';
  tokenField: string;
  authData: Readonly<Record<string, unknown>>;
  joinEvent: string;
  leaveEvent: string;
  route: SocketIoRoute;
}

/** The options with their defaults, checked: a bad option throws when the protocol is built, never later. */
export function socketIoSettings(options: SocketIoOptions = {}): SocketIoSettings {
  const namespace = options.namespace ?? '/';
  if (!namespace.startsWith('/') || namespace.includes(',')) throw new TypeError(`socketIoProtocol: namespace must start with '/' and have no ',': ${namespace}`);
  const roomFields = options.roomFields ?? ['channel', 'room'];
  return {
    namespace,
    auth: options.auth ?? 'token',
    tokenField: options.tokenField ?? 'token',
    authData: { ...options.authData },
    joinEvent: options.joinEvent ?? 'join',
    leaveEvent: options.leaveEvent ?? 'leave',
    route: options.route ?? routeByFields(roomFields),
  };
}

/** The default rule: the first argument's first string field of `fields`. */
export function routeByFields(fields: readonly string[]): SocketIoRoute {
  return (_eventName, args) => {
    const first = args[0];
    if (typeof first !== 'object' || first === null) return undefined;
    for (const field of fields) {
      const room = (first as Record<string, unknown>)[field];
      if (typeof room === 'string') return room;
    }
    return undefined;
  };
}
