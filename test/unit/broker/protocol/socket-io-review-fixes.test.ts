/**
 * The Socket.IO preset frame by frame, where a session resumed after a worker restart, a server
 * that says too much before its CONNECT answer, a tab's message it cannot frame and the open
 * packet's ping timings meet their bounds.
 */
import { describe, expect, it } from 'vitest';
import type { DialectContext, DialectMessage, HeldOnSocket } from '../../../../src/broker/protocol/channel-dialect.ts';
import { readEnginePacket } from '../../../../src/broker/protocol/socket-io/engine-io.ts';
import { socketIoProtocol } from '../../../../src/broker/protocol/socket-io/socket-io-protocol.ts';

const OPEN = '0{"sid":"e","pingInterval":25000,"pingTimeout":20000}';
const headline = (n: number, offset: string) => `42["headline",{"room":"news","n":${n}},"${offset}"]`;

function freshWorker(held: HeldOnSocket[] = []) {
  const sent: string[] = [];
  const context: DialectContext = { send: (frame) => sent.push(String(frame)), token: 't', now: () => 0, held: () => held };
  return { sent, connection: socketIoProtocol().connect(context) };
}

const subscribed = (messages: DialectMessage[]) => messages.filter((m) => m.kind === 'channel-subscribed');

describe('Socket.IO preset: a session resumed after a worker restart', () => {
  it('answers recovered: false for a channel whose own position is older than the one the session resumed from', () => {
    const older = { timestamp: '2026-12-06T14:00:01.000Z', offset: '100-0', epoch: 'p' };
    const newest = { timestamp: '2026-12-06T14:00:03.000Z', offset: '102-0', epoch: 'p' };
    const { connection } = freshWorker([
      { key: 'c1', channel: { name: 'news' }, from: older },
      { key: 'c2', channel: { name: 'sport' }, from: newest },
    ]);
    connection.open();
    connection.read(OPEN);
    connection.read('40{"sid":"s2","pid":"p"}');
    connection.subscribe('c1', { name: 'news' }, older);
    connection.subscribe('c2', { name: 'sport' }, newest);
    const answers = [...connection.read('430[{"ok":true}]'), ...connection.read('431[{"ok":true}]')];
    expect(subscribed(answers)).toMatchObject([
      { key: 'c1', recovered: false },
      { key: 'c2', recovered: true },
    ]);
  });
});

describe('Socket.IO preset: before the CONNECT answer', () => {
  it('holds a bounded number of early events, and a recovery it could not hold whole is not called recovered', () => {
    const from = { timestamp: '2026-12-06T14:00:03.000Z', offset: '1-0', epoch: 'p' };
    const { connection } = freshWorker([{ key: 'c1', channel: { name: 'news' }, from }]);
    connection.open();
    connection.read(OPEN);
    const many = 20_000;
    for (let n = 0; n < many; n++) connection.read(headline(n, `${n + 2}-0`));
    const answer = connection.read('40{"sid":"s2","pid":"p"}');
    expect(answer.length).toBeLessThan(many);
    connection.subscribe('c1', { name: 'news' }, from);
    expect(subscribed(connection.read('430[{"ok":true}]'))).toMatchObject([{ key: 'c1', recovered: false }]);
  });
});

describe("Socket.IO preset: a tab's message it cannot frame", () => {
  const accepted = () => {
    const { connection } = freshWorker();
    connection.open();
    connection.read(OPEN);
    connection.read('40{"sid":"s"}');
    return connection;
  };

  it('throws INVALID_ARGUMENT for send() and request()', () => {
    const connection = accepted();
    expect(() => connection.send!({ not: 'an event' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => connection.request('r1', 42)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('Engine.IO open packet timings', () => {
  it('clamps pingInterval and pingTimeout to 10 minutes each', () => {
    const huge = 2 ** 31;
    const packet = readEnginePacket(`0{"sid":"e","pingInterval":${huge},"pingTimeout":${huge * 4}}`);
    expect(packet).toEqual({ type: 'open', open: { sid: 'e', pingIntervalMs: 600_000, pingTimeoutMs: 600_000 } });
  });
});
