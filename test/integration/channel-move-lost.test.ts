/**
 * A tab moving to a new build's broker whose old broker dies before the new one is open (the
 * real upgrade path over two brokers): the move is given up, the tab re-attaches on its own from
 * the positions of what it delivered, and each channel message reaches the app once, in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../support/broker-world.ts';
import { type MoveWorld, createMoveWorld, watchFeed } from '../support/move-world.ts';

let world: MoveWorld | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

describe('channels across a move whose old broker dies before the new one is open', () => {
  it('delivers each message once and in order, and tells at most one resync', async () => {
    world = await createMoveWorld({ nextOpensAfterMs: 1500, tabs: { callTimeoutMs: 2500 } });
    const w = world;
    const tab = await w.tab();
    await until(() => expect(tab.status).toBe('open'));
    const { seen, resyncs } = await watchFeed(tab);
    w.server.publish('feed', 'a1');
    await until(() => expect(seen).toEqual(['a1']));
    await w.deploy();
    // Attached to the new build's broker, whose socket is not open yet: the move waits.
    await until(() => expect([...w.next.tabs.all()].map((t) => t.id)).toContain(tab.tabId));
    // Relayed by the old broker and held by the tab while it moves; then that broker dies.
    w.server.publish('feed', 'a2');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual(['a1']);
    await w.loseOld();
    w.server.publish('feed', 'a3');
    w.server.publish('feed', 'a4');
    await until(() => expect(seen).toContain('a4'), 8000);
    w.server.publish('feed', 'a5');
    await until(() => expect(seen).toContain('a5'));
    expect(seen).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    expect(resyncs.filter((signal) => !signal.complete).length).toBeLessThanOrEqual(1);
  });
});
