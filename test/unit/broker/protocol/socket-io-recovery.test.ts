/**
 * The Socket.IO preset's connection state recovery, frame by frame: what the next socket's
 * CONNECT asks for, the missed events the server sends before its answer, and the same event
 * arriving again live (a node's stream reader delivering an entry the recovery already replayed).
 */
import { describe, expect, it } from 'vitest';
import type { DialectMessage } from '../../../../src/broker/protocol/channel-dialect.ts';
import { socketIoProtocol } from '../../../../src/broker/protocol/socket-io/socket-io-protocol.ts';

const OPEN = '0{"sid":"e","pingInterval":25000,"pingTimeout":20000}';
const headline = (n: number, offset: string) => `42["headline",{"room":"news","n":${n}},"${offset}"]`;
const numbers = (messages: DialectMessage[]) => messages.flatMap((m) => (m.kind === 'channel-message' ? [(m.data as { data: { n: number } }).data.n] : []));

describe('Socket.IO preset recovering a session', () => {
  const protocol = socketIoProtocol();
  const sent: string[] = [];
  const connect = () => {
    const connection = protocol.connect({ send: (frame) => sent.push(String(frame)), token: 't', now: () => 0 });
    connection.open();
    return connection;
  };

  it('asks for the session from its offset, hands over the missed events after the acceptance, and drops their live repeats', () => {
    const first = connect();
    first.read(OPEN);
    first.read('40{"sid":"s1","pid":"p"}');
    first.subscribe('k1', { name: 'news' });
    first.read('430[{"ok":true}]');
    expect(numbers(first.read(headline(1, '100-0')))).toEqual([1]);

    sent.length = 0;
    const second = connect();
    second.read(OPEN);
    expect(sent).toEqual(['40{"token":"t","pid":"p","offset":"100-0"}']);
    expect(second.read(headline(2, '101-0'))).toEqual([]);
    expect(second.read(headline(3, '102-0'))).toEqual([]);
    const answer = second.read('40{"sid":"s1","pid":"p"}');
    expect(answer[0]).toMatchObject({ kind: 'accepted', position: { offset: '100-0', epoch: 'p' } });
    expect(numbers(answer)).toEqual([2, 3]);
    expect(second.read(headline(3, '102-0'))).toEqual([]);
    expect(numbers(second.read(headline(4, '103-0')))).toEqual([4]);
  });
});
