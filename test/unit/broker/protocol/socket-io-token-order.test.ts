/**
 * The Socket.IO preset's CONNECT carries the token: Engine.IO's open packet can arrive before
 * the engine has the token from a tab (it calls `open()` then), and a CONNECT sent at the packet
 * would go without it, be refused, and cost a refresh and a second socket.
 */
import { describe, expect, it } from 'vitest';
import { socketIoProtocol } from '../../../../src/broker/protocol/socket-io/socket-io-protocol.ts';

const OPEN = '0{"sid":"e","pingInterval":25000,"pingTimeout":20000}';

describe('Socket.IO preset connecting', () => {
  it('waits for the token when the open packet comes first', () => {
    const sent: string[] = [];
    const context = { send: (frame: string | ArrayBuffer) => sent.push(String(frame)), token: undefined as string | undefined, now: () => 0 };
    const connection = socketIoProtocol().connect(context);
    connection.read(OPEN);
    expect(sent).toEqual([]);
    context.token = 't0k';
    connection.open();
    expect(sent).toEqual(['40{"token":"t0k"}']);
  });

  it('connects at the open packet when the token came first, once', () => {
    const sent: string[] = [];
    const connection = socketIoProtocol().connect({ send: (frame) => sent.push(String(frame)), token: 't0k', now: () => 0 });
    connection.open();
    expect(sent).toEqual([]);
    connection.read(OPEN);
    expect(sent).toEqual(['40{"token":"t0k"}']);
  });
});
