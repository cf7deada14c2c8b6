/** The Socket.IO preset's options as they shape the frames it writes and how it routes events. */
import { describe, expect, it } from 'vitest';
import type { DialectMessage } from '../../../../src/broker/protocol/channel-dialect.ts';
import type { SocketIoOptions } from '../../../../src/broker/protocol/socket-io/options.ts';
import { socketIoProtocol, socketIoUrl } from '../../../../src/broker/protocol/socket-io/socket-io-protocol.ts';

function accepted(options: SocketIoOptions, token: string | undefined = 't') {
  const sent: string[] = [];
  const connection = socketIoProtocol(options).connect({ send: (frame) => sent.push(String(frame)), token, now: () => Date.UTC(2026, 0, 1) });
  connection.open();
  connection.read('0{"sid":"e","pingInterval":25000,"pingTimeout":20000}');
  const nsp = options.namespace && options.namespace !== '/' ? `${options.namespace},` : '';
  const read = (packet: string): DialectMessage[] => connection.read(`4${packet.replace(/^(\d)/, `$1${nsp}`)}`);
  read('0{"sid":"s"}');
  return { connection, sent, read };
}

describe('socketIoProtocol options', () => {
  it('connects its namespace with the token under tokenField and the authData', () => {
    const { sent } = accepted({ namespace: '/admin', tokenField: 'jwt', authData: { app: 'x' } });
    expect(sent).toEqual(['40/admin,{"app":"x","jwt":"t"}']);
  });

  it('sends no token with cookie auth', () => {
    expect(accepted({ auth: 'cookie' }).sent).toEqual(['40{}']);
    expect(socketIoProtocol({ auth: 'cookie' }).auth).toBe('cookie');
    expect(socketIoProtocol().auth).toBe('token');
  });

  it('joins and leaves with the app’s events, with the params when the channel has them', () => {
    const { connection, sent } = accepted({ joinEvent: 'subscribe', leaveEvent: 'unsubscribe' });
    connection.subscribe('k', { name: 'room-1', params: { since: 3 } });
    connection.unsubscribe('k', { name: 'room-1', params: { since: 3 } });
    expect(sent.slice(1)).toEqual(['420["subscribe","room-1",{"since":3}]', '42["unsubscribe","room-1",{"since":3}]']);
  });

  it('routes by the first argument’s roomFields, or by route in code', () => {
    const byField = accepted({ roomFields: ['topic'] });
    byField.connection.subscribe('k', { name: 'a' });
    byField.read('30[{"ok":true}]');
    expect(byField.read('2["tick",{"topic":"a","n":1}]')).toEqual([{ kind: 'channel-message', key: 'k', data: { type: 'tick', data: { topic: 'a', n: 1 } }, position: { timestamp: '2026-01-01T00:00:00.000Z' } }]);
    expect(byField.read('2["tick",{"room":"a"}]')).toEqual([{ kind: 'event', value: { type: 'tick', timestamp: '2026-01-01T00:00:00.000Z', data: { room: 'a' } } }]);

    const inCode = accepted({ route: (name) => (name.startsWith('a:') ? 'a' : undefined) });
    inCode.connection.subscribe('k', { name: 'a' });
    inCode.read('30[{"ok":true}]');
    expect(inCode.read('2["a:tick",1,2]')).toEqual([expect.objectContaining({ kind: 'channel-message', key: 'k', data: { type: 'a:tick', data: [1, 2] } })]);
  });

  it('refuses a namespace it cannot write', () => {
    expect(() => socketIoProtocol({ namespace: 'admin' })).toThrow(TypeError);
    expect(() => socketIoProtocol({ namespace: '/a,b' })).toThrow(TypeError);
  });

  it("builds the server's WebSocket URL", () => {
    expect(socketIoUrl('https://api.example.com')).toBe('wss://api.example.com/socket.io/?EIO=4&transport=websocket');
    expect(socketIoUrl('http://127.0.0.1:3000', '/rt/')).toBe('ws://127.0.0.1:3000/rt/?EIO=4&transport=websocket');
  });
});
