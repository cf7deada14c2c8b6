/**
 * `on(pattern, handler, { signal })` and `once(pattern, { signal })` on a real tab: an aborted
 * signal takes the handler away (and the broker's subscription with its last handler), an
 * already-aborted one subscribes nothing, and `once` settles with the next event, the abort
 * reason, or CLOSED.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, createWorld, until } from '../support/broker-world.ts';
import type { TestTab } from '../support/tab-harness.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});

/** The patterns the broker holds for the world's only tab. */
async function brokerPatterns(): Promise<string[]> {
  const debug = (await world.broker.debug()) as { tabs: Array<{ patterns: string[] }> };
  return debug.tabs.flatMap((tab) => tab.patterns);
}

async function openTab(): Promise<TestTab> {
  const tab = await world.tab({ patterns: [] });
  await until(() => expect(tab.status).toBe('open'));
  return tab;
}

describe('on with a signal', () => {
  it('stops calling the handler once the signal aborts, and the broker drops the subscription', async () => {
    world = await createWorld();
    const tab = await openTab();
    const seen: string[] = [];
    const controller = new AbortController();
    tab.broker.on('goal.*', (event) => seen.push(String(event.data.goalId)), { signal: controller.signal });
    await tab.synced();
    expect(await brokerPatterns()).toEqual(['goal.*']);
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'g1' });
    await until(() => expect(seen).toEqual(['g1']));
    controller.abort();
    await tab.synced();
    expect(await brokerPatterns()).toEqual([]);
    const control = await tab.subscribe('goal.created');
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'g2' });
    await until(() => expect(tab.events.map((event) => event.data.goalId)).toEqual(['g2']));
    expect(seen).toEqual(['g1']);
    await control();
  });

  it('subscribes nothing with a signal already aborted', async () => {
    world = await createWorld();
    const tab = await openTab();
    const seen: string[] = [];
    const off = tab.broker.on('goal.*', (event) => seen.push(event.type), { signal: AbortSignal.abort() });
    await tab.synced();
    expect(await brokerPatterns()).toEqual([]);
    await tab.subscribe('*');
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'g1' });
    await until(() => expect(tab.types()).toEqual(['goal.created']));
    expect(seen).toEqual([]);
    off();
  });

  it('keeps a handler whose signal aborts after it was unsubscribed by hand, without error', async () => {
    world = await createWorld();
    const tab = await openTab();
    const controller = new AbortController();
    const off = tab.broker.on('goal.*', () => {}, { signal: controller.signal });
    off();
    controller.abort();
    await tab.synced();
    expect(await brokerPatterns()).toEqual([]);
  });
});

describe('once', () => {
  it('resolves with the next event of the pattern, then holds no subscription', async () => {
    world = await createWorld();
    const tab = await openTab();
    const next = tab.broker.once('goal.*');
    await tab.synced();
    expect(await brokerPatterns()).toEqual(['goal.*']);
    world.backend.emit('tenant-123', 'issue.created', { issueId: 'i1' });
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'g1' });
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'g2' });
    const event = await next;
    expect([event.type, event.data.goalId]).toEqual(['goal.created', 'g1']);
    await tab.synced();
    expect(await brokerPatterns()).toEqual([]);
  });

  it("rejects with the signal's reason when it aborts first, and holds no subscription", async () => {
    world = await createWorld();
    const tab = await openTab();
    const controller = new AbortController();
    const next = tab.broker.once('goal.*', { signal: controller.signal });
    controller.abort(new Error('the page moved on'));
    await expect(next).rejects.toThrowError('the page moved on');
    await tab.synced();
    expect(await brokerPatterns()).toEqual([]);
  });

  it('rejects at once, subscribing nothing, with a signal already aborted', async () => {
    world = await createWorld();
    const tab = await openTab();
    const reason = new Error('too late');
    await expect(tab.broker.once('goal.*', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await tab.synced();
    expect(await brokerPatterns()).toEqual([]);
  });

  it('rejects CLOSED when the tab closes before the event comes', async () => {
    world = await createWorld();
    const tab = await openTab();
    const next = tab.broker.once('goal.*');
    tab.close();
    await expect(next).rejects.toMatchObject({ name: 'TabwireError', code: 'CLOSED' });
  });
});
