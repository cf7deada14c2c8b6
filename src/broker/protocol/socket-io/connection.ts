/**
 * One socket's Socket.IO state: Engine.IO's open and pings, the namespace CONNECT with the
 * auth payload (and `pid`/`offset` to recover the previous socket's session), rooms joined
 * through the app's join event with an ack, requests as acks, events routed to rooms.
 */
import type { DialectConnection, DialectContext, DialectMessage, RawFrame } from '../channel-dialect.ts';
import type { ChannelPosition, ChannelSpec } from '../../../link/channels.ts';
import { engineMessage, enginePong, readEnginePacket, type EngineOpen } from './engine-io.ts';
import type { SocketIoSettings } from './options.ts';
import { isRecord, readSocketPacket, writeSocketPacket, type SocketPacket } from './packets.ts';
import { invalidArgument } from '../preset-errors.ts';
import { holdRoom, releaseRoom, releaseUnheld, type RecoverySession } from './recovery-session.ts';

/**
 * What an ack id waits for: a room's join, or a request's answer. `recovered`, decided when the
 * join goes out: what the join's answer says of recovery; undefined for a room new here.
 */
type PendingAck = { kind: 'join'; key: string; room: string; recovered: boolean | undefined } | { kind: 'request'; id: string };

type Packet<T extends SocketPacket['type']> = Extract<SocketPacket, { type: T }>;

/**
 * Most events held before the CONNECT answer (a recovery's replay). Past it the rest are dropped
 * and the recovery is not called recovered: its channels are told they lost messages.
 */
export const maxEarlyEvents = 10_000;

export class SocketIoConnection implements DialectConnection {
  readonly #context: DialectContext;
  readonly #settings: SocketIoSettings;
  readonly #session: RecoverySession;
  readonly #pending = new Map<number, PendingAck>();
  #nextAckId = 0;
  #open: EngineOpen | undefined;
  /** `open()` was called: the token, if any, is in the context. */
  #started = false;
  #accepted = false;
  #recovered = false;
  /** The session and offset this socket's CONNECT asked to recover. */
  #resumeFrom: { pid: string; offset: string } | undefined;
  /** Events read before the CONNECT answer: a recovered session's missed events come first. */
  #early: DialectMessage[] = [];
  /** More than `maxEarlyEvents` came before the CONNECT answer: the replay was not held whole. */
  #earlyOverflow = false;
  /**
   * Offsets of the events the recovery replayed. A node of a cluster may deliver one of them again
   * live, when the socket rejoined the room before that node's stream reader reached the entry.
   */
  readonly #replayedOffsets = new Set<string>();

  constructor(context: DialectContext, settings: SocketIoSettings, session: RecoverySession) {
    this.#context = context;
    this.#settings = settings;
    this.#session = session;
  }

  /**
   * How long the server may stay silent before the socket counts as dead, in ms
   * (`pingInterval + pingTimeout` of the open packet): Engine.IO v4's server pings, the
   * client only answers. Undefined until the open packet arrived.
   */
  get silenceLimitMs(): number | undefined {
    return this.#open && this.#open.pingIntervalMs + this.#open.pingTimeoutMs;
  }

  /** The engine has the token (if any): CONNECT goes once Engine.IO's open packet is here too, whichever came first. */
  open(): void {
    this.#started = true;
    if (this.#open) this.#write(0, this.#connectPayload());
  }

  read(frame: RawFrame): DialectMessage[] {
    try {
      return this.#read(frame);
    } catch (error) {
      // `route` is the app's code: its throw costs this frame alone. Named by class only: its
      // message could quote the event.
      return [{ kind: 'malformed', message: `Socket.IO event could not be routed: route threw ${errorClass(error)}` }];
    }
  }

  /**
   * A room the restored session holds is recovered whether or not it had a position: one with no
   * event of its own yet is resubscribed without one, and the replay since the session's offset
   * covered it all the same.
   */
  subscribe(key: string, channel: ChannelSpec, from?: ChannelPosition): void {
    holdRoom(this.#session, key, channel);
    const inSession = this.#session.joined.has(key);
    const recovered = from !== undefined || inSession ? this.#recovered && inSession : undefined;
    this.#emitWithAck(roomArgs(this.#settings.joinEvent, channel), { kind: 'join', key, room: channel.name, recovered });
  }

  unsubscribe(key: string, channel: ChannelSpec): void {
    this.#session.joined.delete(key);
    if (releaseRoom(this.#session, channel.name, key)) this.#write(2, roomArgs(this.#settings.leaveEvent, channel));
  }

  request(id: string, message: unknown): void {
    this.#emitWithAck(eventArgs(message), { kind: 'request', id });
  }

  send(message: unknown): void {
    this.#write(2, eventArgs(message));
  }

  /** Engine.IO v4's client never pings. */
  ping(): undefined {
    return undefined;
  }

  #read(frame: RawFrame): DialectMessage[] {
    if (typeof frame !== 'string') return [{ kind: 'malformed', message: 'binary frames are not supported by the Socket.IO preset' }];
    const packet = readEnginePacket(frame);
    if ('error' in packet) return [{ kind: 'malformed', message: packet.error }];
    switch (packet.type) {
      case 'open':
        if (this.#open) return [{ kind: 'malformed', message: 'a second Engine.IO open packet' }];
        this.#open = packet.open;
        if (this.#started) this.#write(0, this.#connectPayload());
        return [];
      case 'ping':
        return [{ kind: 'ping', reply: enginePong(packet.data) }];
      case 'pong':
        return [{ kind: 'pong' }];
      case 'close':
        return [{ kind: 'error', code: 'CLOSED', message: 'the server closed the Engine.IO session' }];
      case 'noop':
        return [];
      case 'message': {
        const socketPacket = readSocketPacket(packet.data);
        return 'error' in socketPacket ? [{ kind: 'malformed', message: socketPacket.error }] : this.#readPacket(socketPacket);
      }
    }
  }

  #readPacket(packet: SocketPacket): DialectMessage[] {
    if (packet.nsp !== this.#settings.namespace) return [{ kind: 'malformed', message: 'Socket.IO packet for another namespace' }];
    switch (packet.type) {
      case 'connect':
        return this.#readConnect(packet);
      case 'connect-error':
        return [{ kind: 'refused', code: refusalCode(packet.data), message: packet.message }];
      case 'disconnect':
        this.#accepted = false;
        return [{ kind: 'refused', code: 'DISCONNECTED', message: 'the server disconnected the namespace' }];
      case 'ack':
        return this.#readAck(packet);
      case 'event': {
        const messages = this.#readEvent(packet);
        if (this.#accepted) return messages;
        this.#holdEarly(messages);
        return [];
      }
    }
  }

  #holdEarly(messages: DialectMessage[]): void {
    if (this.#early.length + messages.length > maxEarlyEvents) this.#earlyOverflow = true;
    else this.#early.push(...messages);
  }

  #connectPayload(): Record<string, unknown> {
    const { auth, authData, tokenField } = this.#settings;
    const payload: Record<string, unknown> = { ...authData };
    if (auth === 'token' && this.#context.token !== undefined) payload[tokenField] = this.#context.token;
    if (this.#session.pid === undefined) this.#resumeHeld();
    const { pid, offset } = this.#session;
    this.#resumeFrom = pid !== undefined && offset !== undefined ? { pid, offset } : undefined;
    return this.#resumeFrom ? { ...payload, ...this.#resumeFrom } : payload;
  }

  /**
   * A session that knows no pid (a worker that just started): recover the one the held channels
   * were read in, from the newest position among them, and route what the server replays before
   * its answer to their keys (the engine subscribes them with the same keys afterwards). Only a
   * channel read at that very position is known to be in the session: one at another position
   * may have missed events before it, one with none may never have been joined in it.
   */
  #resumeHeld(): void {
    this.#session.joined.clear();
    const held = this.#context.held?.() ?? [];
    const newest = newestRecoverable(held.map((h) => h.from));
    if (!newest) return;
    this.#session.pid = newest.epoch;
    this.#session.offset = newest.offset;
    for (const { key, channel, from } of held) {
      holdRoom(this.#session, key, channel);
      if (from?.offset === newest.offset && from.epoch === newest.epoch) this.#session.joined.add(key);
    }
  }

  #readConnect(packet: Packet<'connect'>): DialectMessage[] {
    const pid = typeof packet.data.pid === 'string' ? packet.data.pid : undefined;
    const sid = typeof packet.data.sid === 'string' ? packet.data.sid : undefined;
    const restored = pid !== undefined && pid === this.#resumeFrom?.pid;
    // A new session is in no room yet; a restored one is in the previous socket's rooms, even when
    // its replay was cut here.
    if (!restored) this.#session.joined.clear();
    this.#leaveUnheld(restored);
    this.#recovered = restored && !this.#earlyOverflow;
    if (!this.#recovered) {
      this.#session.offset = undefined;
      this.#replayedOffsets.clear();
    }
    this.#session.pid = pid;
    this.#accepted = true;
    const replayed = this.#recovered ? this.#early : [];
    this.#early = [];
    // The position recovered from; the replayed events that follow carry their own.
    const position = this.#recovered ? { offset: this.#resumeFrom!.offset, epoch: pid } : undefined;
    return [{ kind: 'accepted', session: { connectionId: sid }, ...(position ? { position } : {}) }, ...replayed];
  }

  /** Rooms of channels the engine dropped while no socket was open: forgotten, and left where the session was restored into them. */
  #leaveUnheld(restored: boolean): void {
    const held = this.#context.held?.();
    if (!held) return;
    const rooms = releaseUnheld(this.#session, new Set(held.map((h) => h.key)));
    if (restored) for (const channel of rooms) this.#write(2, roomArgs(this.#settings.leaveEvent, channel));
  }

  #readEvent(packet: Packet<'event'>): DialectMessage[] {
    let args = packet.args;
    let offset: string | undefined;
    // With recovery on, the server appends its offset to every broadcast event that has no ack.
    if (this.#session.pid !== undefined && packet.id === undefined && typeof args.at(-1) === 'string') {
      offset = args.at(-1) as string;
      args = args.slice(0, -1);
      if (this.#accepted && this.#replayedOffsets.delete(offset)) return [];
      if (!this.#accepted) this.#replayedOffsets.add(offset);
      this.#session.offset = offset;
    }
    const data = args.length === 1 ? args[0] : args;
    const timestamp = new Date(this.#context.now()).toISOString();
    const position: ChannelPosition = { timestamp, ...(offset === undefined ? {} : { offset, epoch: this.#session.pid }) };
    const room = this.#settings.route(packet.name, args);
    const keys = room === undefined ? undefined : this.#session.roomKeys.get(room);
    if (!keys || keys.size === 0) return [{ kind: 'event', value: { type: packet.name, timestamp, data } }];
    return [...keys.keys()].map((key) => ({ kind: 'channel-message', key, data: { type: packet.name, data }, position }));
  }

  #readAck(packet: Packet<'ack'>): DialectMessage[] {
    const ack = this.#pending.get(packet.id);
    if (!ack) return [{ kind: 'malformed', message: 'Socket.IO ack answers nothing asked' }];
    this.#pending.delete(packet.id);
    const answer = packet.args.length === 1 ? packet.args[0] : packet.args;
    if (ack.kind === 'request') return [{ kind: 'response', id: ack.id, ok: true, data: answer }];
    // A key unsubscribed before its join was answered.
    if (!this.#session.roomKeys.get(ack.room)?.has(ack.key)) return [];
    const refusal = joinRefusal(answer);
    if (refusal) {
      // Not in the room for this key: no leave is owed when it is dropped.
      releaseRoom(this.#session, ack.room, ack.key);
      this.#session.joined.delete(ack.key);
      return [{ kind: 'channel-error', key: ack.key, ...refusal }];
    }
    this.#session.joined.add(ack.key);
    const { offset, pid } = this.#session;
    const recovered = ack.recovered === undefined ? {} : { recovered: ack.recovered };
    return [{ kind: 'channel-subscribed', key: ack.key, ...recovered, ...(offset === undefined ? {} : { position: { offset, epoch: pid } }) }];
  }

  #write(type: 0 | 1 | 2, data?: unknown, id?: number): void {
    this.#context.send(engineMessage(writeSocketPacket(type, this.#settings.namespace, data, id)));
  }

  #emitWithAck(args: unknown[], ack: PendingAck): void {
    const id = this.#nextAckId++;
    this.#pending.set(id, ack);
    this.#write(2, args, id);
  }
}

/** The position with the latest timestamp among those Socket.IO can recover from (an offset and its session's pid). */
function newestRecoverable(positions: Array<ChannelPosition | undefined>): { epoch: string; offset: string } | undefined {
  let newest: ChannelPosition | undefined;
  for (const at of positions) {
    if (typeof at?.offset !== 'string' || typeof at.epoch !== 'string') continue;
    if (!newest || (at.timestamp ?? '') >= (newest.timestamp ?? '')) newest = at;
  }
  return newest && { epoch: newest.epoch!, offset: newest.offset! };
}

const roomArgs = (event: string, channel: ChannelSpec): unknown[] => (channel.params === undefined ? [event, channel.name] : [event, channel.name, channel.params]);

/** A tab's message as an event's arguments: `['event', ...args]`, or an event name alone. */
function eventArgs(message: unknown): unknown[] {
  if (typeof message === 'string') return [message];
  if (Array.isArray(message) && typeof message[0] === 'string') return message;
  throw invalidArgument("a Socket.IO message is ['event', ...args] or an event name");
}

/** The app's join ack refuses with `{ error }` (or `{ ok: false }`), carrying its own `code` when it has one. */
function joinRefusal(answer: unknown): { code: string; message: string } | undefined {
  if (!isRecord(answer) || (answer.error === undefined && answer.ok !== false)) return undefined;
  const code = typeof answer.code === 'string' ? answer.code : 'JOIN_REFUSED';
  const message = typeof answer.error === 'string' ? answer.error : typeof answer.message === 'string' ? answer.message : 'the server refused to join the room';
  return { code, message };
}

/** A middleware's `next(err)` refuses the handshake: UNAUTHORIZED unless `err.data.code` says otherwise. */
function refusalCode(data: unknown): string {
  return isRecord(data) && typeof data.code === 'string' ? data.code : 'UNAUTHORIZED';
}

/** A thrown value named by its class only. */
function errorClass(error: unknown): string {
  const name = (error as Error | undefined)?.name;
  return typeof name === 'string' && /^\w{1,40}$/.test(name) ? name : 'an exception';
}
