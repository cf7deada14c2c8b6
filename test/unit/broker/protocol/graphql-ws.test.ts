/**
 * The GraphQL over WebSocket dialect on its own, frame by frame: what it writes, what it makes of
 * every frame a server might send (a wrong one is `malformed`, never a throw), and close codes.
 * test/integration/graphql-ws.test.ts runs it against the real server.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DialectMessage, RawFrame } from '../../../../src/broker/protocol/channel-dialect.ts';
import { closeRefusal } from '../../../../src/broker/protocol/graphql-ws/close-codes.ts';
import { graphqlWsProtocol, type GraphqlWsOptions } from '../../../../src/broker/protocol/graphql-ws/graphql-ws-protocol.ts';

const query = 'subscription { ticks(channel: "a") }';
const spec = { name: 'graphql', params: { query } };

function connect(options?: GraphqlWsOptions, token: string | undefined = 'secret') {
  const sent: RawFrame[] = [];
  const connection = graphqlWsProtocol(options).connect({ send: (frame) => sent.push(frame), ...(token === undefined ? {} : { token }), now: () => 0 });
  const frames = () => sent.map((frame) => JSON.parse(frame as string) as Record<string, unknown>);
  return { connection, sent, frames };
}

function acknowledged(options?: GraphqlWsOptions) {
  const socket = connect(options);
  socket.connection.open();
  expect(socket.connection.read('{"type":"connection_ack"}')).toEqual([{ kind: 'accepted' }]);
  return socket;
}

const frame = (value: unknown) => JSON.stringify(value);

describe('graphqlWsProtocol', () => {
  it('opens with connection_init carrying the token, and nothing of it with cookie auth', () => {
    const token = connect();
    token.connection.open();
    expect(token.frames()).toEqual([{ type: 'connection_init', payload: { authorization: 'secret' } }]);
    const cookie = connect({ auth: 'cookie' });
    cookie.connection.open();
    expect(cookie.frames()).toEqual([{ type: 'connection_init' }]);
    expect(graphqlWsProtocol({ auth: 'cookie' })).toMatchObject({ auth: 'cookie', recovers: false, subprotocols: ['graphql-transport-ws'] });
  });

  it('holds operations asked before the ack and sends them, in order, once it comes', () => {
    const { connection, frames } = connect();
    connection.open();
    connection.subscribe('k', spec);
    connection.request('r', { query: '{ hello }' });
    expect(frames().map((sent) => sent.type)).toEqual(['connection_init']);
    connection.read('{"type":"connection_ack"}');
    expect(frames().slice(1)).toEqual([
      { type: 'subscribe', id: '1', payload: { query } },
      { type: 'subscribe', id: '2', payload: { query: '{ hello }' } },
    ]);
    expect(connection.read('{"type":"connection_ack"}')).toEqual([]);
  });

  it('uses a fresh operation id per subscribe, and unsubscribes the id it gave the key', () => {
    const { connection, frames } = acknowledged();
    connection.subscribe('a', spec);
    connection.subscribe('b', { name: 'Goal', params: { query, variables: { id: 1 }, operationName: 'Goal', extensions: { x: 1 } } });
    connection.unsubscribe('a', spec);
    connection.unsubscribe('a', spec);
    expect(frames().slice(1)).toEqual([
      { type: 'subscribe', id: '1', payload: { query } },
      { type: 'subscribe', id: '2', payload: { query, variables: { id: 1 }, operationName: 'Goal', extensions: { x: 1 } } },
      { type: 'complete', id: '1' },
    ]);
    expect(connection.read(frame({ type: 'next', id: '1', payload: { data: {} } }))).toEqual([]);
    expect(connection.read(frame({ type: 'next', id: '2', payload: { data: { n: 1 } } }))).toEqual([{ kind: 'channel-message', key: 'b', data: { data: { n: 1 } } }]);
  });

  it('refuses a channel or request that is no GraphQL operation before anything is sent', () => {
    const { connection, sent } = acknowledged();
    const before = sent.length;
    for (const params of [undefined, 'query', { query: '' }, { query, variables: [1] }, { query, operationName: 3 }, { query, extensions: 'x' }]) {
      expect(() => connection.subscribe('k', { name: 'graphql', params })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => connection.request('r', params)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(sent.length).toBe(before);
  });

  it('answers a request with its first result, completes an operation that streams on, and fails one that ends without a result', () => {
    const { connection, frames } = acknowledged();
    connection.request('r1', { query });
    connection.request('r2', { query });
    expect(connection.read(frame({ type: 'next', id: '1', payload: { data: { n: 1 } } }))).toEqual([{ kind: 'response', id: 'r1', ok: true, data: { data: { n: 1 } } }]);
    expect(connection.read(frame({ type: 'next', id: '1', payload: { data: { n: 2 } } }))).toEqual([]);
    expect(frames().at(-1)).toEqual({ type: 'complete', id: '1' });
    expect(connection.read(frame({ type: 'complete', id: '2' }))).toEqual([{ kind: 'response', id: 'r2', ok: false, code: 'NO_RESULT', message: 'the operation completed without a result' }]);
  });

  it('tells an error to its key with the first error\'s code, and forgets the key', () => {
    const { connection } = acknowledged();
    connection.subscribe('k', spec);
    const errors = [{ message: 'nope', extensions: { code: 'FORBIDDEN' } }, { message: 'and this' }];
    expect(connection.read(frame({ type: 'error', id: '1', payload: errors }))).toEqual([{ kind: 'channel-error', key: 'k', code: 'FORBIDDEN', message: 'nope; and this' }]);
    expect(connection.read(frame({ type: 'next', id: '1', payload: {} }))).toEqual([]);
    connection.request('r', { query });
    expect(connection.read(frame({ type: 'error', id: '2', payload: [{ message: 'bad', extensions: { code: 'not a code!' } }] }))).toEqual([
      { kind: 'response', id: 'r', ok: false, code: 'GRAPHQL_ERROR', message: 'bad' },
    ]);
  });

  it('answers a server ping with a pong carrying its payload, and pings when asked unless told not to', () => {
    const { connection } = acknowledged();
    expect(connection.read('{"type":"ping"}')).toEqual([{ kind: 'ping', reply: '{"type":"pong"}' }]);
    expect(connection.read('{"type":"ping","payload":{"t":1}}')).toEqual([{ kind: 'ping', reply: '{"type":"pong","payload":{"t":1}}' }]);
    expect(connection.read('{"type":"pong"}')).toEqual([{ kind: 'pong' }]);
    expect(connection.ping?.()).toBe('{"type":"ping"}');
    expect(connect({ ping: false }).connection.ping?.()).toBeUndefined();
    expect(graphqlWsProtocol().pongTimeoutMs).toBe(10_000);
    expect(graphqlWsProtocol({ pongTimeoutMs: 3_000 }).pongTimeoutMs).toBe(3_000);
    expect(graphqlWsProtocol({ ping: false }).pongTimeoutMs).toBeUndefined();
  });

  it.each([
    ['not JSON', 'nope{'],
    ['binary', new ArrayBuffer(4)],
    ['no type', '{}'],
    ['an unknown type', '{"type":"data","id":"1"}'],
    ['a next without id', '{"type":"next","payload":{}}'],
    ['a next without payload', '{"type":"next","id":"1"}'],
    ['an error with no errors', '{"type":"error","id":"1","payload":[]}'],
    ['a complete with an empty id', '{"type":"complete","id":""}'],
    ['a subscribe from the server', '{"type":"subscribe","id":"1","payload":{"query":"{a}"}}'],
    ['a connection_init from the server', '{"type":"connection_init"}'],
    ['JSON that is no object', '[1,2]'],
  ])('reads %s as malformed', (_, sent: RawFrame) => {
    const { connection } = acknowledged();
    connection.subscribe('k', spec);
    const said = connection.read(sent);
    expect(said).toHaveLength(1);
    expect(said[0]!.kind).toBe('malformed');
    expect((said[0] as { message: string }).message.length).toBeLessThanOrEqual(200);
  });

  it.each([
    ['not JSON', 'private-words{'],
    ['an unknown type', '{"type":"private-words"}'],
    ['errors that are no GraphQL errors', '{"type":"error","id":"1","payload":[{"text":"private-words"}]}'],
    ['a ping payload that is no object', '{"type":"ping","payload":"private-words"}'],
    ['an id of the wrong type', '{"type":"next","id":["private-words"],"payload":{}}'],
  ])('says why %s is malformed without quoting the frame', (_, sent: string) => {
    const { connection } = acknowledged();
    const said = connection.read(sent) as [{ kind: string; message: string }];
    expect(said[0].kind).toBe('malformed');
    expect(said[0].message).not.toContain('private-words');
  });

  it('never throws on any text a server sends', () => {
    const { connection } = acknowledged();
    connection.subscribe('k', spec);
    const types = fc.constantFrom('connection_ack', 'ping', 'pong', 'next', 'error', 'complete', 'subscribe', 'x');
    const frames = fc.oneof(fc.string(), fc.json(), fc.record({ type: types, id: fc.oneof(fc.constant('1'), fc.anything()), payload: fc.anything() }, { requiredKeys: ['type'] }).map((value) => JSON.stringify(value) ?? ''));
    fc.assert(fc.property(frames, (text) => {
      const said: DialectMessage[] = connection.read(text);
      expect(Array.isArray(said)).toBe(true);
    }));
  });

  it('fails the unanswered requests when the socket closes and forgets every operation', () => {
    const { connection } = acknowledged();
    connection.subscribe('k', spec);
    connection.request('r1', { query });
    connection.request('r2', { query });
    connection.read(frame({ type: 'next', id: '2', payload: { data: {} } }));
    const closing = connection as typeof connection & { closed(code: number, reason: string): DialectMessage[] };
    expect(closing.closed(1006, '')).toEqual([{ kind: 'response', id: 'r2', ok: false, code: 'CONNECTION_CLOSED', message: 'the socket closed (1006) before the answer came' }]);
    expect(connection.read(frame({ type: 'next', id: '1', payload: {} }))).toEqual([]);
  });
});

describe('graphqlWsProtocol options', () => {
  it.each([
    ['connectionParams that are no object', { connectionParams: [] as unknown as Record<string, unknown> }],
    ['an empty tokenField', { tokenField: '' }],
    ['a pongTimeoutMs that is no positive number', { pongTimeoutMs: 0 }],
  ])('refuses %s', (_, options: GraphqlWsOptions) => {
    expect(() => graphqlWsProtocol(options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('closeRefusal', () => {
  it.each([
    [4401, 'UNAUTHORIZED'],
    [4403, 'UNAUTHORIZED'],
    [4400, 'BAD_REQUEST'],
    [4004, 'BAD_RESPONSE'],
    [4005, 'INTERNAL_CLIENT_ERROR'],
    [4500, 'INTERNAL_SERVER_ERROR'],
    [4406, 'SUBPROTOCOL_NOT_ACCEPTABLE'],
    [4409, 'SUBSCRIBER_ALREADY_EXISTS'],
    [4429, 'TOO_MANY_INITIALISATION_REQUESTS'],
    [1002, 'PROTOCOL_ERROR'],
    [1011, 'PROTOCOL_ERROR'],
  ])('reads %i as a refusal with code %s', (code, refusal) => {
    expect(closeRefusal(code, 'why')).toMatchObject({ kind: 'refused', code: refusal });
  });

  it.each([1000, 1001, 1005, 1006, 1012, 1013, 1014, 4408, 4504, 4499, 4000, 4999, 3000])('reads %i as an ordinary drop to reconnect from', (code) => {
    expect(closeRefusal(code, 'why')).toBeUndefined();
  });

  it('keeps at most 120 characters of the server\'s reason', () => {
    const refusal = closeRefusal(4400, 'x'.repeat(500)) as { message: string };
    expect(refusal.message).toContain('x'.repeat(120));
    expect(refusal.message).not.toContain('x'.repeat(121));
  });
});
