/**
 * Channel stream messages held while a tab moves to a newer build's broker (src/tab/channel-hold.ts).
 */
import { describe, expect, it } from 'vitest';
import { channelHold } from '../../../src/tab/channel-hold.ts';
import type { Link } from '../../../src/tab/link.ts';
import type { ChannelDelivery, StreamMessage } from '../../../src/link/messages.ts';
import { channelKey } from '../../../src/link/channels.ts';

const feed = channelKey({ name: 'feed' }, 65_536);
const link = (brokerId: string) => ({ brokerId, watch: new AbortController() }) as unknown as Link;
const cm = (...data: string[]): StreamMessage => ({ k: 'cm', d: JSON.stringify(data.map((d, i): ChannelDelivery => [feed, d, { offset: String(i) }])) });

describe('channel messages held during a move', () => {
  const sink = () => {
    const log: string[] = [];
    return {
      log,
      deliver: (batch: ChannelDelivery[]) => void log.push(...batch.map(([, data]) => `m:${String(data)}`)),
      stateChanged: (_key: string, state: string) => void log.push(`s:${state}`),
      resynced: (_key: string, signal: { complete: boolean }) => void log.push(`r:${signal.complete}`),
      retell: () => void log.push('retell'),
    };
  };

  it('delivers the new link’s in order once adopted, and drops the old one’s', () => {
    const old = link('old');
    const next = link('next');
    const links = { current: old as Link | undefined, connecting: undefined as Link | undefined };
    const hold = channelHold(links);
    const channels = sink();
    hold.bind(channels);
    hold.begin(old);
    hold.take(old, cm('a2') as never);
    links.connecting = next;
    hold.take(next, cm('a2') as never);
    hold.take(next, { k: 'cr', c: feed, s: { complete: true } });
    hold.take(old, cm('a3') as never);
    expect(channels.log).toEqual([]);
    links.current = next;
    links.connecting = undefined;
    hold.end(next, true);
    expect(channels.log).toEqual(['retell', 'm:a2', 'r:true']);
    hold.take(old, cm('a4') as never);
    hold.take(next, cm('a4') as never);
    expect(channels.log).toEqual(['retell', 'm:a2', 'r:true', 'm:a4']);
  });

  it('delivers the old link’s in order when the move is given up, and drops the new one’s', () => {
    const old = link('old');
    const next = link('next');
    const links = { current: old as Link | undefined, connecting: next as Link | undefined };
    const hold = channelHold(links);
    const channels = sink();
    hold.bind(channels);
    hold.begin(old);
    hold.take(old, cm('a2', 'a3') as never);
    hold.take(next, cm('a2') as never);
    hold.end(old, false);
    expect(channels.log).toEqual(['m:a2', 'm:a3']);
    hold.take(next, cm('a4') as never);
    hold.take(old, cm('a4') as never);
    expect(channels.log).toEqual(['m:a2', 'm:a3', 'm:a4']);
  });

  it('past its bound, delivers what it kept and tells the channel complete: false', () => {
    const old = link('old');
    const links = { current: old as Link | undefined, connecting: undefined as Link | undefined };
    const hold = channelHold(links, 2);
    const channels = sink();
    hold.bind(channels);
    hold.begin(old);
    hold.take(old, cm('a1', 'a2') as never);
    hold.take(old, cm('a3') as never);
    hold.take(old, cm('a4') as never);
    hold.end(old, false);
    expect(channels.log).toEqual(['m:a1', 'm:a2', 'm:a3', 'r:false']);
  });

  it('drops what it held when the link it would deliver is no longer in use (lost during the move)', () => {
    const old = link('old');
    const links = { current: old as Link | undefined, connecting: undefined as Link | undefined };
    const hold = channelHold(links);
    const channels = sink();
    hold.bind(channels);
    hold.begin(old);
    hold.take(old, cm('a2') as never);
    links.current = undefined;
    hold.end(old, false);
    expect(channels.log).toEqual([]);
  });
});
