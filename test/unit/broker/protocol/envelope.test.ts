import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isControlType } from '../../../../src/link/control-types.ts';
import { parseFrame, parseIsoTimestamp, tenantOf } from '../../../../src/broker/protocol/envelope.ts';
import { purposepathProtocol } from '../../../../src/broker/protocol/purposepath.ts';

const valid = { type: 'goal.created', timestamp: '2025-11-03T14:30:00.000Z', data: { goalId: 'g1', tenantId: 't1' } };

describe('frame validation', () => {
  it('accepts a valid envelope and gives its time in ms', () => {
    const parsed = parseFrame(JSON.stringify(valid));
    expect(parsed).toEqual({ ok: true, envelope: valid, at: Date.parse(valid.timestamp) });
  });

  it.each([
    ['not JSON', '{nope', 'frame is not JSON (5 bytes)'],
    ['an array', '[1,2]', 'frame must be a JSON object, got an array'],
    ['no type', JSON.stringify({ ...valid, type: undefined }), 'type must be a non-empty string, got undefined'],
    ['an empty type', JSON.stringify({ ...valid, type: '' }), 'type must be a non-empty string, got ""'],
    ['null data', JSON.stringify({ ...valid, data: null }), 'data of goal.created must be an object, got null'],
    ['array data', JSON.stringify({ ...valid, data: [] }), 'data of goal.created must be an object, got an array'],
    ['a bad timestamp', JSON.stringify({ ...valid, timestamp: 'yesterday' }), 'timestamp of goal.created must be ISO 8601, got "yesterday"'],
    ['a timestamp without zone', JSON.stringify({ ...valid, timestamp: '2025-11-03T14:30:00' }), 'timestamp of goal.created must be ISO 8601, got "2025-11-03T14:30:00"'],
    ['a numeric eventId', JSON.stringify({ ...valid, eventId: 5 }), 'eventId of goal.created must be a string, got number'],
  ])('rejects %s, naming the field and what it got', (_name, frame, message) => {
    expect(parseFrame(frame)).toEqual({ ok: false, rejection: { code: 'MALFORMED_FRAME', message } });
  });

  it('rejects binary and oversized frames before parsing them', () => {
    expect(parseFrame(new ArrayBuffer(4))).toMatchObject({ ok: false, rejection: { code: 'MALFORMED_FRAME' } });
    const big = JSON.stringify({ ...valid, data: { blob: 'x'.repeat(2000) } });
    expect(parseFrame(big, 1024)).toEqual({
      ok: false,
      rejection: { code: 'OVERSIZED_FRAME', message: `frame of ${big.length} bytes exceeds maxFrameBytes 1024` },
    });
  });

  it('never echoes frame content that could carry secrets', () => {
    const parsed = parseFrame('{"token":"secret-value"');
    expect(JSON.stringify(parsed)).not.toContain('secret-value');
  });

  it('tolerates ISO variants with offsets and other precisions', () => {
    expect(parseIsoTimestamp('2025-11-03T14:30:00Z')).toBe(Date.parse('2025-11-03T14:30:00Z'));
    expect(parseIsoTimestamp('2025-11-03T15:30:00.123+01:00')).toBe(Date.parse('2025-11-03T14:30:00.123Z'));
    expect(parseIsoTimestamp('2025-13-45T99:99:99Z')).toBeNaN();
  });

  it('finds the tenant in the payload first, then in the envelope (older drafts)', () => {
    expect(tenantOf({ ...valid, data: { tenantId: 'a' }, tenantId: 'b' })).toBe('a');
    expect(tenantOf({ ...valid, data: {}, tenantId: 'b' })).toBe('b');
    expect(tenantOf({ ...valid, data: {} })).toBeUndefined();
  });

  it('never throws, whatever arrives (fuzzed)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v)), fc.anything()), (input) => {
        const parsed = parseFrame(input);
        expect(typeof parsed.ok).toBe('boolean');
        if (parsed.ok) purposepathProtocol.classify(parsed.envelope);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on envelope-shaped frames with hostile fields (fuzzed)', () => {
    const hostile = fc.record(
      {
        type: fc.oneof(fc.string(), fc.constantFrom('auth.success', 'auth.error', 'x.error', 'ping', '__proto__', 'constructor')),
        timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string(), fc.integer()),
        data: fc.oneof(fc.object(), fc.constant(null), fc.array(fc.anything()), fc.dictionary(fc.string(), fc.anything())),
        eventId: fc.anything(),
        tenantId: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(hostile, (frame) => {
        const parsed = parseFrame(JSON.stringify(frame));
        if (parsed.ok) {
          purposepathProtocol.classify(parsed.envelope);
          expect(typeof parsed.envelope.type).toBe('string');
          expect(typeof parsed.envelope.data).toBe('object');
          // Only control frames may lack a timestamp.
          if (!isControlType(parsed.envelope.type)) expect(parsed.at).not.toBeNaN();
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('terse control frames', () => {
  it('accepts the older draft\'s bare {"type":"ping"} and a bare pong, with empty data', () => {
    for (const type of ['ping', 'pong']) {
      const parsed = parseFrame(JSON.stringify({ type }));
      expect(parsed.ok).toBe(true);
      if (parsed.ok) {
        expect(parsed.envelope.data).toEqual({});
        expect(purposepathProtocol.classify(parsed.envelope).kind).toBe(type);
      }
    }
  });

  it('acts on an auth.error without a timestamp', () => {
    const parsed = parseFrame(JSON.stringify({ type: 'auth.error', data: { error: 'Invalid authentication token', code: 'UNAUTHORIZED' } }));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(purposepathProtocol.classify(parsed.envelope)).toMatchObject({ kind: 'error', code: 'UNAUTHORIZED', during: 'auth' });
  });

  it('still rejects a domain event without a timestamp or data', () => {
    expect(parseFrame(JSON.stringify({ type: 'goal.created', data: { goalId: 'g' } })).ok).toBe(false);
    expect(parseFrame(JSON.stringify({ type: 'goal.created', timestamp: '2025-01-01T00:00:00.000Z' })).ok).toBe(false);
  });
});

describe('default wire protocol', () => {
  it('builds the auth, ping and pong frames of docs/protocol.md', () => {
    expect(JSON.parse(purposepathProtocol.authFrame('tok'))).toEqual({ action: 'auth', token: 'tok' });
    expect(JSON.parse(purposepathProtocol.pingFrame())).toEqual({ action: 'ping' });
    expect(JSON.parse(purposepathProtocol.pongFrame('2025-01-01T00:00:00.000Z'))).toEqual({ type: 'pong', timestamp: '2025-01-01T00:00:00.000Z' });
  });

  it('sorts frames into handshake answers, errors by context, pings and events', () => {
    const at = '2025-11-03T14:30:00.000Z';
    expect(purposepathProtocol.classify({ type: 'auth.success', timestamp: at, data: { tenantId: 't', userId: 'u', connectionId: 'c' } })).toEqual({
      kind: 'auth-accepted',
      session: { tenantId: 't', userId: 'u', connectionId: 'c' },
    });
    expect(purposepathProtocol.classify({ type: 'auth.error', timestamp: at, data: { error: 'bad', code: 'UNAUTHORIZED' } })).toEqual({
      kind: 'error',
      code: 'UNAUTHORIZED',
      message: 'bad',
      during: 'auth',
    });
    expect(purposepathProtocol.classify({ type: 'connection.error', timestamp: at, data: { code: 'FORBIDDEN' } })).toMatchObject({ during: 'connection' });
    expect(purposepathProtocol.classify({ type: 'broadcast.error', timestamp: at, data: {} })).toMatchObject({ code: 'UNKNOWN', during: 'request' });
    // An expired token reported under another context is still the connection's.
    expect(purposepathProtocol.classify({ type: 'session.error', timestamp: at, data: { code: 'UNAUTHORIZED' } })).toMatchObject({ during: 'connection' });
    expect(purposepathProtocol.classify({ type: 'broadcast.error', timestamp: at, data: { code: 'FORBIDDEN' } })).toMatchObject({ during: 'request' });
    expect(purposepathProtocol.classify({ type: 'ping', timestamp: at, data: {} })).toEqual({ kind: 'ping' });
    expect(purposepathProtocol.classify({ type: 'goal.created', timestamp: at, data: {} })).toEqual({ kind: 'event' });
  });
});
