import { describe, expect, it } from 'vitest';
import { logHoldsFrom } from '../../../../src/broker/core/log-policy.ts';
import type { GapSnapshot } from '../../../../src/link/debug.ts';
import { type GapEffect, type GapEvent, gapTransition, initialGapState, unplacedSince } from '../../../../src/broker/core/resync.ts';

function run(script: Array<[number, GapEvent]>, start: GapSnapshot = initialGapState) {
  let state = start;
  const effects: GapEffect[] = [];
  for (const [now, event] of script) {
    const next = gapTransition(state, event, now);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

/** A handshake that gave no server time: `at` is the browser's clock. */
const openedGuessing = (at: number): [number, GapEvent] => [at, { type: 'opened', at, replay: true, storedLastSeenAt: null, guessed: true }];
const lost = (at: number, lastSeenAt: number | null): [number, GapEvent] => [at, { type: 'lost', at, reason: 'reconnect', lastSeenAt }];

describe('a gap whose start is only the browser’s guess of the server’s time', () => {
  it('replays nothing from it, is never complete, and tells a start it cannot place as the epoch', () => {
    const { effects } = run([openedGuessing(1000), lost(2000, null), openedGuessing(3000), [4000, { type: 'settled' }]]);
    expect(effects.some((e) => e.type === 'start-replay')).toBe(false);
    expect(effects.filter((e) => e.type === 'emit')).toEqual([
      { type: 'emit', signal: { since: unplacedSince, until: 4000, reason: 'reconnect', replayed: 0, complete: false } },
    ]);
  });

  it('stays a guess through a flap', () => {
    const { effects } = run([openedGuessing(1000), lost(2000, null), openedGuessing(3000), lost(3500, 3200), openedGuessing(5000), [6000, { type: 'settled' }]]);
    expect(effects.some((e) => e.type === 'start-replay')).toBe(false);
  });

  it('replays from the last event’s own time once an event was seen', () => {
    const { effects } = run([openedGuessing(1000), lost(2000, 1500), openedGuessing(3000)]);
    expect(effects).toContainEqual({ type: 'start-replay', since: 1500 });
  });
});

describe('whether a log still holds everything after a position', () => {
  it('does when it keeps an older event', () => {
    expect(logHoldsFrom([{ at: 5 }, { at: 10 }, { at: 12 }], 10, 500)).toBe(true);
  });

  it('does not when its oldest event is newer: trimming may have taken what came between', () => {
    expect(logHoldsFrom([{ at: 11 }, { at: 12 }], 10, 500)).toBe(false);
  });

  it('does not when it keeps nothing (the log off)', () => {
    expect(logHoldsFrom([], 10, 500)).toBe(false);
  });

  it('takes an oldest event at the very instant only below the count bound', () => {
    expect(logHoldsFrom([{ at: 10 }, { at: 12 }], 10, 500)).toBe(true);
    expect(logHoldsFrom([{ at: 10 }, { at: 12 }], 10, 2)).toBe(false);
  });
});
