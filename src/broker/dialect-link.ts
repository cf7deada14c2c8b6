/**
 * The engine's hold on a channel dialect (protocol/channel-dialect.ts): one `DialectConnection`
 * per socket, made when the socket is, and every call into it guarded. A method that throws
 * costs that frame or that call alone: counted in `stats().dropped.dialect`, reported once per
 * connection (naming the step and the error's class only: its message could quote a frame), and
 * never the worker.
 */
import { type TabwireErrorData, errorData } from '../link/errors.ts';
import type { BrokerCounters, Report } from './broker-stats.ts';
import type { ChannelProtocol, DialectConnection, DialectMessage, HeldOnSocket, RawFrame } from './protocol/channel-dialect.ts';
import type { ChannelPosition, ChannelSpec } from '../link/channels.ts';
import type { Protocol } from './protocol/wire.ts';

export interface DialectLinkParts {
  protocol: ChannelProtocol;
  counters: BrokerCounters;
  report: Report;
  /** The server's time now, in ms since the epoch, as far as the broker knows it. */
  serverNow: () => number;
  /** The channels held now (the channel registry's). */
  held: () => HeldOnSocket[];
}

/** How much of a dialect's INVALID_ARGUMENT message reaches the tab. */
const refusalChars = 300;

/**
 * A dialect's refusal of what a tab asked (`TabwireError` data with code `INVALID_ARGUMENT`: bad
 * params, a message of the wrong shape), as plain data for that call; undefined for any other throw.
 */
function refusalOf(error: unknown): TabwireErrorData | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== 'INVALID_ARGUMENT' || typeof message !== 'string') return undefined;
  return errorData('INVALID_ARGUMENT', message.slice(0, refusalChars));
}

/** A thrown value named by its class only. */
function className(error: unknown): string {
  const name = (error as Error | undefined)?.name;
  return typeof name === 'string' && /^\w{1,40}$/.test(name) ? name : 'an exception';
}

export class DialectLink {
  #connection: DialectConnection | undefined;
  /** The token the current socket's handshake was given (never stored beyond this socket). */
  #token: string | undefined;
  #reported = false;
  readonly #parts: DialectLinkParts;

  constructor(parts: DialectLinkParts) {
    this.#parts = parts;
  }

  get binary(): boolean {
    return this.#parts.protocol.binary === true;
  }

  /** The subprotocols the socket's upgrade offers, if the dialect names any. */
  get subprotocols(): readonly string[] | undefined {
    return this.#parts.protocol.subprotocols;
  }

  /** A socket was created: its own connection, writing through `write` (which drops frames of a socket no longer current). */
  socketCreated(write: (frame: RawFrame) => void): void {
    this.#connection = undefined;
    this.#token = undefined;
    this.#reported = false;
    const link = this;
    const context = {
      send: write,
      get token() {
        return link.#token;
      },
      now: () => this.#parts.serverNow(),
      held: () => this.#parts.held(),
    };
    this.#guarded('connect', () => {
      this.#connection = this.#parts.protocol.connect(context);
    });
  }

  /** The socket is open and the token (if any) is known: the handshake's first frames. */
  open(token: string | undefined): void {
    this.#token = token;
    this.#guard('open', (c) => c.open());
  }

  /** What a frame said, in order; nothing when the dialect threw (counted). */
  read(frame: RawFrame): DialectMessage[] {
    let messages: DialectMessage[] = [];
    this.#guard('read', (c) => {
      const read = c.read(frame);
      messages = Array.isArray(read) ? read : [];
    });
    return messages;
  }

  /** What the socket's close meant, per the dialect; nothing when it has no `closed` or threw. */
  closed(code: number, reason: string): DialectMessage[] {
    let messages: DialectMessage[] = [];
    this.#guard('closed', (c) => {
      const said = c.closed?.(code, reason);
      messages = Array.isArray(said) ? said : [];
    });
    return messages;
  }

  /** Throws the dialect's INVALID_ARGUMENT (as data) for params it cannot use. */
  subscribe(key: string, channel: ChannelSpec, from?: ChannelPosition): boolean {
    return this.#guardCall('subscribe', (c) => c.subscribe(key, channel, from));
  }

  unsubscribe(key: string, channel: ChannelSpec): boolean {
    return this.#guard('unsubscribe', (c) => c.unsubscribe(key, channel));
  }

  /** Throws the dialect's INVALID_ARGUMENT (as data) for a message it cannot frame. */
  request(id: string, message: unknown): boolean {
    return this.#guardCall('request', (c) => c.request(id, message));
  }

  /**
   * A tab's `send()`, or why it was not sent, thrown as data for that call: UNSUPPORTED when the
   * dialect has no `send` (GraphQL over WebSocket), the dialect's own INVALID_ARGUMENT, and
   * INVALID_ARGUMENT when it threw anything else (also counted as the dialect's failure).
   */
  send(message: unknown): void {
    const connection = this.#connection;
    if (connection && !connection.send) throw errorData('UNSUPPORTED', 'send() is not supported by this channel dialect: it has no messages of its own to send');
    const sent = this.#guardCall('send', (c) => c.send!(message));
    if (!sent) throw errorData('INVALID_ARGUMENT', 'not sent: the channel dialect could not frame this message');
  }

  /** How long the server may stay silent, per the current socket's connection; undefined when it does not say (or says nonsense). */
  silenceLimitMs(): number | undefined {
    let limit: unknown;
    this.#guard('silenceLimitMs', (c) => {
      limit = c.silenceLimitMs;
    });
    return typeof limit === 'number' && Number.isFinite(limit) && limit > 0 ? limit : undefined;
  }

  /** The keep-alive frame, if the dialect pings. */
  ping(): RawFrame | undefined {
    let frame: RawFrame | undefined;
    this.#guard('ping', (c) => {
      frame = c.ping?.();
    });
    return frame;
  }

  /** The session ended: the protocol keeps nothing of it for the next socket. */
  forget(): void {
    const { protocol } = this.#parts;
    if (protocol.forget) this.#guarded('forget', () => protocol.forget!());
  }

  /** A message the engine could not act on (a field of the wrong type): counted and reported like a throw. */
  failed(step: string, error: unknown): void {
    this.#failed(step, error);
  }

  /** `run` on the current socket's connection; false when there is none or it threw. */
  #guard(step: string, run: (connection: DialectConnection) => void): boolean {
    const connection = this.#connection;
    return connection !== undefined && this.#guarded(step, () => run(connection));
  }

  /** As `#guard`, for a tab's call: the dialect's refusal of what was asked is that call's error, not a failure. */
  #guardCall(step: string, run: (connection: DialectConnection) => void): boolean {
    const connection = this.#connection;
    if (connection === undefined) return false;
    try {
      run(connection);
      return true;
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) throw refusal;
      this.#failed(step, error);
      return false;
    }
  }

  #guarded(step: string, run: () => void): boolean {
    try {
      run();
      return true;
    } catch (error) {
      this.#failed(step, error);
      return false;
    }
  }

  #failed(step: string, error: unknown): void {
    this.#parts.counters.dropped.dialect++;
    if (this.#reported) return;
    this.#reported = true;
    this.#parts.report(errorData('DIALECT_FAILED', `the channel dialect's ${step} threw ${className(error)}; that frame or call was dropped`));
  }
}

/**
 * What the engine's other parts (the driver's handshake options, the events-since reader) ask of a
 * dialect, for one driven through the channel seam: its auth and pong wait; frames go to the
 * `DialectLink`, so the frame methods here are never used for it; replayed entries are envelopes.
 */
export function engineProtocolOf(protocol: ChannelProtocol): Protocol {
  return {
    auth: protocol.auth ?? 'token',
    authFrame: () => '',
    pingFrame: () => undefined,
    ...(protocol.pongTimeoutMs !== undefined ? { pongTimeoutMs: protocol.pongTimeoutMs } : {}),
    pongFrame: () => '',
    classify: () => ({ kind: 'event' }),
  };
}
