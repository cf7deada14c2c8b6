/** `reconnect.maxAttempts` through the real broker: it stops retrying, and starts again when asked. */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, createWorld, until } from '../support/broker-world.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});

describe('broker: reconnect.maxAttempts', () => {
  it('stops in closed (retries-exhausted) after that many failed tries in a row, and starts again on reconnect() or a new tab', async () => {
    world = await createWorld({ config: { reconnect: { minDelayMs: 20, maxDelayMs: 40, maxAttempts: 3 } } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.setAccepting(false);
    world.backend.drop();
    await until(() => expect(tab.status).toBe('closed'));
    expect(tab.states.at(-1)).toMatchObject({ status: 'closed', reason: 'retries-exhausted' });
    // The drop counted, then the refused tries up to the third failure in a row; nothing after.
    const refused = world.backend.stats().refused;
    expect(refused).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(world.backend.stats().refused).toBe(refused);

    world.backend.setAccepting(true);
    await tab.broker.reconnect();
    await until(() => expect(tab.status).toBe('open'));
    expect(tab.states.at(-3)).toMatchObject({ status: 'connecting', reason: 'reconnect-requested' });

    world.backend.setAccepting(false);
    world.backend.drop();
    await until(() => expect(tab.status).toBe('closed'));
    world.backend.setAccepting(true);
    const another = await world.tab();
    await until(() => expect(another.status).toBe('open'));
    expect(tab.states.map((s) => `${s.status}:${s.reason}`)).toContain('connecting:tab-attached');
  });
});
