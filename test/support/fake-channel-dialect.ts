/**
 * The client side of `channel-server.ts`'s protocol as a `ChannelProtocol`, written against the
 * seam as an app's worker entry would: JSON frames (one op, or an array of ops), plus two frames
 * that are not JSON text — `m|<id>|<offset>|<data>` and a binary frame holding an op's JSON —
 * so the tests prove the engine hands the dialect every frame as it came.
 */
import type { ChannelProtocol, DialectContext, DialectConnection, DialectMessage, RawFrame } from '../../src/broker/protocol/channel-dialect.ts';
import type { ChannelPosition, ChannelSpec } from '../../src/link/channels.ts';

export interface FakeDialectOptions {
  recovers?: boolean;
  /** Throw from `read` when a frame's text contains this. */
  throwOn?: string;
}

/** What the dialect saw, across every connection: the tests' window into the seam. */
export interface FakeDialectLog {
  connections: number;
  frames: RawFrame[];
}

const position = (offset: unknown): ChannelPosition | undefined => (typeof offset === 'string' ? { offset } : undefined);

function readOp(op: Record<string, unknown>, keys: Map<string, string>): DialectMessage {
  const key = typeof op.id === 'string' ? (keys.get(op.id) ?? op.id) : '';
  const at = position(op.offset);
  switch (op.op) {
    case 'welcome':
      return { kind: 'accepted', session: { userId: String(op.user) }, ...(typeof op.time === 'number' ? { serverTime: op.time } : {}) };
    case 'denied':
      return { kind: 'refused', code: String(op.code), message: 'denied by the test server' };
    case 'event':
      return { kind: 'event', value: op.event };
    case 'msg':
      return { kind: 'channel-message', key, data: op.data, ...(at ? { position: at } : {}) };
    case 'subbed':
      return { kind: 'channel-subscribed', key, ...(typeof op.recovered === 'boolean' ? { recovered: op.recovered } : {}), ...(at ? { position: at } : {}) };
    case 'err':
      return { kind: 'channel-error', key, code: String(op.code), message: String(op.message) };
    case 'done':
      return { kind: 'channel-complete', key };
    case 'res': {
      const error = op.error as { code: string; message: string } | undefined;
      return error ? { kind: 'response', id: String(op.id), ok: false, code: error.code, message: error.message } : { kind: 'response', id: String(op.id), ok: true, data: op.data };
    }
    case 'ping':
      return { kind: 'ping', reply: JSON.stringify({ op: 'pong' }) };
    case 'pong':
      return { kind: 'pong' };
    default:
      return { kind: 'malformed', message: `unknown op ${String(op.op)}` };
  }
}

export function fakeChannelDialect(options: FakeDialectOptions = {}, log: FakeDialectLog = { connections: 0, frames: [] }): ChannelProtocol & { log: FakeDialectLog } {
  return {
    log,
    recovers: options.recovers ?? true,
    binary: true,
    connect(context: DialectContext): DialectConnection {
      log.connections++;
      // The wire id of each subscription is the engine's key: the server echoes it back.
      const keys = new Map<string, string>();
      const send = (value: unknown) => context.send(JSON.stringify(value));
      return {
        open: () => send({ op: 'hello', token: context.token }),
        read(frame) {
          log.frames.push(frame);
          const text = typeof frame === 'string' ? frame : new TextDecoder().decode(frame);
          if (options.throwOn && text.includes(options.throwOn)) throw new TypeError('the fake dialect was told to throw');
          if (text.startsWith('m|')) {
            const [, id, offset, data] = text.split('|');
            return [{ kind: 'channel-message', key: keys.get(id!) ?? id!, data, position: { offset: offset! } }];
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            return [{ kind: 'malformed', message: 'not JSON and not m|' }];
          }
          const ops = Array.isArray(parsed) ? parsed : [parsed];
          return ops.map((op) => readOp(op as Record<string, unknown>, keys));
        },
        subscribe(key: string, channel: ChannelSpec, from?: ChannelPosition) {
          keys.set(key, key);
          send({ op: 'sub', id: key, ch: channel.name, ...(channel.params !== undefined ? { params: channel.params } : {}), ...(from?.offset ? { from: from.offset } : {}) });
        },
        unsubscribe: (key: string) => send({ op: 'unsub', id: key }),
        request: (id: string, message: unknown) => send({ op: 'req', id, data: message }),
        send: (message: unknown) => send({ op: 'app', data: message }),
        ping: () => JSON.stringify({ op: 'ping' }),
      };
    },
  };
}
