/**
 * The Socket.IO preset and channels the engine dropped while no socket was open (no `unsubscribe`
 * reaches the dialect then): when the next socket's CONNECT is answered, a key the engine no longer
 * holds is forgotten, and its room left where the restored session put the socket back in it.
 */
import { describe, expect, it } from 'vitest';
import type { DialectConnection, DialectContext, HeldOnSocket } from '../../../../src/broker/protocol/channel-dialect.ts';
import { socketIoProtocol } from '../../../../src/broker/protocol/socket-io/socket-io-protocol.ts';

const OPEN = '0{"sid":"e","pingInterval":25000,"pingTimeout":20000}';
const event = (room: string, n: number, offset: string) => `42["headline",{"room":"${room}","n":${n}},"${offset}"]`;

/** One worker's preset; `held` is what the engine holds now (set it as the registry would). */
function worker() {
  const protocol = socketIoProtocol();
  const sent: string[] = [];
  const held = new Map<string, HeldOnSocket>();
  const context: DialectContext = { send: (frame) => sent.push(String(frame)), token: 't', now: () => 0, held: () => [...held.values()] };
  const socket = (): DialectConnection => {
    sent.length = 0;
    const connection = protocol.connect(context);
    connection.open();
    connection.read(OPEN);
    sent.length = 0;
    return connection;
  };
  const subscribe = (connection: DialectConnection, key: string, room: string) => {
    held.set(key, { key, channel: { name: room } });
    connection.subscribe(key, { name: room });
  };
  return { sent, held, socket, subscribe };
}

/** A first socket of session `p` in `news` (c1) and `sports` (c2), both acked, with an event read. */
function inTwoRooms() {
  const world = worker();
  const first = world.socket();
  first.read('40{"sid":"s1","pid":"p"}');
  world.subscribe(first, 'c1', 'news');
  world.subscribe(first, 'c2', 'sports');
  first.read('430[{"ok":true}]');
  first.read('431[{"ok":true}]');
  first.read(event('news', 1, '100-0'));
  return world;
}

describe('Socket.IO preset: a channel dropped while no socket was open', () => {
  it('leaves its room when the session is restored, and routes nothing to its key', () => {
    const { sent, held, socket } = inTwoRooms();
    // The socket dropped; `sports`' last tab let go and its linger ended before the next socket.
    held.delete('c2');
    const second = socket();
    second.read('40{"sid":"s2","pid":"p"}');
    expect(sent).toEqual(['42["leave","sports"]']);
    // Had the leave not landed yet, its event is no channel's message.
    expect(second.read(event('sports', 1, '101-0'))).toEqual([expect.objectContaining({ kind: 'event' })]);
  });

  it('sends no leave when the server started a new session (in no room)', () => {
    const { sent, held, socket } = inTwoRooms();
    held.delete('c2');
    const second = socket();
    second.read('40{"sid":"s2","pid":"q"}');
    expect(sent).toEqual([]);
  });

  it('sends no leave for a room another held key still holds', () => {
    const world = inTwoRooms();
    const { sent, held, socket } = world;
    const again = socket();
    again.read('40{"sid":"s1","pid":"p"}');
    world.subscribe(again, 'c3', 'sports');
    sent.length = 0;
    held.delete('c2');
    const second = socket();
    second.read('40{"sid":"s2","pid":"p"}');
    expect(sent).toEqual([]);
  });

  it('sends no leave for a room whose join was refused', () => {
    const world = inTwoRooms();
    const { sent, held, socket } = world;
    const again = socket();
    again.read('40{"sid":"s1","pid":"p"}');
    world.subscribe(again, 'c4', 'weather');
    expect(again.read('430[{"error":"not allowed"}]')).toEqual([expect.objectContaining({ kind: 'channel-error', key: 'c4' })]);
    held.delete('c4');
    const second = socket();
    second.read('40{"sid":"s2","pid":"p"}');
    expect(sent).toEqual([]);
  });
});
