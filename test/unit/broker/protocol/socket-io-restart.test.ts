/**
 * The Socket.IO preset resuming after a worker restart: its recovery session (pid, offset, rooms)
 * died with the old worker, so the new one's first CONNECT asks to recover from what the engine
 * holds at `open()` (DialectContext.held: the channels tabs re-attached with, and their positions),
 * and the events the server replays before its answer reach those channels.
 */
import { describe, expect, it } from 'vitest';
import type { DialectContext, DialectMessage, HeldOnSocket } from '../../../../src/broker/protocol/channel-dialect.ts';
import { socketIoProtocol } from '../../../../src/broker/protocol/socket-io/socket-io-protocol.ts';

const OPEN = '0{"sid":"e","pingInterval":25000,"pingTimeout":20000}';
const headline = (n: number, offset: string) => `42["headline",{"room":"news","n":${n}},"${offset}"]`;

function freshWorker(held: HeldOnSocket[]) {
  const sent: string[] = [];
  const context: DialectContext = { send: (frame) => sent.push(String(frame)), token: 't', now: () => 0, held: () => held };
  return { sent, connection: socketIoProtocol().connect(context) };
}

describe('Socket.IO preset after a worker restart', () => {
  it("asks to recover the session of the newest position held, and routes the replayed events to its channels' keys", () => {
    const { sent, connection } = freshWorker([
      { key: 'c1', channel: { name: 'news' }, from: { timestamp: '2026-12-06T14:00:01.000Z', offset: '100-0', epoch: 'p' } },
      { key: 'c2', channel: { name: 'sport' }, from: { timestamp: '2026-12-06T14:00:03.000Z', offset: '102-0', epoch: 'p' } },
      { key: 'c3', channel: { name: 'weather' } },
    ]);
    connection.open();
    connection.read(OPEN);
    expect(sent).toEqual(['40{"token":"t","pid":"p","offset":"102-0"}']);
    expect(connection.read(headline(7, '103-0'))).toEqual([]);
    const answer: DialectMessage[] = connection.read('40{"sid":"s2","pid":"p"}');
    expect(answer[0]).toMatchObject({ kind: 'accepted', position: { offset: '102-0', epoch: 'p' } });
    expect(answer.slice(1)).toMatchObject([{ kind: 'channel-message', key: 'c1', data: { type: 'headline', data: { room: 'news', n: 7 } } }]);
  });

  it('connects without recovery when no held channel has a Socket.IO position', () => {
    const { sent, connection } = freshWorker([{ key: 'c1', channel: { name: 'news' }, from: { timestamp: '2026-12-06T14:00:01.000Z' } }]);
    connection.open();
    connection.read(OPEN);
    expect(sent).toEqual(['40{"token":"t"}']);
  });
});
