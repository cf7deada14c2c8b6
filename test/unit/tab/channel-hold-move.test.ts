/**
 * The channel hold (src/tab/channel-hold.ts) when a move does not go straight: the broker the
 * move started from is lost meanwhile, or more messages come than the hold keeps.
 */
import { describe, expect, it } from 'vitest';
import { channelHold } from '../../../src/tab/channel-hold.ts';
import type { Link } from '../../../src/tab/link.ts';
import type { ChannelDelivery } from '../../../src/link/messages.ts';
import type { ChannelStreamMessage } from '../../../src/tab/channel-hold.ts';
import { channelKey } from '../../../src/link/channels.ts';

const feed = channelKey({ name: 'feed' }, 65_536);
const link = (brokerId: string) => ({ brokerId, watch: new AbortController() }) as unknown as Link;
const cm = (...data: string[]): ChannelStreamMessage => ({ k: 'cm', d: JSON.stringify(data.map((d, i): ChannelDelivery => [feed, d, { offset: String(i) }])) });
const incomplete: ChannelStreamMessage = { k: 'cr', c: feed, s: { complete: false } };

/** As the link manager has them: a move's link is never `connecting`. */
type Links = { current: Link | undefined; connecting: Link | undefined };

/** A hold over `links`, keeping at most `maxHeld`, and what reached the channels. */
function held(links: Links, maxHeld?: number) {
  const log: string[] = [];
  const hold = channelHold(links, maxHeld);
  hold.bind({
    deliver: (batch: ChannelDelivery[]) => void log.push(...batch.map(([, data]) => `m:${String(data)}`)),
    stateChanged: (_key, state) => void log.push(`s:${state}`),
    resynced: (_key, signal) => void log.push(`r:${signal.complete}`),
    retell: () => void log.push('retell'),
  });
  return { hold, log };
}

describe('channel hold: the broker the move started from is lost meanwhile', () => {
  it('keeps holding the move’s own link while no link is in use, and delivers its messages in order once adopted', () => {
    const old = link('old');
    const next = link('next');
    const links: Links = { current: old, connecting: undefined };
    const { hold, log } = held(links);
    hold.begin(old);
    hold.take(next, cm('n1'));
    links.current = undefined;
    hold.take(next, cm('n2'));
    expect(log).toEqual([]);
    links.current = next;
    hold.end(next, true);
    expect(log).toEqual(['retell', 'm:n1', 'm:n2']);
  });

  it('hears the link re-attaching after the loss at once, and drops what it held when the move is given up', () => {
    const old = link('old');
    const next = link('next');
    const relink = link('relink');
    const links: Links = { current: old, connecting: undefined };
    const { hold, log } = held(links);
    hold.begin(old);
    hold.take(next, cm('n1'));
    links.current = undefined;
    links.connecting = relink;
    hold.take(relink, cm('r1'));
    hold.take(next, cm('n2'));
    links.current = relink;
    links.connecting = undefined;
    hold.take(relink, cm('r2'));
    hold.end(old, false);
    expect(log).toEqual(['m:r1', 'm:r2']);
  });
});

describe('channel hold: past its bound', () => {
  it('does not tell the kept link’s channels complete: false for messages only the dropped link had past the bound', () => {
    const old = link('old');
    const next = link('next');
    const links: Links = { current: old, connecting: undefined };
    const { hold, log } = held(links, 2);
    hold.begin(old);
    hold.take(next, cm('a1'));
    hold.take(old, cm('a1'));
    hold.take(old, cm('a2'));
    links.current = next;
    hold.end(next, true);
    expect(log).toEqual(['retell', 'm:a1']);
  });

  it('tells complete: false once when the kept link’s own incomplete resync is the last thing its channel was told', () => {
    const old = link('old');
    const next = link('next');
    const links: Links = { current: old, connecting: undefined };
    const { hold, log } = held(links, 2);
    hold.begin(old);
    hold.take(old, cm('a1'));
    hold.take(next, incomplete);
    hold.take(next, cm('a2'));
    links.current = next;
    hold.end(next, true);
    expect(log).toEqual(['retell', 'r:false']);
  });

  it('tells complete: false again for messages lost past the bound after ones delivered since the first tell', () => {
    const old = link('old');
    const next = link('next');
    const links: Links = { current: old, connecting: undefined };
    const { hold, log } = held(links, 2);
    hold.begin(old);
    hold.take(next, incomplete);
    hold.take(next, cm('a1'));
    hold.take(next, cm('a2'));
    links.current = next;
    hold.end(next, true);
    expect(log).toEqual(['retell', 'r:false', 'm:a1', 'r:false']);
  });

  it('still delivers the last state of a channel that came past the bound', () => {
    const old = link('old');
    const next = link('next');
    const links: Links = { current: old, connecting: undefined };
    const { hold, log } = held(links, 1);
    hold.begin(old);
    hold.take(next, cm('a1'));
    hold.take(next, { k: 'cs', c: feed, s: 'subscribed' });
    hold.take(old, { k: 'cs', c: feed, s: 'complete' });
    hold.take(next, { k: 'cs', c: feed, s: 'error', e: { code: 'CHANNEL_ERROR', message: 'refused' } });
    links.current = next;
    hold.end(next, true);
    expect(log).toEqual(['retell', 'm:a1', 's:error']);
  });
});
