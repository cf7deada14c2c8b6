/**
 * A token refresh no tab answers within `tokenTimeoutMs` (a slow auth server, a busy page) says
 * nothing about the credentials: the broker retries after a backoff, with the token the tabs give
 * then, instead of stopping in `unauthorized`, which only a new login ends.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, createWorld, until } from '../support/broker-world.ts';

let world: World | undefined;

afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a refresh no tab answers in time', () => {
  it('backs off and connects with the token the tab has then, instead of stopping in unauthorized', async () => {
    world = await createWorld({ config: { tokenTimeoutMs: 100 } });
    const current = world;
    // The app's refresh succeeds, but only after the broker stopped waiting for it.
    const tab = await current.tab({
      refresh: async () => {
        await pause(400);
        current.login();
        return undefined;
      },
    });
    await until(() => expect(tab.status).toBe('open'));
    current.backend.expireTokens();
    await until(() => expect(tab.refreshCalls).toBe(1));
    await until(() => expect(tab.status).toBe('open'));
    expect(tab.states.map((s) => `${s.status}:${s.reason}`)).not.toContain('unauthorized:refresh-failed');
    expect(tab.states.map((s) => `${s.status}:${s.reason}`)).toContain('backoff:token-unavailable');
  });
});
