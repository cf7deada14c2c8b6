import { describe, expect, it } from 'vitest';
import { keepAliveStep } from '../../../../src/broker/core/keepalive.ts';
import { optionDefaults } from '../../../../src/link/config.ts';

const defaultKeepAliveMs = optionDefaults.keepAliveMs;

const minute = 60_000;

/** Drive the schedule the way the worker does: one timer, re-armed after each check. */
function simulate(durationMs: number, sends: number[], keepAliveMs = defaultKeepAliveMs): number[] {
  const pings: number[] = [];
  let lastSentAt = 0;
  let next = keepAliveStep(0, lastSentAt, keepAliveMs).nextCheckInMs;
  const pendingSends = [...sends].sort((a, b) => a - b);
  for (let now = 0; now <= durationMs; ) {
    const checkAt = now + next;
    // App traffic sent before the timer fires pushes the ping back.
    while (pendingSends.length > 0 && pendingSends[0]! <= checkAt) lastSentAt = pendingSends.shift()!;
    if (checkAt > durationMs) break;
    now = checkAt;
    const step = keepAliveStep(now, lastSentAt, keepAliveMs);
    if (step.ping) {
      pings.push(now);
      lastSentAt = now;
    }
    next = step.nextCheckInMs;
  }
  return pings;
}

describe('keep-alive', () => {
  it('pings every 8 minutes on an idle connection over 30 simulated minutes', () => {
    expect(simulate(30 * minute, [])).toEqual([8 * minute, 16 * minute, 24 * minute]);
  });

  it('never lets 10 minutes pass without sending (the gateway limit)', () => {
    const sends = [3 * minute, 11 * minute + 7, 12 * minute];
    const pings = simulate(30 * minute, sends);
    const all = [0, ...sends, ...pings].sort((a, b) => a - b);
    for (let i = 1; i < all.length; i++) expect(all[i]! - all[i - 1]!).toBeLessThanOrEqual(8 * minute);
    expect(pings).toEqual([11 * minute, 20 * minute, 28 * minute]);
  });

  it('does not ping a busy connection', () => {
    const sends = Array.from({ length: 30 }, (_, i) => (i + 1) * minute);
    expect(simulate(30 * minute, sends)).toEqual([]);
  });

  it('asks to be woken exactly when the ping falls due', () => {
    expect(keepAliveStep(5 * minute, 0, 8 * minute)).toEqual({ ping: false, nextCheckInMs: 3 * minute });
    expect(keepAliveStep(8 * minute, 0, 8 * minute)).toEqual({ ping: true, nextCheckInMs: 8 * minute });
  });
});
