/** The backend's dialect as data: the JSON preset's options, its reading of frames, and schemas as the app's. */
import { describe, expect, it } from 'vitest';
import { brokerConfigFrom as sanitizeBrokerConfig } from '../../../../src/broker/broker-config.ts';
import { readProtocolSpec, readSchemas } from '../../../../src/broker/protocol/protocol-spec.ts';
import { parseFrame } from '../../../../src/broker/protocol/envelope.ts';
import { jsonProtocol } from '../../../../src/broker/protocol/json-preset.ts';
import { protocolFor } from '../../../../src/broker/protocol/presets.ts';
import { purposepathProtocol } from '../../../../src/broker/protocol/purposepath.ts';
import { PayloadSchemas } from '../../../../src/broker/protocol/schemas.ts';
import { resolveConfig } from '../../../../src/tab/options.ts';

const url = 'wss://api.example.app/realtime';
const at = '2025-01-01T00:00:00.000Z';

/** The second dialect of the mock backend, as docs/protocols.md describes it. */
const eventDialect = {
  preset: 'json',
  envelope: { type: 'event', timestamp: 'ts', id: 'id', data: 'payload' },
  auth: 'cookie',
  control: { authSuccess: 'session.ready', authError: 'session.refused' },
  keepAlive: { pong: 'pong', reply: { event: 'pong' }, frame: { event: 'ping' }, timeoutMs: 5000 },
} as const;

describe('protocol option', () => {
  it("is PurposePath's dialect when absent or 'purposepath'", () => {
    expect(readProtocolSpec(undefined)).toBeUndefined();
    expect(readProtocolSpec('purposepath')).toBeUndefined();
    expect(protocolFor(resolveConfig({ url, getToken: () => 't' }))).toBe(purposepathProtocol);
  });

  it('fills in the JSON preset defaults', () => {
    expect(readProtocolSpec({ preset: 'json' })).toEqual({
      preset: 'json',
      envelope: { type: 'type', timestamp: 'timestamp', data: 'data' },
      auth: { frame: { action: 'auth' }, tokenField: 'token' },
      control: { authSuccess: 'auth.success', authError: 'auth.error', errorSuffix: '.error', ping: 'ping' },
      keepAlive: { pong: 'pong', reply: { type: 'pong' } },
    });
  });

  it('has no acceptance frame by default with cookie auth', () => {
    expect(readProtocolSpec({ preset: 'json', auth: 'cookie' })?.control.authSuccess).toBeUndefined();
  });

  it.each([
    [{ preset: 'xml' }, "protocol must be 'purposepath' or { preset: 'json', … }"],
    ['graphql', "protocol must be 'purposepath' or { preset: 'json', … }"],
    [{ preset: 'json', envelope: { type: '' } }, 'protocol.envelope.type must be a non-empty string of at most 200 characters'],
    [{ preset: 'json', envelope: 'flat' }, 'protocol.envelope must be an object'],
    [{ preset: 'json', auth: { frame: [1] } }, 'protocol.auth.frame must be an object (a JSON frame)'],
    [{ preset: 'json', keepAlive: { timeoutMs: 5 } }, 'protocol.keepAlive.timeoutMs must be a number from 100 to 600000 (ms)'],
    [{ preset: 'json', control: { ping: 7 } }, 'protocol.control.ping must be a non-empty string of at most 200 characters'],
  ])('is refused by the broker when it is %j (the tab passes it on: its check would weigh on every page)', (protocol, message) => {
    const config = resolveConfig({ url, getToken: () => 't', protocol: protocol as never });
    expect(() => sanitizeBrokerConfig(structuredClone(config))).toThrow(message);
  });

  it('travels to the worker as given, and is filled in there once', () => {
    const config = resolveConfig({ url, protocol: eventDialect, schemas: { 'chat.message': 'id text from' } });
    expect(config.protocol).toEqual(eventDialect);
    const sanitized = sanitizeBrokerConfig(structuredClone(config));
    expect(sanitized).toEqual({ ...config, protocol: readProtocolSpec(eventDialect) });
    expect(sanitizeBrokerConfig(structuredClone(sanitized))).toEqual(sanitized);
  });

  it("leaves 'purposepath' out of the config: it is the default", () => {
    expect(resolveConfig({ url, getToken: () => 't', protocol: 'purposepath' })).toEqual(resolveConfig({ url, getToken: () => 't' }));
  });

  it('refuses bad schemas in the broker', () => {
    const config = resolveConfig({ url, getToken: () => 't', schemas: { x: 'a b c d!' } });
    expect(() => sanitizeBrokerConfig(config)).toThrow('schemas["x"] must be fields');
  });

  it('needs no getToken with cookie auth, and still checks one given', () => {
    expect(() => resolveConfig({ url, protocol: eventDialect })).not.toThrow();
    expect(() => resolveConfig({ url, protocol: { preset: 'json' } } as never)).toThrow('getToken must be a function');
    expect(() => resolveConfig({ url, protocol: eventDialect, getToken: 'x' as never })).toThrow('getToken must be a function');
  });
});

describe('schemas option', () => {
  it('takes the compact form and refuses anything else', () => {
    expect(readSchemas({ 'chat.message': 'id text from:s count:n? tags:a' })).toEqual({ 'chat.message': 'id text from:s count:n? tags:a' });
    expect(() => readSchemas({ 'chat.message': 'id  text' })).toThrow('schemas["chat.message"] must be fields');
    expect(() => readSchemas({ 'chat.message': 'id:q' })).toThrow('must be fields');
    expect(() => readSchemas({ 'chat.message': 5 })).toThrow('must be fields');
    expect(() => readSchemas(['id'])).toThrow('schemas must be an object');
  });

  it('keeps a type named __proto__ as data', () => {
    const schemas = readSchemas(JSON.parse('{"__proto__":"id"}'));
    expect(Object.hasOwn(schemas!, '__proto__')).toBe(true);
    expect(new PayloadSchemas(schemas!).knows('__proto__')).toBe(true);
  });

  it('checks only the types that have one', () => {
    const schemas = new PayloadSchemas({ 'chat.message': 'id text' });
    expect(schemas.problem({ type: 'issue.created', timestamp: at, data: { id: 1 } })).toBeUndefined();
    expect(schemas.problem({ type: 'chat.message', timestamp: at, data: { id: 1, text: 'hi' } })).toEqual({ message: 'chat.message: id must be a string, got number', fatal: true });
  });
});

describe('JSON preset', () => {
  const spec = readProtocolSpec(eventDialect)!;
  const protocol = jsonProtocol(spec);
  const read = (frame: unknown) => parseFrame(JSON.stringify(frame), 1 << 20, protocol.read);

  it('reads its envelope into the normalised one', () => {
    expect(read({ event: 'chat.message', ts: at, id: 'e1', payload: { text: 'hi' } })).toEqual({
      ok: true,
      envelope: { type: 'chat.message', timestamp: at, data: { text: 'hi' }, eventId: 'e1' },
      at: Date.parse(at),
    });
  });

  it('takes epoch milliseconds and numeric ids, and a missing payload as empty', () => {
    const parsed = read({ event: 'x', ts: Date.parse(at), id: 42 });
    expect(parsed).toMatchObject({ ok: true, envelope: { type: 'x', timestamp: at, data: {}, eventId: '42' } });
  });

  it('rejects what the engine cannot order or type', () => {
    expect(read({ type: 'chat.message', ts: at })).toMatchObject({ ok: false, rejection: { code: 'MALFORMED_FRAME', message: 'type must be a non-empty string, got undefined' } });
    expect(read({ event: 'x', ts: 'yesterday' })).toMatchObject({ ok: false, rejection: { code: 'MALFORMED_FRAME' } });
    expect(read({ event: 'x', ts: at, payload: [1] })).toMatchObject({ ok: false });
    expect(read({ event: 'x', ts: 1e300 })).toMatchObject({ ok: false });
  });

  it('acts on terse control frames', () => {
    for (const event of ['ping', 'pong', 'session.ready', 'session.refused']) expect(read({ event })).toMatchObject({ ok: true });
  });

  it('classifies its control frames', () => {
    const frame = (type: string, data: Record<string, unknown> = {}) => protocol.classify({ type, timestamp: at, data });
    expect(frame('session.ready', { userId: 'u1' })).toEqual({ kind: 'auth-accepted', session: { userId: 'u1', tenantId: undefined, connectionId: undefined } });
    expect(frame('session.refused', { code: 'FORBIDDEN' })).toMatchObject({ kind: 'error', code: 'FORBIDDEN', during: 'auth' });
    expect(frame('session.refused')).toMatchObject({ kind: 'error', code: 'UNAUTHORIZED', during: 'auth' });
    expect(frame('chat.error', { code: 'UNAUTHORIZED', message: 'expired' })).toEqual({ kind: 'error', code: 'UNAUTHORIZED', message: 'expired', during: 'connection' });
    expect(frame('chat.error', { code: 'TOO_LONG' })).toMatchObject({ during: 'request' });
    expect(frame('ping')).toEqual({ kind: 'ping' });
    expect(frame('pong')).toEqual({ kind: 'pong' });
    expect(frame('auth.success')).toEqual({ kind: 'event' });
  });

  it('builds its frames from the description', () => {
    expect(protocol.auth).toBe('cookie');
    expect(protocol.acceptsOnOpen).toBe(false);
    expect(JSON.parse(protocol.pingFrame()!)).toEqual({ event: 'ping' });
    expect(JSON.parse(protocol.pongFrame(at))).toEqual({ event: 'pong' });
    expect(protocol.pongTimeoutMs).toBe(5000);
    const token = jsonProtocol(readProtocolSpec({ preset: 'json', auth: { frame: { op: 'login' }, tokenField: 'jwt' } })!);
    expect(token.auth).toBe('token');
    expect(JSON.parse(token.authFrame('abc'))).toEqual({ op: 'login', jwt: 'abc' });
    expect(token.pingFrame()).toBeUndefined();
    expect(token.pongTimeoutMs).toBeUndefined();
  });

  it('accepts on open with cookie auth and no acceptance frame', () => {
    expect(jsonProtocol(readProtocolSpec({ preset: 'json', auth: 'cookie' })!).acceptsOnOpen).toBe(true);
  });
});
