/** `debug()` from a real tab: the snapshot `BrokerDebug` describes. */
import { afterEach, expect, it } from 'vitest';
import { type World, createWorld, until } from '../support/broker-world.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});

it('answers debug() with the broker as BrokerDebug describes it', async () => {
  world = await createWorld();
  const tab = await world.tab({ patterns: ['goal.*'] });
  await until(() => expect(tab.status).toBe('open'));
  const debug = await tab.broker.debug();
  expect(debug.stats).toMatchObject({ state: 'open', tabs: 1 });
  expect(debug.config?.url).toBe(world.backend.wsUrl);
  expect(debug.gap.phase).toBe('live');
  expect(debug.tabs).toEqual([{ id: expect.any(String), visible: true, patterns: ['goal.*'] }]);
  expect(debug.transitions.map(({ from, to, reason }) => `${from}→${to} (${reason})`)).toEqual([
    'idle→connecting (tab-attached)',
    'connecting→authenticating (socket-opened)',
    'authenticating→open (auth-accepted)',
  ]);
  expect(Object.keys(debug).sort()).toEqual(['config', 'gap', 'stats', 'tabs', 'transitions']);
});
