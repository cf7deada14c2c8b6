/**
 * The mock backend's second dialect, `events`, which shares nothing with PurposePath's:
 * a session cookie authenticates the upgrade request (no auth frame), the server
 * says `{"event":"session.ready"}` once the socket is open, envelopes are
 * `{ event, ts, id, payload }` with `ts` in epoch milliseconds and no tenant, and
 * the server pings `{"event":"ping"}` expecting `{"event":"pong"}` before the next
 * ping (else it closes the socket). Clients may ping too: the server answers pong.
 * Events are kept in one canonical form and written out in the connection's dialect.
 */
import type { IncomingMessage } from 'node:http';
import type { MockState, StoredEnvelope, TokenInfo } from './state.ts';
import { verifyToken } from './tokens.ts';

/** Which dialect the backend speaks. `purposepath`: docs/protocol.md. `events`: this module's. */
export type Dialect = 'purposepath' | 'events';

/** The name of the session cookie in the `events` dialect. */
export const sessionCookie = 'session';

/** An event as the dialect writes it. */
export function render(state: MockState, envelope: StoredEnvelope): unknown {
  if (state.settings.dialect === 'purposepath') return envelope;
  const { tenantId: _tenant, ...payload } = (envelope.data ?? {}) as Record<string, unknown>;
  const ts = Date.parse(String(envelope.timestamp));
  // Timestamps are strictly increasing per backend (isoNow): type and instant name an event.
  return { event: envelope.type, ts, id: `${String(envelope.type)}@${ts}`, payload };
}

/** A control frame of the `events` dialect, now. */
export function controlFrame(event: string, payload?: Record<string, unknown>): Record<string, unknown> {
  return { event, ts: Date.now(), ...(payload ? { payload } : {}) };
}

/** The holder of the request's session cookie (the access token as its value), if it is live. */
export function verifyCookie(state: MockState, req: IncomingMessage): TokenInfo | undefined {
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === sessionCookie) return verifyToken(state, value.join('='));
  }
  return undefined;
}
