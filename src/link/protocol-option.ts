/**
 * How the app describes its backend's dialect, as plain data: it travels to the worker with
 * the rest of the config (a function could not cross a port). `'purposepath'` is the dialect
 * docs/protocol.md describes, and the default; `{ preset: 'json', … }` names the fields and
 * frames of any backend that speaks JSON over the socket (docs/protocols.md). The broker
 * checks it and fills in its defaults (broker/protocol/protocol-spec.ts).
 */

/** Where the parts of an event sit in a frame of a JSON backend: top-level field names. */
export interface EnvelopeFields {
  /** The event's type (dot notation is only a convention). @default 'type' */
  type?: string;
  /** When the server sent it: ISO 8601 with zone, or milliseconds since the epoch. @default 'timestamp' */
  timestamp?: string;
  /** The payload, an object. A frame without it is an event with an empty payload. @default 'data' */
  data?: string;
  /** A unique id, used to drop duplicates (replayed and live copies). @default none */
  id?: string;
  /** The tenant the event belongs to; checked against the session's. @default none */
  tenant?: string;
}

/** How the socket authenticates after it opens: a frame carrying the token. */
export interface TokenAuth {
  /** The frame sent, with the token added under `tokenField`. @default { action: 'auth' } */
  frame?: Record<string, unknown>;
  /** @default 'token' */
  tokenField?: string;
}

/** Types of the control frames the server sends (matched exactly, on the `type` field). */
export interface ControlTypes {
  /**
   * The server's acceptance of the handshake; its payload's `tenantId` and `userId` name the
   * session, its timestamp sets the server's clock. Cookie auth without it: the socket's opening
   * is the acceptance. @default 'auth.success' with token auth, none with cookie auth
   */
  authSuccess?: string;
  /** The server's refusal of the handshake; its payload's `code` decides (UNAUTHORIZED, FORBIDDEN…). @default 'auth.error' */
  authError?: string;
  /** Any type ending with this is an error frame, payload `{ code, message | error }`. @default '.error' */
  errorSuffix?: string;
  /** A ping from the server, answered with `keepAlive.reply`. @default 'ping' */
  ping?: string;
}

/** Keeping an idle socket alive, and noticing a dead one. */
export interface KeepAliveSpec {
  /** Sent after `keepAliveMs` without sending anything; none: the client never pings. @default none */
  frame?: Record<string, unknown>;
  /** The type of the server's answer to `frame`. @default 'pong' */
  pong?: string;
  /**
   * How long to wait for `pong` after a ping before the socket counts as dead and is replaced,
   * in ms; none: no answer is awaited. @default none
   */
  timeoutMs?: number;
  /** The answer to a server ping (`control.ping`). @default { type: <pong> } in the envelope's type field */
  reply?: Record<string, unknown>;
}

/** A backend that speaks JSON, described field by field (docs/protocols.md). */
export interface JsonProtocolOptions {
  preset: 'json';
  envelope?: EnvelopeFields;
  /** `'cookie'`: the upgrade request's cookies authenticate, no token is asked. @default a token frame */
  auth?: 'cookie' | TokenAuth;
  control?: ControlTypes;
  keepAlive?: KeepAliveSpec;
}

/** The app's `protocol` option. @default 'purposepath' */
export type ProtocolOption = 'purposepath' | JsonProtocolOptions;
