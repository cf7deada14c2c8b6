/**
 * The fan-out's flush policies: in the SharedWorker, with two tabs or more,
 * events wait two scheduled task hops so that a burst leaves as one batch per
 * tab, and a lone tab's leave at the end of the task; with a higher threshold
 * (a broker in a page has no limit) batches leave at the end of the task.
 */
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../src/link/rpc.ts';
import { Fanout } from '../../../src/broker/fanout.ts';
import { Tab, TabRegistry } from '../../../src/broker/tabs.ts';

function registry(count: number) {
  const tabs = new TabRegistry();
  const posted: unknown[][] = [];
  for (let i = 0; i < count; i++) {
    const inbox: unknown[] = [];
    posted.push(inbox);
    const stream = { postMessage: (message: unknown) => inbox.push(message), addEventListener() {}, removeEventListener() {} } as unknown as Endpoint;
    const tab = new Tab(`t${i}`, stream, undefined, true, 0);
    tab.patterns.add('*');
    tabs.add(tab);
  }
  return { tabs, posted };
}

/** A schedule the test runs by hand. */
function manual() {
  const tasks: Array<() => void> = [];
  return { schedule: (task: () => void) => void tasks.push(task), run: () => tasks.splice(0).forEach((task) => task()), tasks };
}

const event = (n: number) => JSON.stringify({ type: 'goal.created', timestamp: '2025-11-03T14:30:00.000Z', data: { n } });

describe('fan-out flush', () => {
  const batchSizes = (inbox: unknown[]) => inbox.map((message) => (JSON.parse((message as { d: string }).d) as unknown[]).length);

  it('with one tab: one batch per task, at its end, without hops', async () => {
    const { tabs, posted } = registry(1);
    const clock = manual();
    const fanout = new Fanout(tabs, clock.schedule);
    fanout.enqueue(event(1), 'goal.created', undefined);
    fanout.enqueue(event(2), 'goal.created', undefined);
    expect(posted[0]).toEqual([]);
    await Promise.resolve();
    expect(clock.tasks).toHaveLength(0);
    expect(batchSizes(posted[0]!)).toEqual([2]);
  });

  it('with two tabs or more: waits two scheduled hops, taking what arrives meanwhile into the same batch', async () => {
    const { tabs, posted } = registry(2);
    const clock = manual();
    const fanout = new Fanout(tabs, clock.schedule);
    fanout.enqueue(event(1), 'goal.created', undefined);
    await Promise.resolve();
    expect(posted[0]).toEqual([]);
    clock.run();
    fanout.enqueue(event(2), 'goal.created', undefined);
    expect(posted[0]).toEqual([]);
    clock.run();
    for (const inbox of posted) expect(batchSizes(inbox)).toEqual([2]);
  });

  it('a broker in a page: with four tabs or fewer, one batch per task, at its end, without hops', async () => {
    const { tabs, posted } = registry(4);
    const clock = manual();
    const fanout = new Fanout(tabs, clock.schedule, 4);
    fanout.enqueue(event(1), 'goal.created', undefined);
    fanout.enqueue(event(2), 'goal.created', undefined);
    expect(posted[0]).toEqual([]);
    await Promise.resolve();
    expect(clock.tasks).toHaveLength(0);
    for (const inbox of posted) expect(batchSizes(inbox)).toEqual([2]);
  });

  it('a broker in a page: with more tabs, two hops', async () => {
    const { tabs, posted } = registry(5);
    const clock = manual();
    const fanout = new Fanout(tabs, clock.schedule, 4);
    fanout.enqueue(event(1), 'goal.created', undefined);
    await Promise.resolve();
    clock.run();
    expect(posted[0]).toEqual([]);
    clock.run();
    for (const inbox of posted) expect(batchSizes(inbox)).toEqual([1]);
  });

  it('an early flush (before a resync) sends at once; the hops still queued then find nothing to send', () => {
    const { tabs, posted } = registry(2);
    const clock = manual();
    const fanout = new Fanout(tabs, clock.schedule);
    fanout.enqueue(event(1), 'goal.created', undefined);
    fanout.flush();
    expect(batchSizes(posted[0]!)).toEqual([1]);
    clock.run();
    clock.run();
    expect(batchSizes(posted[0]!)).toEqual([1]);
  });

  it('after an early flush, the hops of the chain it cut short do not flush the next events early', () => {
    const { tabs, posted } = registry(2);
    const clock = manual();
    const fanout = new Fanout(tabs, clock.schedule);
    fanout.enqueue(event(1), 'goal.created', undefined);
    clock.run();
    fanout.flush();
    // A new chain starts; the old one's second hop is still queued.
    fanout.enqueue(event(2), 'goal.created', undefined);
    fanout.enqueue(event(3), 'goal.created', undefined);
    clock.run();
    expect(batchSizes(posted[0]!)).toEqual([1]);
    fanout.enqueue(event(4), 'goal.created', undefined);
    clock.run();
    expect(batchSizes(posted[0]!)).toEqual([1, 3]);
  });

  it('once disposed, takes nothing and sends nothing', () => {
    const { tabs, posted } = registry(2);
    const clock = manual();
    const fanout = new Fanout(tabs, clock.schedule);
    fanout.enqueue(event(1), 'goal.created', undefined);
    fanout.dispose();
    fanout.enqueue(event(2), 'goal.created', undefined);
    clock.run();
    clock.run();
    fanout.flush();
    expect(posted[0]).toEqual([]);
  });
});
