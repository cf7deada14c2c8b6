import { describe, expect, it } from 'vitest';
import { type GapEffect, type GapEvent, gapTransition, initialGapState } from '../../../../src/broker/core/resync.ts';
import type { GapSnapshot } from '../../../../src/link/debug.ts';

/** Run a script of (time, event) through the reducer, collecting emitted signals and other effects. */
function run(script: Array<[number, GapEvent]>, start: GapSnapshot = initialGapState) {
  let state = start;
  const effects: GapEffect[] = [];
  for (const [now, event] of script) {
    const next = gapTransition(state, event, now);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects, emits: effects.filter((e) => e.type === 'emit') };
}

const opened = (at: number, replay = false, storedLastSeenAt: number | null = null): [number, GapEvent] => [
  at,
  { type: 'opened', at, replay, storedLastSeenAt },
];
const lost = (at: number, lastSeenAt: number | null, reason: 'reconnect' | 'offline' = 'reconnect'): [number, GapEvent] => [
  at,
  { type: 'lost', at, reason, lastSeenAt },
];

describe('gap detection and coalescing', () => {
  it('does not resync on the first connection of a browser that never saw an event', () => {
    expect(run([opened(0)]).emits).toEqual([]);
  });

  it('resyncs once after a drop, once the connection settled, since the last event seen', () => {
    const { emits } = run([opened(0), lost(100, 50), opened(2000), [3000, { type: 'settled' }]]);
    expect(emits).toEqual([{ type: 'emit', signal: { since: 50, until: 3000, reason: 'reconnect', replayed: 0, complete: false } }]);
  });

  it('coalesces a flapping connection into one resync with the first gap’s since and reason', () => {
    const { emits, effects } = run([
      opened(0),
      lost(100, 50, 'offline'),
      opened(1000),
      lost(1200, 1100),
      opened(2500),
      lost(2600, 2550),
      opened(4000),
      [5000, { type: 'settled' }],
    ]);
    expect(emits).toHaveLength(1);
    expect(emits[0]).toMatchObject({ signal: { since: 50, reason: 'offline' } });
    expect(effects.filter((e) => e.type === 'cancel-settle-timer')).toHaveLength(2);
  });

  it('uses the time the connection opened when no event was seen before the gap', () => {
    const { emits } = run([opened(10), lost(100, null), opened(200), [1200, { type: 'settled' }]]);
    expect(emits[0]).toMatchObject({ signal: { since: 10 } });
  });

  it('resyncs a restarted worker from the stored last-seen', () => {
    const { emits } = run([opened(5000, false, 1234), [6000, { type: 'settled' }]]);
    expect(emits[0]).toMatchObject({ signal: { since: 1234, reason: 'restart' } });
  });

  it('waits for the replay and reports whether it covered the gap', () => {
    const script: Array<[number, GapEvent]> = [opened(0), lost(100, 50), opened(200, true), [1200, { type: 'settled' }]];
    const pending = run(script);
    expect(pending.effects).toContainEqual({ type: 'start-replay', since: 50 });
    expect(pending.emits).toEqual([]);
    const done = run([...script, [1300, { type: 'replay-finished', ok: true, count: 7, complete: true }]]);
    expect(done.emits).toEqual([{ type: 'emit', signal: { since: 50, until: 1300, reason: 'reconnect', replayed: 7, complete: true } }]);
    const failed = run([...script, [1300, { type: 'replay-finished', ok: false, count: 0, complete: false }]]);
    expect(failed.emits[0]).toMatchObject({ signal: { replayed: 0, complete: false } });
  });

  it('emits once even if the replay finishes before the settle time', () => {
    const { emits } = run([
      opened(0),
      lost(100, 50),
      opened(200, true),
      [300, { type: 'replay-finished', ok: true, count: 2, complete: true }],
      [1200, { type: 'settled' }],
      [1300, { type: 'settled' }],
    ]);
    expect(emits).toHaveLength(1);
    expect(emits[0]).toMatchObject({ signal: { until: 1200, replayed: 2 } });
  });

  it('forgets everything on reset (logout)', () => {
    const { state, emits } = run([opened(0), lost(100, 50), [150, { type: 'reset' }], opened(200), [1200, { type: 'settled' }]]);
    expect(emits).toEqual([]);
    expect(state.phase).toBe('live');
  });
});

describe('another user or tenant', () => {
  it('tells every tab at once that the session changed, incomplete, and drops the old gap', () => {
    const { state, effects, emits } = run([opened(0), lost(100, 50), opened(2000, true), [2100, { type: 'session-changed', at: 2000 }]]);
    expect(emits).toEqual([
      { type: 'emit', signal: { since: 2000, until: 2100, reason: 'session-changed', replayed: 0, complete: false } },
    ]);
    expect(effects).toContainEqual({ type: 'cancel-settle-timer' });
    expect(state).toEqual({ phase: 'live', openedAt: 2000 });
    // The old gap's settle or replay finishing later says nothing more.
    expect(run([[2200, { type: 'settled' }], [2300, { type: 'replay-finished', ok: true, count: 3, complete: true }]], state).emits).toEqual([]);
  });
});
