/**
 * The Socket.IO preset's framing, checked against `socket.io-parser` (the framing socket.io's
 * server writes and reads) in both directions, and its reading of whatever a server may send.
 */
import fc from 'fast-check';
import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import type { DialectContext, DialectMessage } from '../../../../src/broker/protocol/channel-dialect.ts';
import { readSocketPacket, writeSocketPacket } from '../../../../src/broker/protocol/socket-io/packets.ts';
import { socketIoProtocol } from '../../../../src/broker/protocol/socket-io/socket-io-protocol.ts';

const encode = (packet: Packet): string => {
  const [text] = new Encoder().encode(packet) as string[];
  return text!;
};

const decode = (text: string): Packet => {
  let decoded: Packet | undefined;
  const decoder = new Decoder();
  decoder.on('decoded', (packet: Packet) => (decoded = packet));
  decoder.add(text);
  return decoded!;
};

const json = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown);
const nsp = fc.constantFrom('/', '/admin', '/a/b');

describe('Socket.IO packets', () => {
  it("reads every EVENT and ACK socket.io-parser writes", () => {
    fc.assert(
      fc.property(nsp, fc.option(fc.nat(1e6), { nil: undefined }), fc.string({ minLength: 1 }), fc.array(json, { maxLength: 4 }), (space, id, name, args) => {
        expect(readSocketPacket(encode({ type: PacketType.EVENT, nsp: space, id, data: [name, ...args] }))).toEqual({ type: 'event', nsp: space, id, name, args });
        if (id !== undefined) expect(readSocketPacket(encode({ type: PacketType.ACK, nsp: space, id, data: args }))).toEqual({ type: 'ack', nsp: space, id, args });
      }),
    );
  });

  it('writes what socket.io-parser reads back as the same packet', () => {
    fc.assert(
      fc.property(nsp, fc.option(fc.nat(1e6), { nil: undefined }), fc.string({ minLength: 1 }), fc.array(json, { maxLength: 4 }), (space, id, name, args) => {
        const packet = decode(writeSocketPacket(2, space, [name, ...args], id));
        expect(packet).toEqual({ type: PacketType.EVENT, nsp: space, ...(id === undefined ? {} : { id }), data: [name, ...args] });
      }),
    );
    expect(decode(writeSocketPacket(0, '/admin', { token: 't' }))).toEqual({ type: PacketType.CONNECT, nsp: '/admin', data: { token: 't' } });
  });

  it('reads CONNECT, CONNECT_ERROR and DISCONNECT as the server writes them', () => {
    expect(readSocketPacket(encode({ type: PacketType.CONNECT, nsp: '/', data: { sid: 's', pid: 'p' } }))).toEqual({ type: 'connect', nsp: '/', data: { sid: 's', pid: 'p' } });
    expect(readSocketPacket(encode({ type: PacketType.CONNECT_ERROR, nsp: '/', data: { message: 'no', data: { code: 'X' } } }))).toEqual({
      type: 'connect-error',
      nsp: '/',
      message: 'no',
      data: { code: 'X' },
    });
    expect(readSocketPacket(encode({ type: PacketType.DISCONNECT, nsp: '/admin' }))).toEqual({ type: 'disconnect', nsp: '/admin' });
  });
});

function connected(): { read: (frame: string | ArrayBuffer) => DialectMessage[]; sent: string[] } {
  const sent: string[] = [];
  const context: DialectContext = { send: (frame) => sent.push(String(frame)), token: 't', now: () => 0 };
  const connection = socketIoProtocol().connect(context);
  connection.open();
  connection.read('0{"sid":"e","pingInterval":25000,"pingTimeout":20000}');
  connection.read('40{"sid":"s","pid":"p"}');
  return { read: (frame) => connection.read(frame), sent };
}

describe('Socket.IO preset reading what a server may send', () => {
  it('sends CONNECT after the open packet and answers a ping with a pong of the same data', () => {
    const { read, sent } = connected();
    expect(sent).toEqual(['40{"token":"t"}']);
    expect(read('2')).toEqual([{ kind: 'ping', reply: '3' }]);
    expect(read('2probe')).toEqual([{ kind: 'ping', reply: '3probe' }]);
  });

  it("reads the server's namespace disconnect as a refusal, Engine.IO's close as an error, a noop as nothing", () => {
    const { read } = connected();
    expect(read('6')).toEqual([]);
    expect(read('3')).toEqual([{ kind: 'pong' }]);
    expect(read('1')).toEqual([expect.objectContaining({ kind: 'error', code: 'CLOSED' })]);
    expect(read('41')).toEqual([expect.objectContaining({ kind: 'refused', code: 'DISCONNECTED' })]);
  });

  it('says malformed for any frame it cannot read, and never throws', () => {
    const { read } = connected();
    const bad = ['', 'x', '9', '0', '0{"sid":1}', '4', '4x', '49', '42', '42not json', '42{"a":1}', '42[1]', '42[]', '43[1]', '41{"a":1}', '43', '4/other,2["x"]', '451-["x",{"_placeholder":true,"num":0}]', '4012', '43999[1]'];
    for (const frame of bad) {
      const messages = read(frame);
      expect(messages, frame).toHaveLength(1);
      expect(messages[0]!.kind, frame).toBe('malformed');
    }
    expect(read(new ArrayBuffer(4))).toEqual([{ kind: 'malformed', message: expect.stringContaining('binary') }]);
  });

  it('survives any text at all', () => {
    const { read } = connected();
    fc.assert(fc.property(fc.string(), (frame) => Array.isArray(read(frame))));
    fc.assert(fc.property(fc.string(), (frame) => Array.isArray(read(`42${frame}`))));
  });

  it("never quotes a frame, nor the app's routing error, in a malformed frame's reason (a frame may carry user data)", () => {
    const { read } = connected();
    const secret = 'SeCrEt';
    for (const frame of [secret, `4/${secret},2["x"]`, `4/${secret}`, `42["${secret}"`, `4${secret}`]) {
      for (const message of read(frame)) expect(JSON.stringify(message), frame).not.toContain(secret);
    }
    const connection = socketIoProtocol({ route: () => { throw new Error(secret); } }).connect({ send: () => {}, now: () => 0 });
    connection.read('0{"sid":"e","pingInterval":1,"pingTimeout":1}');
    connection.read('40{"sid":"s"}');
    expect(JSON.stringify(connection.read('42["x",{}]'))).not.toContain(secret);
  });

  it('reads a route that throws as a malformed frame', () => {
    const sent: string[] = [];
    const connection = socketIoProtocol({ route: () => { throw new Error('app bug'); } }).connect({ send: (f) => sent.push(String(f)), now: () => 0 });
    connection.read('0{"sid":"e","pingInterval":1,"pingTimeout":1}');
    connection.read('40{"sid":"s"}');
    expect(connection.read('42["x",{}]')).toEqual([{ kind: 'malformed', message: expect.stringContaining('Error') }]);
  });
});
