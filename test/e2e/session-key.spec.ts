/**
 * Two accounts side by side in one browser profile (per-tab sessions): with a
 * `sessionKey` each account gets its own broker and socket, and no event, log
 * entry or send crosses between them; tabs of one account still share one.
 */
import type { Page } from '@playwright/test';
import { allInState, eventually, expect, received, test } from './fixtures.ts';

const account = (tenant: string, user: string, sharing: string) => ({
  tenant,
  user,
  options: JSON.stringify({ sessionKey: `${tenant}:${user}`, sharing }),
});

const brokerIdOf = (page: Page) => page.evaluate(async () => (await window.harness.broker!.stats()).brokerId);

for (const sharing of ['worker', 'leader'] as const) {
  test(`two sessionKeys get two brokers and two sockets, one key shares one (${sharing})`, async ({ tabs, backend }) => {
    const [ada1, ada2] = await tabs.open(2, account('tenant-a', 'ada', sharing));
    const [bob] = await tabs.open(1, account('tenant-b', 'bob', sharing));
    const all = [ada1!, ada2!, bob!];
    await allInState(all, 'open');
    await eventually(async () => expect(backend.stats().openSockets).toBe(2));
    expect(backend.stats().handshakes).toBe(2);
    expect(await brokerIdOf(ada1!)).toBe(await brokerIdOf(ada2!));
    expect(await brokerIdOf(bob!)).not.toBe(await brokerIdOf(ada1!));
    // The key itself never appears in the names the browser can list.
    const names = await bob!.evaluate(async () => JSON.stringify(await navigator.locks.query()));
    expect(names).not.toContain('bob');

    await ada2!.evaluate(() => window.harness.rest('POST', '/api/goals', { title: 'ada only' }));
    await eventually(async () => expect(await received(all)).toEqual([['goal.created'], ['goal.created'], []]));
    await bob!.evaluate(() => window.harness.rest('POST', '/api/operations/issues', { title: 'bob only' }));
    await eventually(async () => expect(await received(all)).toEqual([['goal.created'], ['goal.created'], ['issue.created']]));

    // Bob's send goes out on bob's socket: the server echoes it to bob's tenant only.
    await bob!.evaluate(() => window.harness.broker!.send({ action: 'broadcast', data: { text: 'hi' } }));
    await eventually(async () => expect((await received([bob!]))[0]).toContain('broadcast.message'));
    await ada1!.waitForTimeout(300);
    expect(await received([ada1!, ada2!])).toEqual([['goal.created'], ['goal.created']]);

    // Neither log holds the other's events.
    const logTypes = (page: Page) => page.evaluate(async () => (await window.harness.broker!.recent()).map((event) => event.type));
    expect(await logTypes(ada1!)).toEqual(['goal.created']);
    expect(await logTypes(bob!)).not.toContain('goal.created');

    // A logout of ada's reaches ada's tabs only.
    await ada1!.evaluate(() => window.harness.broker!.logout());
    await allInState([ada1!, ada2!], 'closed');
    await bob!.waitForTimeout(300);
    expect(await bob!.evaluate(() => window.harness.broker!.state)).toBe('open');
  });
}
