import { describe, expect, it } from 'vitest';
import { createUpgrades } from '../../../src/tab/upgrade.ts';
import { createRouter } from '../../../src/tab/router.ts';
import { connectionState } from '../../../src/tab/connection-state.ts';
import type { LinkManager } from '../../../src/tab/link-manager.ts';
import type { Link } from '../../../src/tab/link.ts';
import type { Target } from '../../../src/tab/hosts/host.ts';
import type { BrokerConfig, UpgradeNotice } from '../../../src/link/messages.ts';
import type { TabwireErrorData } from '../../../src/link/errors.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A link whose broker is open at once. */
const openLink = (brokerId: string) => {
  const left: string[] = [];
  const link = { brokerId, opened: Promise.resolve(), watch: new AbortController(), status: 'open', reason: 'auth-accepted' } as unknown as Link;
  return { link, left };
};

function world(mode: 'auto' | 'manual') {
  const clock = new FakeClock();
  const errors: TabwireErrorData[] = [];
  const notices: UpgradeNotice[] = [];
  const used: string[] = [];
  const leftLinks: string[] = [];
  let connects = 0;
  let current = openLink('old').link;
  let target: Target = { mode: 'worker', buildId: 'a' };
  const links: LinkManager = {
    get current() {
      return current;
    },
    connecting: undefined,
    get target() {
      return target;
    },
    ready: Promise.resolve(),
    start: () => {},
    async moveTo(next) {
      connects++;
      target = next;
      return openLink(`broker-${next.buildId}`).link;
    },
    adopt(next) {
      current = next;
      used.push(next.brokerId);
    },
    stay: (next) => void leftLinks.push(next.brokerId),
    leave: async (left) => void leftLinks.push(left.brokerId),
    close: async () => {},
  };
  const router = createRouter(clock, () => {}, () => false);
  const connection = connectionState(() => {}, () => {});
  const upgrades = createUpgrades({
    clock,
    config: { url: 'wss://x/realtime' } as BrokerConfig,
    options: { upgrade: mode },
    callTimeoutMs: 1000,
    links,
    connection,
    router,
    listeners: { resync: new Set(), error: new Set(), upgrade: new Set([(notice) => void notices.push(notice)]) },
    emitError: (error) => errors.push(error),
    report: () => {},
  });
  return { clock, links, upgrades, errors, notices, used, leftLinks, connects: () => connects };
}

const notice = (buildId: string, compatible = true): UpgradeNotice => ({ buildId, mode: 'worker', compatible });

describe('moving to a newer build', () => {
  it('moves by itself (auto): attaches first, then leaves the old broker a second later', async () => {
    const { clock, links, upgrades, notices, used, leftLinks } = world('auto');
    upgrades.announce(notice('b'));
    await flush();
    expect(notices.map((n) => n.buildId)).toEqual(['b']);
    expect(used).toEqual(['broker-b']);
    expect(links.target.buildId).toBe('b');
    expect(leftLinks).toEqual([]);
    clock.advance(1000);
    expect(leftLinks).toEqual(['old']);
  });

  it('tells of a build once, and moves with manual only on upgrade()', async () => {
    const { upgrades, notices, used } = world('manual');
    upgrades.announce(notice('b'));
    upgrades.announce(notice('b'));
    await flush();
    expect(notices).toHaveLength(1);
    expect(used).toEqual([]);
    expect(await upgrades.upgrade()).toBe(true);
    expect(used).toEqual(['broker-b']);
  });

  it('stays when there is nothing newer, or it needs a reload', async () => {
    const { upgrades, connects } = world('manual');
    expect(await upgrades.upgrade()).toBe(false);
    upgrades.announce(notice('b', false));
    expect(await upgrades.upgrade()).toBe(false);
    expect(connects()).toBe(0);
  });

  it('still moves to a newer build after an upgrade() that had nothing to do', async () => {
    const { upgrades, used } = world('auto');
    upgrades.announce(notice('b'));
    await flush();
    // Already on b: nothing to do.
    expect(await upgrades.upgrade()).toBe(false);
    upgrades.announce(notice('c'));
    await flush();
    expect(used).toEqual(['broker-b', 'broker-c']);
  });
});
