/**
 * The Socket.IO preset keeps a recovery session from one socket to the next; when the broker's
 * session ends (logout, another user), it must forget it: a CONNECT carrying the previous pid
 * would have the server restore the previous user's rooms and missed packets for the next one.
 */
import { describe, expect, it } from 'vitest';
import { socketIoProtocol } from '../../../../src/broker/protocol/socket-io/socket-io-protocol.ts';

const OPEN = '0{"sid":"e","pingInterval":25000,"pingTimeout":20000}';

describe('Socket.IO preset after the session ended', () => {
  it('connects the next socket without the previous session id or offset', () => {
    const protocol = socketIoProtocol();
    const sent: string[] = [];
    const first = protocol.connect({ send: (frame) => sent.push(String(frame)), token: 'alice', now: () => 0 });
    first.open();
    first.read(OPEN);
    first.read('40{"sid":"s1","pid":"alice-session"}');
    first.subscribe('k1', { name: 'news' });
    first.read('430[{"ok":true}]');
    first.read('42["headline",{"room":"news","n":1},"100-0"]');
    protocol.forget?.();
    sent.length = 0;
    const next = protocol.connect({ send: (frame) => sent.push(String(frame)), token: 'bob', now: () => 0 });
    next.open();
    next.read(OPEN);
    expect(sent).toEqual(['40{"token":"bob"}']);
  });
});
