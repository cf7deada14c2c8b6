/**
 * A dialect as it runs over an SSE stream: the stream's request carries the credential (no auth
 * frame; cookies or a token as the transport's `auth` says, and the events-since replay the same
 * way), nothing is sent to keep it alive (the server's heartbeat and the silence timeout do), and
 * the session is accepted by the stream opening unless the app awaits the dialect's acceptance event.
 */
import type { BrokerConfig } from '../../link/messages.ts';
import type { SseSpec } from './transport-spec.ts';
import type { Protocol } from '../protocol/wire.ts';
import type { SseFields } from './sse-transport.ts';

export function overSse(protocol: Protocol, spec: SseSpec): Protocol {
  return {
    ...protocol,
    auth: spec.auth === 'cookie' ? 'cookie' : 'token',
    acceptsOnOpen: spec.acceptance === 'open',
    pingFrame: () => undefined,
    pongTimeoutMs: undefined,
  };
}

/** Where an event's `event:` name and `id:` go: the dialect's type field, the spec's `idField`. */
export function sseFields(config: BrokerConfig, spec: SseSpec): SseFields {
  const type = config.protocol?.envelope?.type ?? 'type';
  return spec.idField !== undefined ? { type, id: spec.idField } : { type };
}
