/**
 * The SSE transport's pure parts: the option's check and defaults, how an event becomes a frame,
 * the server's `retry:` within the backoff's bounds, and the URL check per transport.
 */
import { describe, expect, it } from 'vitest';
import { serverRetryDelayMs } from '../../../../src/broker/core/server-retry.ts';
import { frameOf } from '../../../../src/broker/transports/sse-transport.ts';
import { readTransportSpec } from '../../../../src/broker/transports/transport-spec.ts';
import { resolveConfig } from '../../../../src/tab/options.ts';

describe('the transport option', () => {
  it('is a WebSocket unless it says SSE', () => {
    expect(readTransportSpec(undefined)).toBeUndefined();
    expect(readTransportSpec('websocket')).toBeUndefined();
  });

  it("fills SSE's defaults: EventSource with cookies, opened is accepted, 45 s of silence", () => {
    expect(readTransportSpec('sse')).toEqual({
      type: 'sse',
      reader: 'eventsource',
      auth: 'cookie',
      method: 'GET',
      acceptance: 'open',
      resume: false,
      lastEventIdParam: 'lastEventId',
      events: [],
      heartbeat: 'ping',
      silenceTimeoutMs: 45_000,
    });
  });

  it('reads with fetch what EventSource cannot send: a header, a POST', () => {
    expect(readTransportSpec({ type: 'sse', auth: 'bearer' })?.reader).toBe('fetch');
    expect(readTransportSpec({ type: 'sse', method: 'POST', body: '{"topics":["a"]}' })?.reader).toBe('fetch');
    expect(() => readTransportSpec({ type: 'sse', auth: 'bearer', reader: 'eventsource' })).toThrow(/cannot send a header or POST/);
  });

  it('refuses what it cannot run with, naming the option and never echoing a value', () => {
    expect(() => readTransportSpec('smoke-signals')).toThrow(/transport must be/);
    expect(() => readTransportSpec({ type: 'sse', auth: { queryParam: 'a b' } })).toThrow(/transport.auth/);
    expect(() => readTransportSpec({ type: 'sse', silenceTimeoutMs: 10 })).toThrow(/silenceTimeoutMs/);
    expect(() => readTransportSpec({ type: 'sse', body: 'secret-body' })).toThrow(/transport.body/);
    try {
      readTransportSpec({ type: 'sse', body: 'secret-body' });
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-body');
    }
  });

  it('takes http(s) URLs for SSE, ws(s) for a socket, and still refuses credentials in the given URL', () => {
    const getToken = () => 't';
    expect(resolveConfig({ url: 'https://api.example/stream', transport: 'sse' }).transport).toEqual({ type: 'sse' });
    expect(() => resolveConfig({ url: 'wss://api.example/live', transport: 'sse' })).toThrow(/must use http: or https:/);
    expect(() => resolveConfig({ url: 'https://api.example/live', getToken })).toThrow(/must use ws: or wss:/);
    expect(() => resolveConfig({ url: 'https://api.example/stream?access_token=x', transport: 'sse' })).toThrow(/must not carry credentials/);
    // The opt-in names the parameter the broker adds; the given URL stays clean.
    expect(() => resolveConfig({ url: 'https://api.example/stream', getToken, transport: { type: 'sse', auth: { queryParam: 'access_token' } } })).not.toThrow();
  });

  it('needs getToken only when the stream sends a token', () => {
    expect(() => resolveConfig({ url: 'https://api.example/stream', transport: 'sse' })).not.toThrow();
    expect(() => resolveConfig({ url: 'https://api.example/stream', transport: { type: 'sse', auth: 'bearer' } } as never)).toThrow(/getToken/);
  });
});

describe('an event as a frame', () => {
  const fields = { type: 'type', id: 'eventId' };

  it('is its data as sent when unnamed and without an id to keep', () => {
    const data = '{"type":"a","timestamp":"2026-01-01T00:00:00.000Z","data":{}}';
    expect(frameOf({ event: 'message', data, id: '', ownId: false }, fields)).toBe(data);
    expect(frameOf({ event: 'message', data, id: '7', ownId: true }, { type: 'type' })).toBe(data);
  });

  it('takes its type from the event name and its id from `id:` where the JSON lacks them', () => {
    const frame = frameOf({ event: 'order.shipped', data: '{"timestamp":1,"data":{"x":1}}', id: '42', ownId: true }, fields);
    expect(JSON.parse(frame)).toEqual({ type: 'order.shipped', eventId: '42', timestamp: 1, data: { x: 1 } });
  });

  it("keeps the JSON's own type and id, and leaves data that is not a JSON object to the frame reader", () => {
    const data = '{"type":"own","eventId":"e1","timestamp":1}';
    expect(frameOf({ event: 'named', data, id: '42', ownId: true }, fields)).toBe(data);
    expect(frameOf({ event: 'named', data: 'not json', id: '', ownId: false }, fields)).toBe('not json');
    expect(frameOf({ event: 'named', data: '[1]', id: '', ownId: false }, fields)).toBe('[1]');
    // An inherited name is not the JSON's own field.
    expect(JSON.parse(frameOf({ event: 'named', data: '{}', id: '', ownId: false }, { type: 'constructor' }))).toEqual({ constructor: 'named' });
  });
});

describe("the server's retry", () => {
  const policy = { minDelayMs: 1000, maxDelayMs: 30_000 };

  it('is a floor over the backoff, within its bounds', () => {
    expect(serverRetryDelayMs(1200, undefined, policy)).toBe(1200);
    expect(serverRetryDelayMs(1200, 5000, policy)).toBe(5000);
    expect(serverRetryDelayMs(8000, 5000, policy)).toBe(8000);
    expect(serverRetryDelayMs(1200, 10, policy)).toBe(1200);
    expect(serverRetryDelayMs(500, 0, policy)).toBe(1000);
    expect(serverRetryDelayMs(1200, 3_600_000, policy)).toBe(30_000);
  });
});
