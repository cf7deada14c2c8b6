/**
 * The GraphQL over WebSocket preset against the real `graphql-ws` server (test/support/graphql-server.ts),
 * driven over a real `ws` socket with no engine (test/support/dialect-socket.ts): what the dialect
 * writes, the server does, and what the server answers, the dialect reads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { graphqlWsProtocol } from '../../src/broker/protocol/graphql-ws/graphql-ws-protocol.ts';
import { closeDialectSockets, openDialectSocket, type DialectSocket } from '../support/dialect-socket.ts';
import { disposeGraphqlServers, startGraphqlServer, type GraphqlServer } from '../support/graphql-server.ts';

const ticks = 'subscription Ticks($channel: String!) { ticks(channel: $channel) }';
const goal = 'subscription Goal($id: ID!) { goal(id: $id) { id status } }';
const post = 'mutation Post($channel: String!, $text: String!) { post(channel: $channel, text: $text) }';

const channel = (query: string, variables: Record<string, unknown>) => ({ name: 'graphql', params: { query, variables } });

afterEach(async () => {
  closeDialectSockets();
  await disposeGraphqlServers();
});

/** Polls a server count (the server learns of a client's frame some time after it was written). */
async function eventually(read: () => unknown, expected: unknown, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (JSON.stringify(read()) === JSON.stringify(expected)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(read()).toEqual(expected);
}

async function accepted(server: GraphqlServer): Promise<DialectSocket> {
  const socket = openDialectSocket(server.url, graphqlWsProtocol(), 'good-token');
  await socket.next('accepted');
  return socket;
}

describe('graphqlWsProtocol against the graphql-ws server', () => {
  it('is accepted after connection_init carries a good token, and refused as UNAUTHORIZED with a bad one', async () => {
    const server = await startGraphqlServer();
    await accepted(server);
    const refused = openDialectSocket(server.url, graphqlWsProtocol(), 'bad-token');
    expect(await refused.next('refused')).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await refused.closed).code).toBe(4403);
    expect(refused.said.some((message) => message.kind === 'accepted')).toBe(false);
    expect(server.counts).toMatchObject({ sockets: 2, handshakes: 1, refused: 1 });
  });

  it('puts the token in the field the app names, with its prefix', async () => {
    const server = await startGraphqlServer({ tokens: ['Bearer good-token'] });
    const protocol = graphqlWsProtocol({ tokenField: 'authorization', tokenPrefix: 'Bearer ', connectionParams: { client: 'tabwire' } });
    const socket = openDialectSocket(server.url, protocol, 'good-token');
    await socket.next('accepted');
    expect(JSON.parse(socket.sent[0] as string)).toEqual({ type: 'connection_init', payload: { client: 'tabwire', authorization: 'Bearer good-token' } });
  });

  it('subscribes, reads each result as the channel\'s message, and completes on the server when unsubscribed', async () => {
    const server = await startGraphqlServer();
    const socket = await accepted(server);
    const spec = channel(ticks, { channel: 'news' });
    socket.connection.subscribe('key-news', spec);
    await eventually(() => server.listening('news'), 1);
    server.publish('news', 'first');
    server.publish('news', 'second');
    expect(await socket.next('channel-message', (m) => JSON.stringify(m.data).includes('second'))).toBeTruthy();
    const messages = socket.said.filter((message) => message.kind === 'channel-message');
    expect(messages).toEqual([
      { kind: 'channel-message', key: 'key-news', data: { data: { ticks: 'first' } } },
      { kind: 'channel-message', key: 'key-news', data: { data: { ticks: 'second' } } },
    ]);
    socket.connection.unsubscribe('key-news', spec);
    await eventually(() => server.operations(ticks, { channel: 'news' }), { started: 1, completed: 1 });
    expect(server.listening('news')).toBe(0);
  });

  it('gives two keys with different variables two server subscriptions, each with its own messages', async () => {
    const server = await startGraphqlServer();
    const socket = await accepted(server);
    socket.connection.subscribe('a', channel(ticks, { channel: 'a' }));
    socket.connection.subscribe('b', channel(ticks, { channel: 'b' }));
    await eventually(() => [server.listening('a'), server.listening('b')], [1, 1]);
    server.publish('b', 'for b');
    server.publish('a', 'for a');
    await socket.next('channel-message', (m) => m.key === 'a');
    await socket.next('channel-message', (m) => m.key === 'b');
    const messages = socket.said.filter((message) => message.kind === 'channel-message');
    expect(messages).toHaveLength(2);
    expect(messages).toContainEqual({ kind: 'channel-message', key: 'a', data: { data: { ticks: 'for a' } } });
    expect(messages).toContainEqual({ kind: 'channel-message', key: 'b', data: { data: { ticks: 'for b' } } });
    expect(server.operations(ticks, { channel: 'a' }).started).toBe(1);
    expect(server.operations(ticks, { channel: 'b' }).started).toBe(1);
    expect(server.counts.sockets).toBe(1);
  });

  it('answers a query sent as a request with its result, and a mutation too', async () => {
    const server = await startGraphqlServer();
    const socket = await accepted(server);
    socket.connection.request('r1', { query: 'query Hello($name: String) { hello(name: $name) }', variables: { name: 'tabs' } });
    expect(await socket.next('response', (m) => m.id === 'r1')).toEqual({ kind: 'response', id: 'r1', ok: true, data: { data: { hello: 'hello tabs' } } });
    socket.connection.subscribe('news', channel(ticks, { channel: 'news' }));
    await eventually(() => server.listening('news'), 1);
    socket.connection.request('r2', { query: post, variables: { channel: 'news', text: 'posted' } });
    expect(await socket.next('response', (m) => m.id === 'r2')).toMatchObject({ ok: true, data: { data: { post: true } } });
    expect(await socket.next('channel-message')).toEqual({ kind: 'channel-message', key: 'news', data: { data: { ticks: 'posted' } } });
  });

  it('answers a request the server rejects (a validation error) with ok: false and the errors\' message', async () => {
    const server = await startGraphqlServer();
    const socket = await accepted(server);
    socket.connection.request('r1', { query: '{ nope }' });
    const answer = await socket.next('response', (m) => m.id === 'r1');
    expect(answer).toMatchObject({ ok: false, code: 'GRAPHQL_ERROR' });
    expect(answer.ok === false && answer.message).toContain('nope');
  });

  it('tells a resolver\'s failure to that key alone, and the other channel goes on', async () => {
    const server = await startGraphqlServer();
    const socket = await accepted(server);
    socket.connection.subscribe('steady', channel(ticks, { channel: 'steady' }));
    socket.connection.subscribe('fragile', channel(goal, { id: 'g1' }));
    await eventually(() => [server.listening('steady'), server.listening('goal:g1')], [1, 1]);
    server.publish('goal:g1', 'boom');
    expect(await socket.next('channel-error')).toEqual({ kind: 'channel-error', key: 'fragile', code: 'GRAPHQL_ERROR', message: 'goal g1 broke' });
    server.publish('steady', 'still here');
    expect(await socket.next('channel-message')).toEqual({ kind: 'channel-message', key: 'steady', data: { data: { ticks: 'still here' } } });
    expect(socket.said.filter((message) => message.kind === 'channel-error' || message.kind === 'channel-complete')).toHaveLength(1);
  });

  it('reads a result with errors and no data as the channel\'s message, then its completion', async () => {
    const server = await startGraphqlServer();
    const socket = await accepted(server);
    socket.connection.subscribe('lost', channel(goal, { id: 'missing' }));
    const message = await socket.next('channel-message');
    expect(message).toMatchObject({ key: 'lost', data: { errors: [{ message: 'no goal missing', extensions: { code: 'NOT_FOUND' } }] } });
    expect(await socket.next('channel-complete')).toEqual({ kind: 'channel-complete', key: 'lost' });
  });

  it('answers the server\'s ping with a pong, and reads the pong to its own ping', async () => {
    const server = await startGraphqlServer();
    const socket = await accepted(server);
    server.pingClients();
    await socket.next('ping');
    expect(socket.sent.at(-1)).toBe('{"type":"pong"}');
    await eventually(() => server.counts.pongs, 1);
    socket.write(socket.connection.ping!()!);
    await socket.next('pong');
    expect(server.counts.pings).toBe(1);
  });

  it('fails a request still unanswered when the socket closes, and reads the close code', async () => {
    const server = await startGraphqlServer();
    const socket = await accepted(server);
    socket.connection.subscribe('held', channel(ticks, { channel: 'held' }));
    socket.connection.request('r1', { query: ticks, variables: { channel: 'never' } });
    await eventually(() => server.listening('never'), 1);
    server.closeClients(4403, 'Forbidden');
    expect(await socket.next('refused')).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await socket.next('response')).toMatchObject({ id: 'r1', ok: false, code: 'CONNECTION_CLOSED' });
  });
});
