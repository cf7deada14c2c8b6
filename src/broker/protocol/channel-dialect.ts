/**
 * The protocol seam for backends that multiplex channels on one socket (GraphQL over
 * WebSocket, Socket.IO, Centrifugo-like): raw frames in (text that need not be JSON, binary),
 * several messages per frame, a handshake in several steps, channel subscribe/unsubscribe and
 * their answers, request–response by id, replay by position. One `DialectConnection` lives per
 * socket and keeps that socket's protocol state (ids, handshake step); the engine keeps the
 * channels, their tabs and their positions, and asks the connection to frame what it sends.
 *
 * A `ChannelProtocol` is given where a `Protocol` (wire.ts) is (`BrokerDeps.protocol`, the worker
 * entry's `protocol`): one that has `connect` is driven through this seam; one without is read
 * frame by frame as JSON envelopes, as PurposePath's and the JSON preset are.
 */
import type { ChannelPosition, ChannelSpec } from '../../link/channels.ts';
import type { Session } from '../../link/stats.ts';

/** A frame as the socket gave it: text, or binary as an ArrayBuffer. */
export type RawFrame = string | ArrayBuffer;

/** A channel the browser holds, as the engine will subscribe it: its key, the channel, and the position it resumes from. */
export interface HeldOnSocket {
  key: string;
  channel: ChannelSpec;
  from?: ChannelPosition;
}

/** What the engine gives a connection: the socket to write to, and the session's token when it has one. */
export interface DialectContext {
  /** Writes a frame on this socket (dropped once it closed). */
  send(frame: RawFrame): void;
  /** The token a tab gave for this socket; undefined with cookie auth. */
  token?: string;
  /** The server's time now, in ms since the epoch, as far as the broker knows it. */
  now(): number;
  /**
   * The channels held when asked, with the positions they resume from: a protocol that resumes
   * its session at connect time, before any `subscribe` (Socket.IO's recovery), reads it in
   * `open()` or when the handshake's next step goes out. After a worker restart these are the
   * channels the tabs re-attached with so far, from the positions they last saw.
   */
  held?(): HeldOnSocket[];
}

/** What one frame said, in order. A frame may say several things, or nothing the engine needs. */
export type DialectMessage =
  /** The handshake is done: the socket is open for channels and events. */
  | { kind: 'accepted'; session?: Session; serverTime?: number; position?: ChannelPosition }
  /** The handshake or the session was refused (`UNAUTHORIZED` refreshes the token and reconnects). */
  | { kind: 'refused'; code: string; message: string }
  /** An event of the browser-wide stream (the channel with no name), as a JSON object the dialect read. */
  | { kind: 'event'; value: unknown }
  /** A message of one channel, by the key the engine gave it in `subscribe`. */
  | { kind: 'channel-message'; key: string; data: unknown; position?: ChannelPosition }
  /**
   * The server took the subscription. `recovered`: it replayed (or will replay, before live messages)
   * everything the channel missed since the drop; false or absent: it could not, so the channel's tabs
   * are told `complete: false`. Read for every channel that was subscribed when the socket dropped,
   * whether or not `subscribe` was given a position: a session-wide recovery (Socket.IO's) covers a
   * channel that had no message of its own yet, and only the dialect can know it was in the session.
   */
  | { kind: 'channel-subscribed'; key: string; recovered?: boolean; position?: ChannelPosition }
  /** The server refused or ended the channel with an error: its tabs alone are told, with the server's code. */
  | { kind: 'channel-error'; key: string; code: string; message: string }
  /** The server ended the channel (GraphQL `complete`): its tabs are told it ended. */
  | { kind: 'channel-complete'; key: string }
  /** The answer to `request(id, …)`. */
  | { kind: 'response'; id: string; ok: true; data: unknown }
  | { kind: 'response'; id: string; ok: false; code: string; message: string }
  /** The server pinged (`reply` is written back by the engine, counted as sending) or ponged. */
  | { kind: 'ping'; reply?: RawFrame }
  | { kind: 'pong' }
  /** An error concerning the connection (not one channel or request): reported to every tab. */
  | { kind: 'error'; code: string; message: string }
  /** A frame the dialect could not read: dropped and counted, the connection goes on. */
  | { kind: 'malformed'; message: string };

/** One socket's protocol state. Every method is synchronous and must not throw for a server's frame. */
export interface DialectConnection {
  /** The socket opened: send the handshake's first frame(s) through the context. */
  open(): void;
  /** A frame arrived: what it said, in order. */
  read(frame: RawFrame): DialectMessage[];
  /**
   * Subscribe `key` (unique per distinct channel while it is held) to `channel`, resuming after
   * `from` when given. Called only after `accepted`, and again for every held channel after a reconnect.
   */
  subscribe(key: string, channel: ChannelSpec, from?: ChannelPosition): void;
  /**
   * The last tab left `key` (after the linger): tell the server. Called only while a socket is
   * open: a channel dropped while none is never reaches it, and `DialectContext.held()` stops
   * listing its key (read at the next handshake to forget it).
   */
  unsubscribe(key: string, channel: ChannelSpec): void;
  /** Send `message` as a request whose answer comes back as a `response` with this `id`. */
  request(id: string, message: unknown): void;
  /** A message a tab sent with `send()`, framed for this protocol. */
  send?(message: unknown): void;
  /**
   * The socket closed with this code and reason: what that means (a refusal the close code carries,
   * failed `response`s for requests left unanswered), acted on before the engine reconnects, so a
   * refusal during the handshake refreshes the token as a refusal frame would. @default none
   */
  closed?(code: number, reason: string): DialectMessage[];
  /**
   * How long the server may stay silent before the socket counts as dead and is replaced, in ms,
   * for protocols whose server pings and whose client only answers (Socket.IO: pingInterval +
   * pingTimeout); read after each frame, so it may be learnt from the handshake. Undefined: silence
   * is never a sign of death (the engine's own ping and `pongTimeoutMs` may watch instead). @default undefined
   */
  readonly silenceLimitMs?: number | undefined;
  /** The frame the engine sends after `keepAliveMs` without sending; undefined: the client never pings. */
  ping?(): RawFrame | undefined;
}

/** A protocol that multiplexes channels: one `DialectConnection` per socket. */
export interface ChannelProtocol {
  /** Starts a connection's protocol state when its socket is created. */
  connect(context: DialectContext): DialectConnection;
  /** Whether channels resume from a position after a gap (else every gap tells the channel's tabs `complete: false`). */
  recovers: boolean;
  /** The socket's frames are binary as well as text: the engine asks for `ArrayBuffer`s. @default false */
  binary?: boolean;
  /** WebSocket subprotocols the socket's upgrade offers (graphql-ws servers close any other socket with 4406). @default none */
  subprotocols?: readonly string[];
  /**
   * The session ended (`logout()`, another user or tenant authenticated): keep nothing of it for
   * the next socket (a recovery session id would hand the next user the previous one's stream).
   */
  forget?(): void;
  /**
   * `'token'`: a tab's token is asked before `open()` and given in `DialectContext.token`;
   * `'cookie'`: the upgrade request's cookies authenticate, no token is asked. @default 'token'
   */
  auth?: 'token' | 'cookie';
  /**
   * How long to wait for a `pong` after the engine sent `ping()`'s frame before the socket counts as
   * dead and is replaced, in ms; undefined: no answer is awaited. @default undefined
   */
  pongTimeoutMs?: number;
}

/** Whether a dialect given in code is driven through this seam (it has `connect`). */
export function isChannelProtocol(protocol: object): protocol is ChannelProtocol {
  return typeof (protocol as Partial<ChannelProtocol>).connect === 'function';
}
