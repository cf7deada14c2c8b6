/**
 * PurposePath's dialect, the default: docs/protocol.md's handshake, keep-alive and error
 * frames, its envelope as it comes, and its event catalogue (schemas, renamed types,
 * snake_case keys of an older draft).
 */
import type { BrokerConfig } from '../../link/messages.ts';
import type { Envelope } from '../../link/envelope.ts';
import type { Protocol, ServerFrame } from './wire.ts';
import { normalizeEnvelope, purposepathSchemas } from './payloads.ts';

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export const purposepathProtocol = {
  relayControl: true,
  schemas: purposepathSchemas,
  normalize: (envelope: Envelope, config: BrokerConfig) => normalizeEnvelope(envelope, config.normalizeKeys),
  authFrame: (token: string) => JSON.stringify({ action: 'auth', token }),
  pingFrame: () => '{"action":"ping"}',
  // Older draft: the server pings with {"type":"ping"} and expects this answer.
  pongFrame: (nowIso: string) => JSON.stringify({ type: 'pong', timestamp: nowIso }),
  classify(envelope: Envelope): ServerFrame {
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
} satisfies Protocol;
