// docs:start — docs/protocols.md "A channel protocol in code: a Centrifugo-like example" shows the lines to docs:end, importing from 'tabwire/worker'.
// src/centrifugo-protocol.ts: a Centrifugo-like client protocol (JSON over WebSocket) for tabwire.
import type { ChannelPosition, ChannelProtocol, DialectContext, DialectConnection, DialectMessage } from '../worker/broker.worker.ts';

type Pending = { method: 'connect' } | { method: 'subscribe'; key: string } | { method: 'unsubscribe' } | { method: 'rpc'; id: string };
interface Publication { data?: unknown; offset?: number }
interface Reply {
  id?: number;
  error?: { code: number; message: string };
  connect?: { client?: string };
  subscribe?: { epoch?: string; offset?: number; recovered?: boolean; publications?: Publication[] };
  rpc?: { data?: unknown };
  push?: { channel?: string; pub?: Publication; unsubscribe?: object };
}

/** Centrifugo's error codes for a refused connect, as tabwire's (unauthorized and token expired renew the token). */
function refusal(code: number): string {
  if (code === 101 || code === 109) return 'UNAUTHORIZED';
  if (code === 103) return 'FORBIDDEN';
  return code === 111 ? 'RATE_LIMIT_EXCEEDED' : 'INTERNAL_ERROR';
}

function connection(context: DialectContext): DialectConnection {
  let lastId = 0;
  const pending = new Map<number, Pending>();
  // A Centrifugo channel is its name: pushes name it, the broker knows it by key.
  const keyOf = new Map<string, string>();
  const epochOf = new Map<string, string>();
  const command = (method: Pending['method'], params: object, what: Pending) => {
    pending.set(++lastId, what);
    context.send(JSON.stringify({ id: lastId, [method]: params }));
  };
  // Every position carries the stream's epoch: an offset means nothing in another epoch.
  const at = (key: string, offset = 0): ChannelPosition => ({ offset: String(offset), ...(epochOf.has(key) ? { epoch: epochOf.get(key) } : {}) });

  function answer(reply: Reply, what: Pending): DialectMessage[] {
    const { error } = reply;
    if (what.method === 'connect') return error ? [{ kind: 'refused', code: refusal(error.code), message: error.message }] : [{ kind: 'accepted', session: { connectionId: reply.connect?.client } }];
    if (what.method === 'rpc') return error ? [{ kind: 'response', id: what.id, ok: false, code: String(error.code), message: error.message }] : [{ kind: 'response', id: what.id, ok: true, data: reply.rpc?.data }];
    if (what.method === 'unsubscribe') return [];
    if (error) return [{ kind: 'channel-error', key: what.key, code: String(error.code), message: error.message }];
    const result = reply.subscribe ?? {};
    if (result.epoch) epochOf.set(what.key, result.epoch);
    // Recovered publications come before the answer that closes the gap, so they count as replayed.
    const replayed = (result.publications ?? []).map((pub): DialectMessage => ({ kind: 'channel-message', key: what.key, data: pub.data, position: at(what.key, pub.offset) }));
    return [...replayed, { kind: 'channel-subscribed', key: what.key, recovered: result.recovered === true, position: at(what.key, result.offset) }];
  }

  function read(reply: Reply): DialectMessage[] {
    if (reply.push) {
      const key = keyOf.get(reply.push.channel ?? '');
      if (key === undefined) return [];
      if (reply.push.unsubscribe) return [{ kind: 'channel-complete', key }];
      return reply.push.pub ? [{ kind: 'channel-message', key, data: reply.push.pub.data, position: at(key, reply.push.pub.offset) }] : [];
    }
    const what = reply.id === undefined ? undefined : pending.get(reply.id);
    if (what === undefined) return reply.id === undefined ? [{ kind: 'ping', reply: '{}' }] : [];
    pending.delete(reply.id!);
    return answer(reply, what);
  }

  return {
    open: () => command('connect', { token: context.token, name: 'tabwire' }, { method: 'connect' }),
    // Several replies may share a frame, one JSON object a line.
    read: (frame) =>
      String(frame)
        .split('\n')
        .filter((line) => line.trim() !== '')
        .flatMap((line): DialectMessage[] => {
          try {
            return read(JSON.parse(line) as Reply);
          } catch {
            return [{ kind: 'malformed', message: 'a line that is not JSON' }];
          }
        }),
    subscribe(key, channel, from) {
      keyOf.set(channel.name, key);
      const recover = from?.offset !== undefined && from.epoch !== undefined;
      command('subscribe', { channel: channel.name, ...(recover ? { recover: true, offset: Number(from.offset), epoch: from.epoch } : {}) }, { method: 'subscribe', key });
    },
    unsubscribe(_key, channel) {
      keyOf.delete(channel.name);
      command('unsubscribe', { channel: channel.name }, { method: 'unsubscribe' });
    },
    request(id, message) {
      const { method, data } = message as { method: string; data?: unknown };
      command('rpc', { method, data }, { method: 'rpc', id });
    },
  };
}

export const centrifugoProtocol: ChannelProtocol = { connect: connection, recovers: true };
// docs:end
