/**
 * A refresh runs in one tab: one slower than `tokenTimeoutMs` is not started again in the next
 * tab while it may still land (refresh tokens are often single-use, and two refreshes racing can
 * end the session). The broker backs off instead, and by its retry the slow refresh has landed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, createWorld, until } from '../support/broker-world.ts';

let world: World | undefined;

afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a refresh slower than tokenTimeoutMs', () => {
  it('is not run in a second tab: the broker backs off and connects with the token it gave', async () => {
    // The refresh takes 400 ms, twice the tabs' time to answer; the retry waits at least 1 s.
    world = await createWorld({ config: { tokenTimeoutMs: 200, reconnect: { minDelayMs: 1000, maxDelayMs: 2000 } } });
    const current = world;
    const slowRefresh = async () => {
      await pause(400);
      current.login();
      return undefined;
    };
    const tabs = await Promise.all([1, 2, 3, 4, 5].map(() => current.tab({ refresh: slowRefresh })));
    await until(() => expect(tabs.every((t) => t.status === 'open')).toBe(true));
    current.backend.expireTokens();
    await until(() => expect(tabs.some((t) => t.states.some((s) => s.reason === 'token-refresh'))).toBe(true));
    await until(() => expect(tabs.every((t) => t.status === 'open')).toBe(true), 8000);
    expect(tabs.reduce((sum, t) => sum + t.refreshCalls, 0)).toBe(1);
  });

  it('does not keep the browser offline when it never lands: the next try refreshes in another tab', async () => {
    world = await createWorld({ config: { tokenTimeoutMs: 200 } });
    const current = world;
    let frozen = false;
    // The first tab asked is frozen mid-refresh (an alert(), a paused debugger) and never answers.
    const refresh = async () => {
      if (!frozen) {
        frozen = true;
        return new Promise<undefined>(() => {});
      }
      current.login();
      return undefined;
    };
    const tabs = await Promise.all([1, 2].map(() => current.tab({ refresh })));
    await until(() => expect(tabs.every((t) => t.status === 'open')).toBe(true));
    current.backend.expireTokens();
    await until(() => expect(frozen).toBe(true));
    await until(() => expect(tabs.every((t) => t.status === 'open')).toBe(true), 8000);
    expect(tabs.map((t) => t.refreshCalls)).toEqual([1, 1]);
  });
});
