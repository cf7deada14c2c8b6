/**
 * Channel messages to a tab go through the bound its event batches do (broker/tab-backlog.ts): a
 * tab that stopped reading is posted at most its backlog, and when it reads again each channel it
 * missed messages of is told once that they were lost (`complete: false`). The tab acknowledges
 * channel batches as it does event batches.
 */
import { describe, expect, it } from 'vitest';
import { ChannelFanout } from '../../../src/broker/channel-fanout.ts';
import { Tab } from '../../../src/broker/tabs.ts';
import type { StreamMessage } from '../../../src/link/messages.ts';
import { streamAckEvery } from '../../../src/link/messages.ts';
import type { Link } from '../../../src/tab/link.ts';
import { type StreamParts, streamListener } from '../../../src/tab/stream.ts';
import { channelHold } from '../../../src/tab/channel-hold.ts';

const backlogBatches = 2 * streamAckEvery;
const stallMs = 1000;

function stalledTab() {
  const posted: StreamMessage[] = [];
  let listener: ((event: MessageEvent) => void) | undefined;
  let now = 0;
  const stream = {
    postMessage: (message: unknown) => void posted.push(message as StreamMessage),
    addEventListener: (_type: 'message', l: (event: MessageEvent) => void) => void (listener = l),
    removeEventListener() {},
  };
  const tab = new Tab('t1', stream, undefined, true, 0, () => {}, { backlogBatches, stallMs, monotonic: () => now, serverNow: () => '2026-12-06T14:00:00.000Z' });
  const ack = (n: number) => listener!({ data: { k: 'ack', n } } as MessageEvent);
  return { tab, posted, ack, advance: (ms: number) => void (now += ms) };
}

describe('channel messages to a tab that stopped reading', () => {
  it('are bounded like event batches, and each channel missed is told complete: false once it reads again', () => {
    const { tab, posted, ack, advance } = stalledTab();
    const fanout = new ChannelFanout();
    ack(0);
    advance(stallMs);
    for (let i = 0; i < 10 * backlogBatches; i++) {
      fanout.enqueue([tab], ['room', i]);
      fanout.flush();
    }
    const batches = posted.filter((m) => m.k === 'cm');
    expect(batches).toHaveLength(backlogBatches);
    ack(batches.length);
    expect(posted.filter((m) => m.k === 'cr')).toEqual([{ k: 'cr', c: 'room', s: { complete: false } }]);
    fanout.enqueue([tab], ['room', 'after']);
    fanout.flush();
    expect(posted.at(-1)).toEqual({ k: 'cm', d: JSON.stringify([['room', 'after']]) });
    // Told once: a later acknowledgement tells nothing more.
    ack(1);
    expect(posted.filter((m) => m.k === 'cr')).toHaveLength(1);
  });
});

describe('a tab reading channel batches', () => {
  it('acknowledges them as it does event batches, every streamAckEvery', () => {
    const acks: unknown[] = [];
    const delivered: unknown[] = [];
    const stream = { postMessage: (message: unknown) => void acks.push(message), addEventListener() {}, removeEventListener() {} };
    // The link in use: its channel batches reach the channels (src/tab/channel-hold.ts).
    const link = {} as Link;
    const hold = channelHold({ current: link, connecting: undefined });
    const parts = { channels: { deliver: (batch: unknown) => void delivered.push(batch) }, upgrades: { bindChannels: hold.bind, channelMessage: hold.take } } as unknown as StreamParts;
    const onMessage = streamListener(parts)(stream, link);
    for (let i = 0; i < 2 * streamAckEvery; i++) onMessage({ data: { k: 'cm', d: JSON.stringify([['room', i]]) } } as MessageEvent);
    expect(delivered).toHaveLength(2 * streamAckEvery);
    expect(acks).toEqual([{ k: 'ack', n: 0 }, { k: 'ack', n: streamAckEvery }, { k: 'ack', n: streamAckEvery }]);
  });
});
