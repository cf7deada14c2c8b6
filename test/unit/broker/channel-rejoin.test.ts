/**
 * A tab re-attaching with its channels (a replaced worker): a channel it may have missed messages
 * of is told `complete: false` to that tab unless the resume covers it — it joins an entry held
 * from another position, it brings no position, or it was logged out (positions of a session that
 * ended are not used) — and a hold refused on re-attach reaches the tab as the channel's error.
 */
import { describe, expect, it } from 'vitest';
import { ChannelFanout } from '../../../src/broker/channel-fanout.ts';
import { ChannelRegistry } from '../../../src/broker/channels.ts';
import type { DialectLink } from '../../../src/broker/dialect-link.ts';
import type { ChannelPosition, ChannelSpec } from '../../../src/link/channels.ts';
import type { StreamMessage } from '../../../src/link/messages.ts';
import type { Tab } from '../../../src/broker/tabs.ts';
import { FakeClock } from '../../support/fake-clock.ts';

function fakeTab() {
  const posted: StreamMessage[] = [];
  const tab = { post: (message: StreamMessage) => posted.push(message), postChannelBatch: () => {} } as unknown as Tab;
  return { tab, posted, resyncs: () => posted.filter((m) => m.k === 'cr').map((m) => (m as { s: unknown }).s) };
}

function registry(recovers = true, refuse = false) {
  const subs: { key: string; from: ChannelPosition | undefined }[] = [];
  const link = {
    subscribe: (key: string, _spec: ChannelSpec, from?: ChannelPosition) => {
      if (refuse) throw { code: 'INVALID_ARGUMENT', message: 'params the protocol cannot frame' };
      subs.push({ key, from });
      return true;
    },
    unsubscribe: () => true,
  } as unknown as DialectLink;
  let open = false;
  const channels = new ChannelRegistry({ link, recovers, clock: new FakeClock(), fanout: new ChannelFanout(), open: () => open, lingerMs: 1000, maxFrameBytes: 65_536 });
  return { channels, subs, setOpen: (value: boolean) => (open = value) };
}

describe('a tab re-attaching with its channels', () => {
  it('tells false to a tab joining a held channel from another position; the first tab gets the answer', () => {
    const { channels, subs, setOpen } = registry();
    const [b, a] = [fakeTab(), fakeTab()];
    channels.rejoin(b.tab, { name: 'x', from: { offset: '20' } }, false);
    channels.rejoin(a.tab, { name: 'x', from: { offset: '10' } }, false);
    setOpen(true);
    channels.opened();
    expect(subs).toEqual([{ key: 'c1', from: { offset: '20' } }]);
    channels.onAnswer({ kind: 'channel-subscribed', key: 'c1', recovered: true });
    expect(b.resyncs()).toEqual([{ complete: true }]);
    expect(a.resyncs()).toEqual([{ complete: false }]);
  });

  it('tells false at once to a tab joining an answered channel from another position, or with none', () => {
    const { channels, setOpen } = registry();
    setOpen(true);
    const [b, a, c] = [fakeTab(), fakeTab(), fakeTab()];
    channels.rejoin(b.tab, { name: 'x', from: { offset: '20' } }, false);
    channels.onAnswer({ kind: 'channel-subscribed', key: 'c1', recovered: true });
    channels.rejoin(a.tab, { name: 'x', from: { offset: '10' } }, false);
    channels.rejoin(c.tab, { name: 'x' }, false);
    expect(a.resyncs()).toEqual([{ complete: false }]);
    expect(c.resyncs()).toEqual([{ complete: false }]);
  });

  it('tells nothing to a tab joining from the position the channel is at', () => {
    const { channels, setOpen } = registry();
    setOpen(true);
    const [b, a] = [fakeTab(), fakeTab()];
    channels.rejoin(b.tab, { name: 'x', from: { offset: '20' } }, false);
    channels.onAnswer({ kind: 'channel-subscribed', key: 'c1', recovered: true });
    channels.rejoin(a.tab, { name: 'x', from: { offset: '20' } }, false);
    expect(a.resyncs()).toEqual([]);
  });

  it('gives a channel re-attached with no position a gap, told false once answered', () => {
    const { channels, setOpen } = registry();
    const t = fakeTab();
    channels.rejoin(t.tab, { name: 'results' }, false);
    setOpen(true);
    channels.opened();
    channels.onAnswer({ kind: 'channel-subscribed', key: 'c1', recovered: true });
    expect(t.resyncs()).toEqual([{ complete: false }]);
  });

  it('tells it false at once where the protocol does not recover', () => {
    const { channels, setOpen } = registry(false);
    setOpen(true);
    const t = fakeTab();
    channels.rejoin(t.tab, { name: 'results' }, false);
    expect(t.resyncs()).toEqual([{ complete: false }]);
  });

  it('does not resume from the positions of a tab that was logged out', () => {
    const { channels, subs, setOpen } = registry();
    const t = fakeTab();
    channels.rejoin(t.tab, { name: 'x', from: { offset: '7', epoch: 'pid-of-a' } }, true);
    setOpen(true);
    channels.opened();
    expect(subs).toEqual([{ key: 'c1', from: undefined }]);
    channels.onAnswer({ kind: 'channel-subscribed', key: 'c1', recovered: true });
    expect(t.resyncs()).toEqual([{ complete: false }]);
  });

  it("posts a refused hold to the re-attaching tab as the channel's error", () => {
    const { channels, setOpen } = registry(true, true);
    setOpen(true);
    const t = fakeTab();
    channels.rejoin(t.tab, { name: 'x', params: { bad: true } }, false);
    expect(t.posted).toEqual([{ k: 'cs', c: expect.any(String), s: 'error', e: { code: 'INVALID_ARGUMENT', message: 'params the protocol cannot frame' } }]);
    expect(channels.keys).toEqual([]);
  });
});
