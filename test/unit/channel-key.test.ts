/** The canonical key of a channel (link/channels.ts) and the per-channel gap decisions (broker/core/channel-gap.ts). */
import { describe, expect, it } from 'vitest';
import { channelKey } from '../../src/link/channels.ts';
import { gapOutcome, resumeFrom } from '../../src/broker/core/channel-gap.ts';

describe('channelKey', () => {
  it('is the same for params whose object keys come in another order, and differs for other params', () => {
    const key = channelKey({ name: 'room', params: { b: [1, { y: 2, x: 1 }], a: 'z' } }, 1000);
    expect(channelKey({ name: 'room', params: { a: 'z', b: [1, { x: 1, y: 2 }] } }, 1000)).toBe(key);
    expect(key).toBe('["room",{"a":"z","b":[1,{"x":1,"y":2}]}]');
    expect(channelKey({ name: 'room', params: { a: 'y' } }, 1000)).not.toBe(key);
    expect(channelKey({ name: 'room' }, 1000)).toBe('["room"]');
    // An undefined member is no member, as in JSON.
    expect(channelKey({ name: 'room', params: { a: 1, b: undefined } }, 1000)).toBe(channelKey({ name: 'room', params: { a: 1 } }, 1000));
  });

  it.each([
    [{ name: '' }, "a channel's name must be a string of 1 to 200 characters"],
    [{ name: 'x'.repeat(201) }, "a channel's name must be a string of 1 to 200 characters"],
    [{ name: 7 as unknown as string }, "a channel's name must be a string of 1 to 200 characters"],
    [{ name: 'r', params: { big: 'x'.repeat(100) } }, 'channel "r" has params of 110 bytes as JSON, over 64'],
    [{ name: 'r', params: { n: Number.NaN } }, 'channel "r" has params that are not JSON: a number that is not finite'],
    [{ name: 'r', params: { d: new Date(0) } }, 'channel "r" has params that are not JSON: an instance of Date (not JSON)'],
    [{ name: 'r', params: [() => 1] }, 'channel "r" has params that are not JSON: a function (not JSON)'],
  ])('refuses %j as INVALID_ARGUMENT', (spec, message) => {
    expect(() => channelKey(spec, 64)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message }));
  });
});

describe('a channel gap', () => {
  it('resumes from the position only where the protocol recovers', () => {
    expect(resumeFrom(true, { offset: '3' })).toEqual({ offset: '3' });
    expect(resumeFrom(false, { offset: '3' })).toBeUndefined();
  });

  it('is complete only when a recovering protocol says it recovered', () => {
    expect(gapOutcome(false, undefined)).toBe(false);
    expect(gapOutcome(false, { recovered: true })).toBe(false);
    expect(gapOutcome(true, undefined)).toBeUndefined();
    expect(gapOutcome(true, {})).toBe(false);
    expect(gapOutcome(true, { recovered: false })).toBe(false);
    expect(gapOutcome(true, { recovered: true })).toBe(true);
  });
});
