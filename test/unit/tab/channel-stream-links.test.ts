/**
 * Which link speaks for a tab's channels (src/tab/stream.ts): the link in use, or the one
 * attaching while none is; never a link being left. The real stream listener, upgrades and channels.
 */
import { describe, expect, it } from 'vitest';
import { streamListener } from '../../../src/tab/stream.ts';
import { createUpgrades } from '../../../src/tab/upgrade.ts';
import { createRouter } from '../../../src/tab/router.ts';
import { connectionState } from '../../../src/tab/connection-state.ts';
import { tabChannels } from '../../../src/tab/channels.ts';
import type { Link } from '../../../src/tab/link.ts';
import type { LinkManager } from '../../../src/tab/link-manager.ts';
import type { BrokerConfig, ChannelDelivery, StreamMessage } from '../../../src/link/messages.ts';
import type { TabwireError } from '../../../src/link/errors.ts';
import type { Endpoint } from '../../../src/link/rpc.ts';
import { channelKey } from '../../../src/link/channels.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const feed = channelKey({ name: 'feed' }, 65_536);
const link = (brokerId: string) => ({ brokerId, watch: new AbortController() }) as unknown as Link;
const cm = (...data: string[]): StreamMessage => ({ k: 'cm', d: JSON.stringify(data.map((d, i): ChannelDelivery => [feed, d, { offset: String(i) }])) });
const stream: Endpoint = { postMessage: () => {}, addEventListener: () => {}, removeEventListener: () => {} } as unknown as Endpoint;

/** A tab's stream listener over the real parts; `links` says which link is in use. */
function tab(links: { current: Link | undefined; connecting: Link | undefined }) {
  const clock = new FakeClock();
  const router = createRouter(clock, () => {}, () => false);
  const connection = connectionState(() => {}, () => {});
  const manager = {
    get current() {
      return links.current;
    },
    get connecting() {
      return links.connecting;
    },
    target: { mode: 'worker', buildId: 'a' },
  } as unknown as LinkManager;
  const listeners = { resync: new Set<never>(), error: new Set<never>(), upgrade: new Set<never>() };
  const upgrades = createUpgrades({ clock, config: { url: 'wss://x/realtime' } as BrokerConfig, options: { upgrade: 'manual' }, callTimeoutMs: 1000, links: manager, connection, router, listeners, emitError: () => {}, report: () => {} });
  const channels = tabChannels(async <T>() => feed as T, 65_536, () => {});
  const handle = channels.open<string>('feed', undefined);
  const seen: string[] = [];
  const errors: TabwireError[] = [];
  handle.on((message) => seen.push(message));
  handle.onError((error) => errors.push(error));
  const listen = streamListener({ options: { url: 'wss://x/realtime', getToken: () => 't' }, router, connection, links: manager, listeners, report: () => {}, emitError: () => {}, upgrades, channels });
  const listenerOf = new Map<Link, (event: MessageEvent) => void>();
  const post = (from: Link, message: StreamMessage) => {
    if (!listenerOf.has(from)) listenerOf.set(from, listen(stream, from));
    listenerOf.get(from)!({ data: message } as MessageEvent);
  };
  return { post, handle, seen, errors };
}

describe('the link that speaks for channels', () => {
  it('does not hear a state of the broker being left after a move: a late error there does not end the channel', () => {
    const old = link('old');
    const next = link('next');
    const links = { current: next as Link | undefined, connecting: undefined as Link | undefined };
    const { post, handle, errors } = tab(links);
    post(next, { k: 'cs', c: feed, s: 'subscribed' });
    post(old, { k: 'cs', c: feed, s: 'error', e: { code: 'CHANNEL_ERROR', message: 'the old socket closed' } });
    expect(errors).toEqual([]);
    expect(handle.state).toBe('subscribed');
  });

  it('does not hear channel messages of the broker being left', () => {
    const old = link('old');
    const next = link('next');
    const { post, seen } = tab({ current: next, connecting: undefined });
    post(next, cm('a2'));
    post(old, cm('a2'));
    expect(seen).toEqual(['a2']);
  });

  it('hears the link attaching while none is in use', () => {
    const first = link('first');
    const { post, seen } = tab({ current: undefined, connecting: first });
    post(first, cm('a1'));
    expect(seen).toEqual(['a1']);
  });
});
