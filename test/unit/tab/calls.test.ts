import { describe, expect, it } from 'vitest';
import { createCall, withTimeout } from '../../../src/tab/calls.ts';
import { TabwireError } from '../../../src/link/errors.ts';
import type { ControlClient } from '../../../src/tab/control-client.ts';
import type { ControlMethod } from '../../../src/link/rpc.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const never = () => new Promise<never>(() => {});
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};
/** What a promise has come to so far. */
const outcome = (promise: Promise<unknown>) => {
  const state: { value?: unknown; code?: string; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error: { code?: string }) => Object.assign(state, { code: error.code ?? String(error), settled: true }),
  );
  return state;
};

/** A broker link whose calls answer with `answer(method, attempt)`. */
function link(answer: (method: ControlMethod) => Promise<unknown>) {
  const calls: ControlMethod[] = [];
  const rpc = {
    attach: never,
    call: (method: ControlMethod) => {
      calls.push(method);
      return answer(method);
    },
    failAll: () => {},
  } as unknown as ControlClient;
  return { rpc, calls };
}

function world(timeoutMs = 1000) {
  const clock = new FakeClock();
  const links: { current: { rpc: ControlClient } | undefined; ready: Promise<void> } = { current: undefined, ready: Promise.resolve() };
  const tab = { closed: false, whenClosed: never() as Promise<void> };
  return { clock, links, tab, call: createCall(clock, timeoutMs, links, tab) };
}

describe('withTimeout', () => {
  it('fails with TIMEOUT naming what took too long, once the bound passed on the clock', async () => {
    const clock = new FakeClock();
    const late = outcome(withTimeout(clock, never(), 'attaching', 500));
    clock.advance(499);
    await flush();
    expect(late.settled).toBe(false);
    clock.advance(1);
    await flush();
    expect(late.code).toBe('TIMEOUT');
  });

  it('settles with the promise, and leaves no timer behind', async () => {
    const clock = new FakeClock();
    await expect(withTimeout(clock, Promise.resolve(7), 'x', 500)).resolves.toBe(7);
    await expect(withTimeout(clock, Promise.reject(new Error('no')), 'x', 500)).rejects.toThrow('no');
    await flush();
    expect(clock.pending).toBe(0);
  });
});

describe('calls to the broker', () => {
  it('answers with what the broker answered', async () => {
    const { links, call } = world();
    links.current = link(async () => 42);
    await expect(call('stats', [])).resolves.toBe(42);
  });

  it('fails with TIMEOUT after callTimeoutMs on the clock', async () => {
    const { clock, links, call } = world(1000);
    links.current = link(never);
    const stats = outcome(call('stats', []));
    await flush();
    clock.advance(999);
    await flush();
    expect(stats.settled).toBe(false);
    clock.advance(1);
    await flush();
    expect(stats.code).toBe('TIMEOUT');
  });

  it('counts the wait for a broker against the bound', async () => {
    const { clock, links, call } = world(1000);
    links.ready = never();
    const stats = outcome(call('stats', []));
    clock.advance(1000);
    await flush();
    expect(stats.code).toBe('TIMEOUT');
  });

  it('leaves an unbounded call (send) waiting as long as the broker holds it', async () => {
    const { clock, links, call } = world(1000);
    links.current = link(never);
    const sent = outcome(call('send', [{}], false, null));
    await flush();
    clock.advance(60_000);
    await flush();
    expect(sent.settled).toBe(false);
  });

  it('repeats a call once on the next broker when the first died (WORKER_LOST)', async () => {
    const { links, call } = world();
    const dead = link(async () => {
      links.current = next;
      throw new TabwireError({ code: 'WORKER_LOST', message: 'gone' });
    });
    const next = link(async () => 'from the next');
    links.current = dead;
    await expect(call('stats', [])).resolves.toBe('from the next');
    expect([dead.calls, next.calls]).toEqual([['stats'], ['stats']]);
  });

  it('repeats it only once', async () => {
    const { links, call } = world();
    const dying = link(async () => {
      throw new TabwireError({ code: 'WORKER_LOST', message: 'gone' });
    });
    links.current = dying;
    await expect(call('stats', [])).rejects.toMatchObject({ code: 'WORKER_LOST' });
    expect(dying.calls).toEqual(['stats', 'stats']);
  });

  it('does not repeat a call that is not safe to repeat, nor one that failed otherwise', async () => {
    const { links, call } = world();
    const lost = link(async () => {
      throw new TabwireError({ code: 'WORKER_LOST', message: 'gone' });
    });
    links.current = lost;
    await expect(call('send', [{}], false, null)).rejects.toMatchObject({ code: 'WORKER_LOST' });
    const refused = link(async () => {
      throw new TabwireError({ code: 'NOT_READY', message: 'no session' });
    });
    links.current = refused;
    await expect(call('recent', [{}])).rejects.toMatchObject({ code: 'NOT_READY' });
    expect([lost.calls, refused.calls]).toEqual([['send'], ['recent']]);
  });

  it('fails with WORKER_LOST when no broker is attached', async () => {
    const { call } = world();
    await expect(call('stats', [], false)).rejects.toMatchObject({ code: 'WORKER_LOST' });
  });

  it('turns anything else thrown into INTERNAL', async () => {
    const { links, call } = world();
    links.current = link(async () => {
      throw new RangeError('oops');
    });
    await expect(call('stats', [])).rejects.toMatchObject({ code: 'INTERNAL', message: 'oops' });
  });

  it('fails with CLOSED once the tab closed, before or while waiting for a broker', async () => {
    const { links, tab, call } = world();
    const broker = link(async () => 1);
    links.current = broker;
    let attach!: () => void;
    links.ready = new Promise((resolve) => (attach = resolve));
    const waiting = call('stats', []);
    tab.closed = true;
    attach();
    await expect(waiting).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(call('stats', [])).rejects.toMatchObject({ code: 'CLOSED' });
    expect(broker.calls).toEqual([]);
  });
});

describe('a call waiting for a broker to attach', () => {
  it('fails CLOSED as soon as the tab closes, not after callTimeoutMs (found by the model test, seed -293001393)', async () => {
    const clock = new FakeClock();
    let close!: () => void;
    const tab = { closed: false, whenClosed: new Promise<void>((resolve) => (close = resolve)) };
    const links = { current: undefined, ready: never() };
    const sent = outcome(createCall(clock, 10_000, links, tab)('send', [{}], true, null));
    await flush();
    tab.closed = true;
    close();
    await flush();
    expect(sent.code).toBe('CLOSED');
  });
});

