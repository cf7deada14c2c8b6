/**
 * The seam between the engine and a backend's dialect: how the socket authenticates,
 * how it is kept alive, how a frame becomes a normalised envelope and what kind of
 * frame it is. The engine asks only this object, so another backend is served by
 * another implementation: a preset built from plain data (`presets.ts`), or one an
 * app writes for its own worker entry (`tabwire/worker`).
 */
import type { BrokerConfig } from '../../link/messages.ts';
import type { Session } from '../../link/stats.ts';
import type { ParsedFrame } from './envelope.ts';
import type { Envelope } from '../../link/envelope.ts';
import type { ChannelProtocol } from './channel-dialect.ts';

/** A dialect given in code: read frame by frame as JSON envelopes, or driven through the channel seam. */
export type BackendProtocol = Protocol | ChannelProtocol;



export type ServerFrame =
  | { kind: 'auth-accepted'; session: Session }
  /** `during`: answers the handshake, concerns the connection, or one upstream request. */
  | { kind: 'error'; code: string; message: string; during: 'auth' | 'connection' | 'request' }
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'event' };

export interface Protocol {
  /**
   * How the socket authenticates once open: `'token'`, a frame built by `authFrame` from a token a
   * tab gives; `'cookie'`, the upgrade request's cookies already did, so no token is asked, no
   * frame is sent, and replay sends the cookies instead of a bearer header. @default 'token'
   */
  auth?: 'token' | 'cookie';
  /** The first frame on an open socket, with the token. Unused with cookie auth. */
  authFrame(token: string): string;
  /**
   * With cookie auth: true when the server sends no acceptance frame, so the socket's opening
   * is the acceptance (the session then has no tenant or user, and the server's clock is ours). @default false
   */
  acceptsOnOpen?: boolean;
  /** Sent after `keepAliveMs` without sending; undefined: this dialect has the client never ping. */
  pingFrame(): string | undefined;
  /**
   * How long to wait for the server's pong after a ping before the socket counts as dead and is
   * replaced, in ms; undefined: no answer is awaited (the server may not send one). @default undefined
   */
  pongTimeoutMs?: number;
  /** The answer to a server ping. */
  pongFrame(nowIso: string): string;
  /** What a frame is, once read. */
  classify(envelope: Envelope): ServerFrame;
  /**
   * A frame's parsed JSON as a normalised envelope, or why it is rejected. Also reads the
   * events-since endpoint's entries. @default the envelope as docs/protocol.md writes it
   */
  read?(value: unknown): ParsedFrame;
  /** Old names and shapes made current (aliases, key case), after reading. @default none */
  normalize?(envelope: Envelope, config: BrokerConfig): Envelope;
  /** Payload schemas of known types, in the compact form; the app's `schemas` add to them. @default none */
  schemas?: Readonly<Record<string, string>>;
  /**
   * Whether control frames (acceptance, errors) reach tabs subscribed to their exact type, as
   * they do in PurposePath's dialect. @default false
   */
  relayControl?: boolean;
}

