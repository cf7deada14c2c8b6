/**
 * The fan-out's flush policy: with few tabs, events leave at the end of the
 * task that brought them; with more, they wait for the scheduled hops so that
 * a burst leaves as one batch per tab.
 */
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../src/link/rpc.ts';
import { Fanout } from '../../src/broker/fanout.ts';
import { Tab, TabRegistry } from '../../src/broker/tabs.ts';

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
  it('with four tabs or fewer: one batch per task, at its end, without waiting for hops', async () => {
    const { tabs, posted } = registry(4);
    const clock = manual();
    const fanout = new Fanout(tabs, clock.schedule);
    fanout.enqueue(event(1), 'goal.created', undefined);
    fanout.enqueue(event(2), 'goal.created', undefined);
    expect(posted[0]).toEqual([]);
    await Promise.resolve();
    expect(clock.tasks).toHaveLength(0);
    for (const inbox of posted) expect(inbox).toHaveLength(1);
    expect(JSON.parse((posted[0]![0] as { d: string }).d)).toHaveLength(2);
  });

  it('with more tabs: waits two scheduled hops, taking what arrives meanwhile into the same batch', async () => {
    const { tabs, posted } = registry(5);
    const clock = manual();
    const fanout = new Fanout(tabs, clock.schedule);
    fanout.enqueue(event(1), 'goal.created', undefined);
    await Promise.resolve();
    expect(posted[0]).toEqual([]);
    clock.run();
    fanout.enqueue(event(2), 'goal.created', undefined);
    expect(posted[0]).toEqual([]);
    clock.run();
    for (const inbox of posted) expect(inbox).toHaveLength(1);
    expect(JSON.parse((posted[4]![0] as { d: string }).d)).toHaveLength(2);
  });
});
