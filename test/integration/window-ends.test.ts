/**
 * Where a resync window ends when the handshake's answer reached the broker late. The broker's
 * idea of the server's clock is `auth.success`'s timestamp advanced on the monotonic clock: it
 * lags the server's real clock by however long that answer took to arrive (network, a busy
 * worker). A window that ends at that clock can end before events the broker already relayed,
 * and a tab that missed them would refetch too little. Here the answer is read as if it took
 * `handshakeLagMs` to arrive (its timestamp moved back by that much): deterministic, and what a
 * slow network does. Against the real broker in Node with real tabs.
 */
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerDeps } from '../../src/broker/broker.ts';
import type { TransportFactory } from '../../src/broker/ports.ts';
import { webSocketTransport } from '../../src/broker/ws-transport.ts';
import { type World, createWorld, until, goalIds as ids } from '../support/broker-world.ts';

/** How late the handshake's answer is read, in ms: far more than the test takes between an event and the tab's return. */
const handshakeLagMs = 20_000;

let world: World;
afterEach(async () => {
  await world?.dispose();
});

const emit = (w: World, goalId: string) => w.backend.emit('tenant-123', 'goal.created', { goalId });

/** The WebSocket transport, with `auth.success` read `lagMs` after the server stamped it. */
function lateHandshakeTransport(lagMs: number): TransportFactory {
  const inner = webSocketTransport(WebSocket as never);
  return (url, handlers) =>
    inner(url, {
      ...handlers,
      onMessage: (data) => {
        const frame = typeof data === 'string' ? (JSON.parse(data) as { type?: unknown; timestamp?: unknown }) : undefined;
        if (frame?.type !== 'auth.success' || typeof frame.timestamp !== 'string') return handlers.onMessage(data);
        handlers.onMessage(JSON.stringify({ ...frame, timestamp: new Date(Date.parse(frame.timestamp) - lagMs).toISOString() }));
      },
    });
}

describe('a resync window after a handshake answered late', () => {
  it('reaches past the events the broker relayed before a re-attaching tab came back', async () => {
    world = await createWorld({ config: { log: { enabled: false } }, deps: { transport: lateHandshakeTransport(handshakeLagMs) } });
    const steady = await world.tab();
    const away = await world.tab();
    await until(() => expect(steady.status).toBe('open'));
    // The away tab stays between brokers while the worker is replaced and an event goes by.
    const release = away.holdHosts();
    await world.restartBroker();
    await until(() => expect(steady.status).toBe('open'), 5000);
    await until(() => expect(steady.resyncs.length).toBeGreaterThan(0), 5000);
    const missedAt = Date.parse(String(emit(world, 'missed').timestamp));
    await until(() => expect(ids(steady)).toContain('missed'));
    release();
    await until(() => expect(away.resyncs.length).toBeGreaterThan(0), 5000);
    expect(ids(away)).not.toContain('missed');
    const windows = away.resyncs.map((r) => `${r.reason} ${r.since}..${r.until} complete=${r.complete}`);
    const covering = away.resyncs.filter((r) => !r.complete && Date.parse(r.since) <= missedAt && missedAt <= Date.parse(r.until));
    expect(covering, `missed at ${new Date(missedAt).toISOString()}, told ${windows.join('; ')}`).toHaveLength(1);
  });

  it('reaches past what was relayed before a tab re-attached while the gap was settling', async () => {
    // A long settle: the away tab comes back while the new broker's gap is still open.
    const config = { log: { enabled: false }, resync: { settleMs: 4000 } };
    world = await createWorld({ config, deps: { transport: lateHandshakeTransport(handshakeLagMs) } });
    const steady = await world.tab();
    const away = await world.tab();
    await until(() => expect(steady.status).toBe('open'));
    emit(world, 'seen');
    await until(() => expect(ids(away)).toEqual(['seen']));
    const release = away.holdHosts();
    await world.restartBroker();
    await until(() => expect(steady.status).toBe('open'), 5000);
    const missedAt = Date.parse(String(emit(world, 'missed').timestamp));
    await until(() => expect(ids(steady)).toContain('missed'));
    expect(steady.resyncs).toEqual([]);
    release();
    await until(() => expect(away.resyncs.length).toBeGreaterThan(0), 10_000);
    expect(ids(away)).not.toContain('missed');
    const windows = away.resyncs.map((r) => `${r.reason} ${r.since}..${r.until} complete=${r.complete}`);
    const covering = away.resyncs.filter((r) => !r.complete && Date.parse(r.since) <= missedAt && missedAt <= Date.parse(r.until));
    expect(covering, `missed at ${new Date(missedAt).toISOString()}, told ${windows.join('; ')}`).toHaveLength(1);
  }, 20_000);

  it('reaches past the last event dropped for a tab that stopped reading', async () => {
    // A stall time of 0: a full backlog alone marks the frozen tab.
    const deps: Partial<BrokerDeps> = { transport: lateHandshakeTransport(handshakeLagMs), tabBacklogBatches: 16, tabStallMs: 0 };
    world = await createWorld({ deps });
    const fast = await world.tab({ patterns: ['*'] });
    const slow = await world.tab({ patterns: ['*'] });
    await until(() => expect(slow.status).toBe('open'));
    const thaw = slow.freezeStream();
    let lastAt = 0;
    for (let i = 0; i < 60; i++) {
      lastAt = Date.parse(String(emit(world, `e${i}`).timestamp));
      // One batch each: the fast tab has it before the next is sent.
      await until(() => expect(fast.events).toHaveLength(i + 1));
    }
    thaw();
    await until(() => expect(slow.resyncs).toHaveLength(1));
    const [told] = slow.resyncs;
    expect(told).toMatchObject({ reason: 'slow-tab', complete: false });
    expect(ids(slow)).not.toContain('e59');
    expect(Date.parse(told!.until), `e59 at ${new Date(lastAt).toISOString()}, told ${told!.since}..${told!.until}`).toBeGreaterThanOrEqual(lastAt);
  });
});
