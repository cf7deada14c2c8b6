/**
 * Nesting depth: a frame nested deeper than the edge accepts is refused without
 * recursion (live and in a replay answer alike), and the canonical JSON behind
 * event keys never throws, whatever it is given.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson, eventKey } from '../../../../src/link/event-identity.ts';
import { maxDataDepth, parseFrame, validateEnvelope } from '../../../../src/broker/protocol/envelope.ts';

const timestamp = '2025-11-03T14:30:00.000Z';

/** `data` nesting `levels` objects, data itself being the first. */
function dataOfDepth(levels: number, leaf: unknown = 1): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 0; i < levels - 1; i++) value = { d: value };
  return { tenantId: 't', d: value };
}

const deepText = (levels: number) => `{"type":"goal.created","timestamp":"${timestamp}","data":${'{"d":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}}`;

describe('frame nesting depth', () => {
  it(`accepts ${maxDataDepth} levels of data and refuses one more, as TOO_DEEP`, () => {
    expect(maxDataDepth).toBe(64);
    expect(validateEnvelope({ type: 'goal.created', timestamp, data: dataOfDepth(64) }).ok).toBe(true);
    expect(validateEnvelope({ type: 'goal.created', timestamp, data: dataOfDepth(65) })).toEqual({
      ok: false,
      rejection: { code: 'TOO_DEEP', message: 'goal.created nests deeper than 64 levels' },
    });
  });

  it('counts arrays as levels too, and any field of the frame, not only data', () => {
    expect(validateEnvelope({ type: 'x.y', timestamp, data: dataOfDepth(64, []) })).toMatchObject({ ok: false, rejection: { code: 'TOO_DEEP' } });
    expect(validateEnvelope({ type: 'x.y', timestamp, data: {}, extra: dataOfDepth(65) })).toMatchObject({ ok: false, rejection: { code: 'TOO_DEEP' } });
  });

  it('refuses a 5,000-deep frame, and a 100,000-deep one, without overflowing the stack', () => {
    expect(parseFrame(deepText(5000))).toMatchObject({ ok: false, rejection: { code: 'TOO_DEEP' } });
    expect(parseFrame(deepText(100_000), 10_000_000)).toMatchObject({ ok: false, rejection: { code: 'TOO_DEEP' } });
  });

  it('never names a value of the frame in the message', () => {
    const parsed = validateEnvelope({ type: 'x.y', timestamp, data: { secret: dataOfDepth(80, 'hunter2') } });
    expect(JSON.stringify(parsed)).not.toContain('hunter2');
  });
});

describe('canonical JSON never throws', () => {
  it('keeps its text for ordinary payloads (stored event keys depend on it)', () => {
    expect(canonicalJson({ b: [1, { y: null, x: 'a' }], a: undefined, c: true })).toBe('{"b":[1,{"x":"a","y":null}],"c":true}');
    expect(canonicalJson([undefined, () => 1])).toBe('[null,null]');
  });

  it('bounds the depth it descends to, so 100,000 levels give a text and not a stack overflow', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(typeof canonicalJson(deep)).toBe('string');
    expect(typeof eventKey({ type: 'x.y', timestamp, data: deep as Record<string, unknown> })).toBe('string');
  });

  it('copes with cycles, bigints and getters that throw', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    cyclic.twice = [cyclic, cyclic];
    expect(typeof canonicalJson(cyclic)).toBe('string');
    expect(canonicalJson({ n: 10n })).toBe('{"n":"10"}');
    const hostile = Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(typeof canonicalJson(hostile)).toBe('string');
  });
});
