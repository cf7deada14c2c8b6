/**
 * Durations run on the monotonic clock: a wall clock set back or forward
 * stretches no keep-alive, and a sleep (the wall clock running ahead of the
 * monotonic one) is noticed and answered with one new handshake and a resync.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/link/clock.ts';
import type { BrokerStats } from '../../src/link/stats.ts';
import { type World, createWorld, until } from '../support/broker-world.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});

/** Real timers, with a wall clock the test can set like a user (or a sleep) would. */
function settableClock(): Clock & { moveWall(ms: number): void } {
  let wallOffsetMs = 0;
  return {
    now: () => Date.now() + wallOffsetMs,
    monotonic: () => performance.now(),
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    moveWall(ms) {
      wallOffsetMs += ms;
    },
  };
}

describe('clock jumps and sleeps', () => {
  it('keeps pinging on time when the wall clock is set back an hour', async () => {
    const clock = settableClock();
    world = await createWorld({ deps: { clock }, config: { keepAliveMs: 1000 } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    clock.moveWall(-3_600_000);
    await until(() => expect(world.backend.stats().pings).toBeGreaterThanOrEqual(2), 4000);
  });

  it('reconnects once, with a resync, when a tab comes back after the machine slept', async () => {
    const clock = settableClock();
    world = await createWorld({ deps: { clock } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'before-sleep' });
    await until(() => expect(tab.events).toHaveLength(1));
    // Ten minutes pass on the wall clock and none on the monotonic one: the lid was closed.
    clock.moveWall(600_000);
    await tab.setVisible(true);
    await until(() => expect(tab.resyncs).toHaveLength(1), 5000);
    expect(tab.states.map((s) => s.reason)).toContain('woke-up');
    expect(tab.resyncs[0]).toMatchObject({ reason: 'reconnect' });
    const stats = (await world.broker.stats()) as BrokerStats;
    expect(stats).toMatchObject({ socketsOpened: 2, handshakes: 2, state: 'open' });
  });

  it('does not take a wall clock set back for a sleep', async () => {
    const clock = settableClock();
    world = await createWorld({ deps: { clock } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    clock.moveWall(-600_000);
    await tab.setVisible(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(((await world.broker.stats()) as BrokerStats).socketsOpened).toBe(1);
  });

  it('bounds a gap in the server’s time even when the browser’s clock is ten minutes behind', async () => {
    const clock = settableClock();
    clock.moveWall(-600_000);
    world = await createWorld({ deps: { clock } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
    await until(() => expect(tab.events).toHaveLength(1));
    world.backend.drop();
    await until(() => expect(tab.resyncs).toHaveLength(1), 5000);
    const { since, until: end } = tab.resyncs[0]!;
    expect(Date.parse(end)).toBeGreaterThanOrEqual(Date.parse(since));
    expect(Math.abs(Date.parse(end) - Date.now())).toBeLessThan(5000);
  });
});
