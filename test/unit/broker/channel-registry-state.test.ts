/**
 * A protocol that never confirms a subscription (graphql-transport-ws has no subscribe answer):
 * its channel's first message proves the server took it, so the channel's tabs see `subscribed`
 * then rather than `subscribing` for as long as it lives.
 */
import { describe, expect, it } from 'vitest';
import { ChannelFanout } from '../../../src/broker/channel-fanout.ts';
import { ChannelRegistry } from '../../../src/broker/channels.ts';
import type { DialectLink } from '../../../src/broker/dialect-link.ts';
import type { StreamMessage } from '../../../src/link/messages.ts';
import type { Tab } from '../../../src/broker/tabs.ts';
import { FakeClock } from '../../support/fake-clock.ts';

function registry(recovers: boolean) {
  const posted: StreamMessage[] = [];
  const tab = { post: (message: StreamMessage) => posted.push(message), postChannelBatch: () => {} } as unknown as Tab;
  const link = { subscribe: () => true, unsubscribe: () => true } as unknown as DialectLink;
  const channels = new ChannelRegistry({ link, recovers, clock: new FakeClock(), fanout: new ChannelFanout(), open: () => true, lingerMs: 1000, maxFrameBytes: 65_536 });
  return { channels, tab, posted };
}

describe('a channel whose protocol never confirms a subscription', () => {
  it('is subscribed for its tabs from its first message', () => {
    const { channels, tab, posted } = registry(false);
    const key = channels.hold(tab, { name: 'ticks' });
    channels.onAnswer({ kind: 'channel-message', key: 'c1', data: { n: 1 } });
    expect(posted).toContainEqual({ k: 'cs', c: key, s: 'subscribed' });
  });

  it('is not, where the protocol recovers: messages before its answer are the replay of a gap', () => {
    const { channels, tab, posted } = registry(true);
    channels.hold(tab, { name: 'ticks' });
    channels.onAnswer({ kind: 'channel-message', key: 'c1', data: { n: 1 } });
    expect(posted.filter((message) => message.k === 'cs')).toEqual([]);
  });
});
