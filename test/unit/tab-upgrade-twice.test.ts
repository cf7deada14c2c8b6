/**
 * A tab keeps moving to newer builds after an `upgrade()` that had nothing to do. The old
 * closure left its "move under way" promise set when a move returned early (already on that
 * build, not compatible, closed), so every later move, by itself or by `upgrade()`, answered
 * that stale `false` and the tab stayed on its build for good.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Broker, connectBroker } from '../../src/tab/client.ts';
import { fakePage } from '../support/fake-page.ts';

let page: ReturnType<typeof fakePage>;
let broker: Broker | undefined;

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

afterEach(() => {
  broker?.close();
  broker = undefined;
  page.dispose();
});

describe('upgrade() with nothing to do', () => {
  it('does not stop the next deploy from being moved to', async () => {
    page = fakePage();
    broker = connectBroker({ url: 'wss://x/realtime', getToken: () => 't', sharing: 'worker', worker: page.worker, callTimeoutMs: 1000, buildId: 'a' });
    await broker.ready;
    page.brokers[0]!.notify({ k: 'up', n: { buildId: 'b', mode: 'worker', compatible: true } });
    await settle();
    expect(page.brokers).toHaveLength(2);
    expect(await broker.upgrade()).toBe(false);
    page.brokers[1]!.notify({ k: 'up', n: { buildId: 'c', mode: 'worker', compatible: true } });
    await settle();
    expect(page.brokers.map((scripted) => scripted.attaches[0]?.buildId)).toEqual(['a', 'b', 'c']);
  });
});
