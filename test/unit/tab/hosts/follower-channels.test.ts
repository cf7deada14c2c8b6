/**
 * The leader's map of channel pairs per follower is pruned: a pair goes when
 * its tab leaves the broker, or when no attach followed the join in time.
 */
import { describe, expect, it } from 'vitest';
import { FollowerChannels } from '../../../../src/tab/hosts/follower-channels.ts';
import type { LeaderBroker } from '../../../../src/tab/hosts/leader-deps.ts';
import { ChannelBus } from '../../../support/fake-channels.ts';
import { FakeClock } from '../../../support/fake-clock.ts';

/** A leader's broker as the map sees it: tabs by id, and the pairs it was asked to serve. */
function setup() {
  const clock = new FakeClock();
  const bus = new ChannelBus();
  const tabs = new Map<string, object>();
  const accepted: unknown[] = [];
  const local: LeaderBroker = {
    brokerId: 'leader',
    ready: Promise.resolve(),
    broker: { accept: (control) => void accepted.push(control), tabs },
    stop: async () => {},
  };
  const followers = new FollowerChannels('n', local, { Channel: bus.page().Channel, clock });
  return { clock, bus, tabs, accepted, followers };
}

describe('FollowerChannels', () => {
  it('serves a joining tab on a fresh pair', () => {
    const { bus, accepted, followers } = setup();
    followers.open('t1');
    expect(followers.size).toBe(1);
    expect(accepted).toHaveLength(1);
    expect(bus.openChannels().map((channel) => channel.name)).toEqual(['n|ctl|t1', 'n|st|t1']);
  });

  it('drops a pair whose tab did not attach within 5 s, and closes it', () => {
    const { clock, bus, followers } = setup();
    followers.open('t1');
    clock.advance(4999);
    followers.sweep();
    expect(followers.size).toBe(1);
    clock.advance(1);
    followers.sweep();
    expect(followers.size).toBe(0);
    expect(bus.openChannels()).toEqual([]);
  });

  it('keeps an attached tab however long, and drops its pair once the broker let the tab go', () => {
    const { clock, bus, tabs, followers } = setup();
    followers.open('t1');
    tabs.set('t1', {});
    followers.sweep();
    clock.advance(60_000);
    followers.sweep();
    expect(followers.size).toBe(1);
    tabs.delete('t1');
    followers.sweep();
    expect(followers.size).toBe(0);
    expect(bus.openChannels()).toEqual([]);
  });

  it('a tab joining again: its earlier attach does not count for the new pair, the new one does', () => {
    const { clock, tabs, followers } = setup();
    followers.open('t1');
    tabs.set('t1', { attach: 1 });
    followers.sweep();
    followers.open('t1');
    expect(followers.size).toBe(1);
    clock.advance(1000);
    followers.sweep();
    tabs.set('t1', { attach: 2 });
    followers.sweep();
    clock.advance(10_000);
    followers.sweep();
    expect(followers.size).toBe(1);
  });

  it('a tab joining again that never attaches is dropped, though its earlier tab is still attached', () => {
    const { clock, tabs, followers } = setup();
    followers.open('t1');
    tabs.set('t1', { attach: 1 });
    followers.sweep();
    followers.open('t1');
    clock.advance(5000);
    followers.sweep();
    expect(followers.size).toBe(0);
  });

  it('closeAll closes every pair', () => {
    const { bus, followers } = setup();
    for (const id of ['t1', 't2', 't3']) followers.open(id);
    followers.closeAll();
    expect(followers.size).toBe(0);
    expect(bus.openChannels()).toEqual([]);
  });
});
