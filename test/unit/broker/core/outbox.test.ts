import { describe, expect, it } from 'vitest';
import { Outbox } from '../../../../src/broker/core/outbox.ts';

describe('upstream buffer', () => {
  it('holds up to its capacity, in order, and refuses the rest', () => {
    const outbox = new Outbox<number>(3);
    expect([1, 2, 3, 4].map((n) => outbox.push(n))).toEqual(['queued', 'queued', 'queued', 'full']);
    expect(outbox.drain()).toEqual([1, 2, 3]);
    expect(outbox.size).toBe(0);
  });
});
