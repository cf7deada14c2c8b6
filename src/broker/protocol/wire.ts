/**
 * The default wire protocol: docs/protocol.md's handshake, keep-alive and error frames.
 * The engine only asks this object to build frames and to sort incoming ones, so
 * another backend can be served by another implementation of `WireProtocol`.
 */
import type { Session } from '../../link/stats.ts';
import type { Envelope } from './envelope.ts';


export type { Session };

export type ServerFrame =
  | { kind: 'auth-accepted'; session: Session }
  /** `during`: answers the handshake, concerns the connection, or one upstream request. */
  | { kind: 'error'; code: string; message: string; during: 'auth' | 'connection' | 'request' }
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'event' };

export interface WireProtocol {
  authFrame(token: string): string;
  pingFrame(): string;
  pongFrame(nowIso: string): string;
  classify(envelope: Envelope): ServerFrame;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export const defaultWireProtocol: WireProtocol = {
  authFrame: (token) => JSON.stringify({ action: 'auth', token }),
  pingFrame: () => '{"action":"ping"}',
  // Older draft: the server pings with {"type":"ping"} and expects this answer.
  pongFrame: (nowIso) => JSON.stringify({ type: 'pong', timestamp: nowIso }),
  classify(envelope) {
    const { type, data } = envelope;
    if (type === 'auth.success') {
      return {
        kind: 'auth-accepted',
        session: { tenantId: str(data.tenantId), userId: str(data.userId), connectionId: str(data.connectionId) },
      };
    }
    if (type.endsWith('.error')) {
      const context = type.slice(0, -'.error'.length);
      const code = str(data.code) ?? 'UNKNOWN';
      return {
        kind: 'error',
        code,
        message: str(data.error) ?? str(data.message) ?? 'server error',
        // docs/protocol.md names `connection.error` only as an example of where an expired token is
        // reported: UNAUTHORIZED in any context means the connection's token, and is acted on.
        during: context === 'auth' ? 'auth' : context === 'connection' || code === 'UNAUTHORIZED' ? 'connection' : 'request',
      };
    }
    if (type === 'ping') return { kind: 'ping' };
    if (type === 'pong') return { kind: 'pong' };
    return { kind: 'event' };
  },
};
