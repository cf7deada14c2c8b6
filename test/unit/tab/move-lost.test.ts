/**
 * A move to a newer build (src/tab/upgrade.ts) during which the broker it started from dies:
 * the tab re-attaches on its own (link-manager.ts `#lost`), so the move is given up, and no
 * channel message of the move's link reaches the app.
 */
import { describe, expect, it } from 'vitest';
import { createUpgrades } from '../../../src/tab/upgrade.ts';
import { createRouter } from '../../../src/tab/router.ts';
import { connectionState } from '../../../src/tab/connection-state.ts';
import type { LinkManager } from '../../../src/tab/link-manager.ts';
import type { Link } from '../../../src/tab/link.ts';
import type { ChannelStreamMessage } from '../../../src/tab/channel-hold.ts';
import type { BrokerConfig, ChannelDelivery } from '../../../src/link/messages.ts';
import { channelKey } from '../../../src/link/channels.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};
const feed = channelKey({ name: 'feed' }, 65_536);
const cm = (data: string): ChannelStreamMessage => ({ k: 'cm', d: JSON.stringify([[feed, data, { offset: data }] satisfies ChannelDelivery]) });

/** A link whose broker opens on `open()`. */
function link(brokerId: string) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { link: { brokerId, opened, watch: new AbortController(), status: 'open', reason: 'auth-accepted' } as unknown as Link, open };
}

describe('a move during which the broker in use dies', () => {
  it('is given up, and the app hears only the link that re-attached', async () => {
    const clock = new FakeClock();
    const old = link('old').link;
    const next = link('next');
    const relink = link('relink').link;
    const state = { current: old as Link | undefined, connecting: undefined as Link | undefined };
    const adopted: string[] = [];
    const stayed: string[] = [];
    const links = {
      get current() {
        return state.current;
      },
      get connecting() {
        return state.connecting;
      },
      target: { mode: 'worker', buildId: 'a' },
      ready: Promise.resolve(),
      moveTo: async () => next.link,
      adopt(link: Link) {
        state.current = link;
        adopted.push(link.brokerId);
      },
      stay: (link: Link) => void stayed.push(link.brokerId),
    } as unknown as LinkManager;
    const log: string[] = [];
    const upgrades = createUpgrades({
      clock,
      config: { url: 'wss://x/realtime' } as BrokerConfig,
      options: { upgrade: 'manual' },
      callTimeoutMs: 1000,
      links,
      connection: connectionState(() => {}, () => {}),
      router: createRouter(clock, () => {}, () => false),
      listeners: { resync: new Set(), error: new Set(), upgrade: new Set() },
      emitError: () => {},
      report: () => {},
    });
    upgrades.bindChannels({
      deliver: (batch) => void log.push(...batch.map(([, data]) => `m:${String(data)}`)),
      stateChanged: (_key, s) => void log.push(`s:${s}`),
      resynced: (_key, signal) => void log.push(`r:${signal.complete}`),
      retell: () => void log.push('retell'),
    });
    upgrades.announce({ buildId: 'b', mode: 'worker', compatible: true });
    const moved = upgrades.upgrade();
    await flush();
    upgrades.channelMessage(next.link, cm('n1'));
    // The old broker dies: no link in use.
    state.current = undefined;
    upgrades.channelMessage(next.link, cm('n2'));
    // The re-attach loop's link, then in use.
    state.connecting = relink;
    upgrades.channelMessage(relink, cm('r1'));
    state.current = relink;
    state.connecting = undefined;
    next.open();
    expect(await moved).toBe(false);
    expect(adopted).toEqual([]);
    expect(stayed).toEqual(['next']);
    upgrades.channelMessage(relink, cm('r2'));
    upgrades.channelMessage(next.link, cm('n3'));
    expect(log).toEqual(['m:r1', 'm:r2']);
  });
});
