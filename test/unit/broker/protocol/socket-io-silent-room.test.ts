/**
 * The Socket.IO preset's answer for a room that had no event of its own before a drop (so the engine
 * resubscribes it with no position): a restored session rejoins every room the previous socket was
 * in and replays every packet after the offset for those rooms, so a room whose join was acked on
 * the previous socket of the same session is recovered; any room the preset cannot know the
 * session held (join unanswered, a session the server did not restore, a worker restart) is not.
 */
import { describe, expect, it } from 'vitest';
import type { DialectConnection, DialectContext, DialectMessage, HeldOnSocket } from '../../../../src/broker/protocol/channel-dialect.ts';
import { socketIoProtocol } from '../../../../src/broker/protocol/socket-io/socket-io-protocol.ts';

const OPEN = '0{"sid":"e","pingInterval":25000,"pingTimeout":20000}';
const event = (room: string, n: number, offset: string) => `42["headline",{"room":"${room}","n":${n}},"${offset}"]`;
const subscribed = (messages: DialectMessage[]) => messages.filter((m): m is Extract<DialectMessage, { kind: 'channel-subscribed' }> => m.kind === 'channel-subscribed');
const positionOf = (messages: DialectMessage[]) => messages.find((m) => m.kind === 'channel-message')?.position;
const routed = (messages: DialectMessage[]) => messages.flatMap((m) => (m.kind === 'channel-message' ? [[m.key, (m.data as { data: { n: number } }).data.n]] : []));

/**
 * One worker's preset: each `socket()` is the next socket, opened and past Engine.IO's open packet.
 * `restarted`: the channels a restarted worker's tabs brought; otherwise the engine holds what was
 * subscribed and not unsubscribed, as its registry does.
 */
function worker(restarted?: HeldOnSocket[]) {
  const protocol = socketIoProtocol();
  const sent: string[] = [];
  const holding = new Map<string, HeldOnSocket>();
  const context: DialectContext = { send: (frame) => sent.push(String(frame)), token: 't', now: () => 0, held: () => restarted ?? [...holding.values()] };
  const socket = (): DialectConnection => {
    sent.length = 0;
    const connection = protocol.connect(context);
    const { subscribe, unsubscribe } = connection;
    connection.subscribe = (key, channel, from) => {
      holding.set(key, { key, channel });
      subscribe.call(connection, key, channel, from);
    };
    connection.unsubscribe = (key, channel) => {
      holding.delete(key);
      unsubscribe.call(connection, key, channel);
    };
    connection.open();
    connection.read(OPEN);
    return connection;
  };
  return { sent, socket };
}

describe('Socket.IO preset: a room with no event before the drop', () => {
  it('is recovered when its join was acked on the previous socket and the server restored that session', () => {
    const { sent, socket } = worker();
    const first = socket();
    first.read('40{"sid":"s1","pid":"p"}');
    first.subscribe('news', { name: 'news' });
    first.subscribe('sports', { name: 'sports' });
    first.read('430[{"ok":true}]');
    first.read('431[{"ok":true}]');
    const news = first.read(event('news', 1, '100-0'));

    const second = socket();
    expect(sent).toEqual(['40{"token":"t","pid":"p","offset":"100-0"}']);
    second.read(event('sports', 1, '101-0'));
    const answer = second.read('40{"sid":"s1","pid":"p"}');
    expect(routed(answer)).toEqual([['sports', 1]]);
    second.subscribe('news', { name: 'news' }, positionOf(news));
    second.subscribe('sports', { name: 'sports' });
    const joins = subscribed([...second.read('430[{"ok":true}]'), ...second.read('431[{"ok":true}]')]);
    expect(joins).toMatchObject([
      { key: 'news', recovered: true },
      { key: 'sports', recovered: true },
    ]);
  });

  it('is recovered when it was joined after the event whose offset the session resumes from', () => {
    const { socket } = worker();
    const first = socket();
    first.read('40{"sid":"s1","pid":"p"}');
    first.subscribe('news', { name: 'news' });
    first.read('430[{"ok":true}]');
    first.read(event('news', 1, '100-0'));
    first.subscribe('sports', { name: 'sports' });
    // The ack gives the room the session's offset as its position: it resumes from there.
    const [joined] = subscribed(first.read('431[{"ok":true}]'));
    expect(joined?.position).toEqual({ offset: '100-0', epoch: 'p' });

    const second = socket();
    second.read('40{"sid":"s1","pid":"p"}');
    second.subscribe('sports', { name: 'sports' }, joined!.position);
    expect(subscribed(second.read('430[{"ok":true}]'))).toMatchObject([{ key: 'sports', recovered: true }]);
  });

  it('is not recovered when the server started a new session', () => {
    const { socket } = worker();
    const first = socket();
    first.read('40{"sid":"s1","pid":"p"}');
    first.subscribe('news', { name: 'news' });
    first.subscribe('sports', { name: 'sports' });
    first.read('430[{"ok":true}]');
    first.read('431[{"ok":true}]');
    first.read(event('news', 1, '100-0'));

    const second = socket();
    second.read('40{"sid":"s2","pid":"q"}');
    second.subscribe('sports', { name: 'sports' });
    expect(subscribed(second.read('430[{"ok":true}]'))[0]?.recovered ?? false).toBe(false);
  });

  it('is not recovered when its join was not answered before the drop', () => {
    const { socket } = worker();
    const first = socket();
    first.read('40{"sid":"s1","pid":"p"}');
    first.subscribe('news', { name: 'news' });
    first.read('430[{"ok":true}]');
    first.read(event('news', 1, '100-0'));
    first.subscribe('sports', { name: 'sports' });

    const second = socket();
    second.read('40{"sid":"s1","pid":"p"}');
    second.subscribe('sports', { name: 'sports' });
    expect(subscribed(second.read('430[{"ok":true}]'))[0]?.recovered ?? false).toBe(false);
  });

  it('asks for no recovery when no event was read in the session, and is not recovered', () => {
    const { sent, socket } = worker();
    const first = socket();
    first.read('40{"sid":"s1","pid":"p"}');
    first.subscribe('sports', { name: 'sports' });
    first.read('430[{"ok":true}]');

    const second = socket();
    // socket.io restores a session only from an offset it holds (socket.io-client sends none either).
    expect(sent).toEqual(['40{"token":"t"}']);
    second.read('40{"sid":"s2","pid":"q"}');
    second.subscribe('sports', { name: 'sports' });
    expect(subscribed(second.read('430[{"ok":true}]'))[0]?.recovered ?? false).toBe(false);
  });
});

describe('Socket.IO preset: a room rejoined on a socket of a session that was not restored', () => {
  it('is not recovered from that session when its join there was not answered before the next drop', () => {
    const { socket } = worker();
    const first = socket();
    first.read('40{"sid":"s1","pid":"p"}');
    first.subscribe('news', { name: 'news' });
    first.read('430[{"ok":true}]');
    const news = first.read(event('news', 1, '100-0'));
    const from = positionOf(news);

    // The server restores nothing: a new session `q`, in no room. `sports` is joined and read there;
    // the drop comes before the server answers `news`' join, which it may never have taken.
    const second = socket();
    second.read('40{"sid":"s2","pid":"q"}');
    second.subscribe('news', { name: 'news' }, from);
    second.subscribe('sports', { name: 'sports' });
    second.read('431[{"ok":true}]');
    second.read(event('sports', 1, '200-0'));

    const third = socket();
    third.read('40{"sid":"s2","pid":"q"}');
    third.subscribe('news', { name: 'news' }, from);
    third.subscribe('sports', { name: 'sports' });
    const joins = subscribed([...third.read('430[{"ok":true}]'), ...third.read('431[{"ok":true}]')]);
    expect(joins).toMatchObject([
      { key: 'news', recovered: false },
      { key: 'sports', recovered: true },
    ]);
  });
});

describe('Socket.IO preset: a session resumed after a worker restart', () => {
  const newest = { timestamp: '2026-12-06T14:00:03.000Z', offset: '102-0', epoch: 'p' };

  it('does not call recovered a channel held with no position, nor one subscribed after the socket opened', () => {
    const { socket } = worker([
      { key: 'c1', channel: { name: 'news' }, from: newest },
      { key: 'c2', channel: { name: 'sports' } },
    ]);
    const connection = socket();
    // The replay comes before the answer, routed by the channels held then: `weather` is not one.
    const answer = [...connection.read(event('weather', 3, '103-0')), ...connection.read('40{"sid":"s2","pid":"p"}')];
    expect(routed(answer)).toEqual([]);
    connection.subscribe('c1', { name: 'news' }, newest);
    connection.subscribe('c2', { name: 'sports' });
    connection.subscribe('c3', { name: 'weather' }, newest);
    const joins = subscribed([...connection.read('430[{"ok":true}]'), ...connection.read('431[{"ok":true}]'), ...connection.read('432[{"ok":true}]')]);
    expect(joins.map((join) => [join.key, join.recovered ?? false])).toEqual([
      ['c1', true],
      ['c2', false],
      ['c3', false],
    ]);
  });
});
