/**
 * One socket's Socket.IO state: Engine.IO's open and pings, the namespace CONNECT with the
 * auth payload (and `pid`/`offset` to recover the previous socket's session), rooms joined
 * through the app's join event with an ack, requests as acks, events routed to rooms.
 */
import type { ChannelPosition, ChannelSpec, DialectConnection, DialectContext, DialectMessage, RawFrame } from '../channel-dialect.ts';
import { engineMessage, enginePong, readEnginePacket, type EngineOpen } from './engine-io.ts';
import type { SocketIoSettings } from './options.ts';
import { isRecord, readSocketPacket, writeSocketPacket, type SocketPacket } from './packets.ts';
import { holdRoom, releaseRoom, type RecoverySession } from './recovery-session.ts';

/** What an ack id waits for: a room's join, or a request's answer. */
type PendingAck = { kind: 'join'; key: string; room: string; resumed: boolean } | { kind: 'request'; id: string };

export interface SocketIoConnection extends DialectConnection {
  /**
   * How long the server may stay silent before the socket counts as dead, in ms
   * (`pingInterval + pingTimeout` of the open packet): Engine.IO v4's server pings, the
   * client only answers. Undefined until the open packet arrived.
   */
  readonly silenceLimitMs: number | undefined;
}

export function socketIoConnection(context: DialectContext, settings: SocketIoSettings, session: RecoverySession): SocketIoConnection {
  const { namespace } = settings;
  const pending = new Map<number, PendingAck>();
  let nextAckId = 0;
  let open: EngineOpen | undefined;
  let accepted = false;
  let recovered = false;
  /** The session and offset this socket's CONNECT asked to recover. */
  let resumeFrom: { pid: string; offset: string } | undefined;
  /** Events read before the CONNECT answer: a recovered session's missed events come first. */
  let early: DialectMessage[] = [];
  /**
   * Offsets of the events the recovery replayed. A node of a cluster may deliver one of them again
   * live, when the socket rejoined the room before that node's stream reader reached the entry.
   */
  const replayedOffsets = new Set<string>();

  const write = (type: 0 | 1 | 2, data?: unknown, id?: number) => context.send(engineMessage(writeSocketPacket(type, namespace, data, id)));
  const emitWithAck = (args: unknown[], ack: PendingAck) => {
    const id = nextAckId++;
    pending.set(id, ack);
    write(2, args, id);
  };

  function connectPayload(): Record<string, unknown> {
    const payload: Record<string, unknown> = { ...settings.authData };
    if (settings.auth === 'token' && context.token !== undefined) payload[settings.tokenField] = context.token;
    resumeFrom = session.pid !== undefined && session.offset !== undefined ? { pid: session.pid, offset: session.offset } : undefined;
    return resumeFrom ? { ...payload, ...resumeFrom } : payload;
  }

  function readEvent(packet: Extract<SocketPacket, { type: 'event' }>): DialectMessage[] {
    let args = packet.args;
    let offset: string | undefined;
    // With recovery on, the server appends its offset to every broadcast event that has no ack.
    if (session.pid !== undefined && packet.id === undefined && typeof args.at(-1) === 'string') {
      offset = args.at(-1) as string;
      args = args.slice(0, -1);
      if (accepted && replayedOffsets.delete(offset)) return [];
      if (!accepted) replayedOffsets.add(offset);
      session.offset = offset;
    }
    const data = args.length === 1 ? args[0] : args;
    const position: ChannelPosition = { timestamp: new Date(context.now()).toISOString(), ...(offset === undefined ? {} : { offset, epoch: session.pid }) };
    const room = settings.route(packet.name, args);
    const keys = room === undefined ? undefined : session.roomKeys.get(room);
    if (!keys || keys.size === 0) return [{ kind: 'event', value: { type: packet.name, timestamp: position.timestamp, data } }];
    return [...keys].map((key) => ({ kind: 'channel-message', key, data: { type: packet.name, data }, position }));
  }

  function readAck(packet: Extract<SocketPacket, { type: 'ack' }>): DialectMessage[] {
    const ack = pending.get(packet.id);
    if (!ack) return [{ kind: 'malformed', message: `Socket.IO ack ${packet.id} answers nothing asked` }];
    pending.delete(packet.id);
    const answer = packet.args.length === 1 ? packet.args[0] : packet.args;
    if (ack.kind === 'request') return [{ kind: 'response', id: ack.id, ok: true, data: answer }];
    if (!session.roomKeys.get(ack.room)?.has(ack.key)) return [];
    const refusal = joinRefusal(answer);
    if (refusal) return [{ kind: 'channel-error', key: ack.key, ...refusal }];
    const position = session.offset === undefined ? undefined : { offset: session.offset, epoch: session.pid };
    return [{ kind: 'channel-subscribed', key: ack.key, ...(ack.resumed ? { recovered } : {}), ...(position ? { position } : {}) }];
  }

  function readConnect(packet: Extract<SocketPacket, { type: 'connect' }>): DialectMessage[] {
    const pid = typeof packet.data.pid === 'string' ? packet.data.pid : undefined;
    recovered = pid !== undefined && pid === resumeFrom?.pid;
    if (!recovered) session.offset = undefined;
    session.pid = pid;
    accepted = true;
    const sid = typeof packet.data.sid === 'string' ? packet.data.sid : undefined;
    const replayed = recovered ? early : [];
    early = [];
    if (!recovered) replayedOffsets.clear();
    // The position recovered from; the replayed events that follow carry their own.
    const position = recovered ? { offset: resumeFrom!.offset, epoch: pid } : undefined;
    return [{ kind: 'accepted', session: { connectionId: sid }, ...(position ? { position } : {}) }, ...replayed];
  }

  function readPacket(packet: SocketPacket): DialectMessage[] {
    if (packet.nsp !== namespace) return [{ kind: 'malformed', message: 'Socket.IO packet for another namespace' }];
    switch (packet.type) {
      case 'connect':
        return readConnect(packet);
      case 'connect-error':
        return [{ kind: 'refused', code: refusalCode(packet.data), message: packet.message }];
      case 'disconnect':
        accepted = false;
        return [{ kind: 'refused', code: 'DISCONNECTED', message: 'the server disconnected the namespace' }];
      case 'ack':
        return readAck(packet);
      case 'event': {
        const messages = readEvent(packet);
        if (accepted) return messages;
        early.push(...messages);
        return [];
      }
    }
  }

  function read(frame: RawFrame): DialectMessage[] {
    if (typeof frame !== 'string') return [{ kind: 'malformed', message: 'binary frames are not supported by the Socket.IO preset' }];
    const packet = readEnginePacket(frame);
    if ('error' in packet) return [{ kind: 'malformed', message: packet.error }];
    switch (packet.type) {
      case 'open':
        open = packet.open;
        write(0, connectPayload());
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
        return 'error' in socketPacket ? [{ kind: 'malformed', message: socketPacket.error }] : readPacket(socketPacket);
      }
    }
  }

  return {
    get silenceLimitMs() {
      return open && open.pingIntervalMs + open.pingTimeoutMs;
    },
    open() {
      // Engine.IO speaks first (its open packet); CONNECT follows it in `read`.
    },
    read(frame) {
      try {
        return read(frame);
      } catch (error) {
        // `route` is the app's code: its throw costs this frame alone. Named by class only: its
        // message could quote the event.
        return [{ kind: 'malformed', message: `Socket.IO event could not be routed: route threw ${errorClass(error)}` }];
      }
    },
    subscribe(key: string, channel: ChannelSpec, from?: ChannelPosition) {
      holdRoom(session, channel.name, key);
      const args = channel.params === undefined ? [settings.joinEvent, channel.name] : [settings.joinEvent, channel.name, channel.params];
      emitWithAck(args, { kind: 'join', key, room: channel.name, resumed: from !== undefined });
    },
    unsubscribe(key: string, channel: ChannelSpec) {
      if (!releaseRoom(session, channel.name, key)) return;
      write(2, channel.params === undefined ? [settings.leaveEvent, channel.name] : [settings.leaveEvent, channel.name, channel.params]);
    },
    request(id: string, message: unknown) {
      emitWithAck(eventArgs(message), { kind: 'request', id });
    },
    send(message: unknown) {
      write(2, eventArgs(message));
    },
    ping: () => undefined,
  };
}

/** A thrown value named by its class only. */
function errorClass(error: unknown): string {
  const name = (error as Error | undefined)?.name;
  return typeof name === 'string' && /^\w{1,40}$/.test(name) ? name : 'an exception';
}

/** A tab's message as an event's arguments: `['event', ...args]`, or an event name alone. */
function eventArgs(message: unknown): unknown[] {
  if (typeof message === 'string') return [message];
  if (Array.isArray(message) && typeof message[0] === 'string') return message;
  throw Object.assign(new TypeError("a Socket.IO message is ['event', ...args] or an event name"), { code: 'INVALID_MESSAGE' });
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
