/**
 * The Socket.IO v4 preset (docs/protocols-socket-io.md): Engine.IO v4 over WebSocket only,
 * Socket.IO v5 packets in one namespace, rooms as channels, acks as requests, connection
 * state recovery as the replay. Text frames only: binary attachments are not read.
 */
import type { ChannelProtocol } from '../channel-dialect.ts';
import { SocketIoConnection } from './connection.ts';
import { socketIoSettings, type SocketIoOptions } from './options.ts';
import { forgetRecovery, newRecoverySession } from './recovery-session.ts';

/** `auth`: with `'cookie'` the engine asks no tab for a token before the socket opens. */
export function socketIoProtocol(options?: SocketIoOptions): ChannelProtocol & { auth: 'token' | 'cookie' } {
  const settings = socketIoSettings(options);
  // One per broker: the next socket recovers the previous one's session.
  const session = newRecoverySession();
  return {
    connect: (context) => new SocketIoConnection(context, settings, session),
    forget: () => forgetRecovery(session),
    recovers: true,
    binary: false,
    auth: settings.auth,
  };
}

/**
 * The WebSocket URL of a Socket.IO server: `https://host` becomes
 * `wss://host/socket.io/?EIO=4&transport=websocket`. `path` is the server's `path` option.
 * @default path '/socket.io/'
 */
export function socketIoUrl(base: string, path = '/socket.io/'): string {
  const url = new URL(path, base);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.searchParams.set('EIO', '4');
  url.searchParams.set('transport', 'websocket');
  return url.toString();
}
