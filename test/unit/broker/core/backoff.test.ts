import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, jitteredDelayMs, rateLimitDelayMs } from '../../../../src/broker/core/backoff.ts';

/** A seeded generator so the distribution test is repeatable. */
function mulberry32(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('backoff', () => {
  it('doubles the ceiling per attempt from 1 s and caps it at 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((n) => backoffCeilingMs(n))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('never goes below the floor nor above the cap, whatever the random draw', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      for (const draw of [0, 0.25, 0.5, 0.999999]) {
        const delay = jitteredDelayMs(attempt, () => draw);
        expect(delay).toBeGreaterThanOrEqual(1000);
        expect(delay).toBeLessThanOrEqual(30_000);
        expect(delay).toBeLessThanOrEqual(1000 + backoffCeilingMs(attempt));
      }
    }
  });

  it('spreads delays uniformly across [floor, floor + ceiling] (full jitter)', () => {
    const random = mulberry32(42);
    const buckets = new Array(10).fill(0);
    const samples = 20_000;
    for (let i = 0; i < samples; i++) {
      const delay = jitteredDelayMs(3, random); // ceiling 8 s: delays in [1 s, 9 s]
      buckets[Math.min(9, Math.floor(((delay - 1000) / 8000) * 10))]++;
    }
    // Each tenth holds about 10 %: a chi-square test at 9 degrees of freedom, p ≈ 0.001.
    const expected = samples / 10;
    const chiSquare = buckets.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(27.88);
  });

  it('honours custom floors and caps', () => {
    expect(jitteredDelayMs(0, () => 1, { minDelayMs: 50, maxDelayMs: 80 })).toBe(80);
    expect(jitteredDelayMs(0, () => 0, { minDelayMs: 50, maxDelayMs: 80 })).toBe(50);
  });

  it('waits at least what a rate limit asks: 1, 2, 4, 8 s, at most 10 % more', () => {
    expect([0, 1, 2, 3].map((n) => rateLimitDelayMs(n, () => 0))).toEqual([1000, 2000, 4000, 8000]);
    expect(rateLimitDelayMs(3, () => 0.999)).toBeLessThanOrEqual(8800);
  });
});
