/** Defects a review of the round found at unit level: the SSE id, the app identity, the slow-tab window. */
import { describe, expect, it } from 'vitest';
import { Fanout } from '../../../src/broker/fanout.ts';
import { Tab, TabRegistry } from '../../../src/broker/tabs.ts';
import { SseParser } from '../../../src/broker/transports/sse-parser.ts';
import { frameOf } from '../../../src/broker/transports/sse-transport.ts';
import { appIdentity } from '../../../src/link/app-identity.ts';
import type { BrokerConfig } from '../../../src/link/messages.ts';
import type { Endpoint } from '../../../src/link/rpc.ts';

describe('an SSE event without an id: line of its own', () => {
  it('gets no id from the event before it (the standard keeps the last id; two events must not share it)', () => {
    const frames: string[] = [];
    const parser = new SseParser({ message: (m) => frames.push(frameOf(m, { type: 'type', id: 'eventId' })), retry() {} }, 10_000);
    parser.push('id: 1\ndata: {"type":"a","n":1}\n\ndata: {"type":"a","n":2}\n\n');
    expect(JSON.parse(frames[0]!).eventId).toBe('1');
    expect(JSON.parse(frames[1]!).eventId).toBeUndefined();
  });
});

describe('the app identity', () => {
  it('tells apart two apps reading one SSE URL with other requests', () => {
    const base = { url: 'https://x.example/stream' } as BrokerConfig;
    const topic = (body: string) => appIdentity({ ...base, transport: { type: 'sse', method: 'POST', body } } as BrokerConfig);
    expect(topic('{"topic":"a"}')).not.toBe(topic('{"topic":"b"}'));
  });
});

describe('the window a slow tab is told', () => {
  it('covers a replayed batch dropped after a later live one', () => {
    const inbox: Array<{ k: string; s?: { since: string } }> = [];
    let onMessage: ((event: MessageEvent) => void) | undefined;
    const stream = {
      postMessage: (message: { k: string }) => inbox.push(message),
      addEventListener: (_type: string, listener: (event: MessageEvent) => void) => (onMessage = listener),
      removeEventListener() {},
    } as unknown as Endpoint;
    let now = 0;
    const tabs = new TabRegistry();
    const tab = new Tab('t', stream, undefined, true, 0, () => {}, { backlogBatches: 16, stallMs: 100, monotonic: () => now, serverNow: () => '2025-01-01T00:10:00.000Z' });
    tab.patterns.add('*');
    tabs.add(tab);
    onMessage!({ data: { k: 'ack', n: 0 } } as MessageEvent);
    const fanout = new Fanout(tabs, (task) => task(), 99);
    const event = (timestamp: string) => ({ text: JSON.stringify({ type: 'goal.created', timestamp, data: {} }), type: 'goal.created', tenant: undefined });
    for (let i = 0; i < 16; i++) {
      fanout.enqueue(event('2025-01-01T00:00:00.000Z').text, 'goal.created', undefined);
      fanout.flush();
    }
    now = 1000;
    fanout.enqueue(event('2025-01-01T00:05:00.000Z').text, 'goal.created', undefined);
    fanout.flush();
    fanout.sendReplayed([event('2025-01-01T00:03:00.000Z')]);
    onMessage!({ data: { k: 'ack', n: 8 } } as MessageEvent);
    const told = inbox.filter((m) => m.k === 'rs').map((m) => m.s!);
    expect(Date.parse(told[0]!.since)).toBeLessThanOrEqual(Date.parse('2025-01-01T00:03:00.000Z'));
  });
});
