/**
 * The link manager in Node: hosts opened by a scripted environment, brokers served with
 * comlink over MessageChannels, the broker's lock in the fake lock manager, time on the
 * fake clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { linkManager } from '../../../src/tab/link-manager.ts';
import { createRouter } from '../../../src/tab/router.ts';
import { connectionState } from '../../../src/tab/connection-state.ts';
import type { HostRequest, TabEnvironment } from '../../../src/tab/environment.ts';
import type { Host, Sharing } from '../../../src/tab/hosts/host.ts';
import { TabwireError, type TabwireErrorCode, type TabwireErrorData } from '../../../src/link/errors.ts';
import type { AttachRequest, BrokerConfig } from '../../../src/link/messages.ts';
import type { RealtimeEvent } from '../../../src/link/events.ts';
import type { ConnectionStatus, TransitionReason } from '../../../src/link/states.ts';
import { serveControl } from '../../../src/broker/control.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { FakeLockManager } from '../../support/fake-lock-manager.ts';

const ports: MessagePort[] = [];
afterEach(() => {
  for (const port of ports.splice(0)) port.close();
});

/** Let port messages and lock grants through (they are not timers). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** What `openHost` does for the n-th host asked for: fail with a code, or serve a broker. */
type Script = (request: HostRequest, n: number) => { fail: TabwireErrorCode } | { attach: 'ok' | TabwireErrorCode };

/** `sharing`: the app's option; `auto` starts with a worker, as pickSharing would here. */
function world(script: Script, { sharing = 'worker', available = { worker: true, leader: true } }: { sharing?: Sharing | 'auto'; available?: TabEnvironment['available'] } = {}) {
  const clock = new FakeClock();
  const locks = new FakeLockManager();
  const opened: Array<{ mode: Sharing; at: number }> = [];
  const attaches: AttachRequest[] = [];
  const brokers: Array<{ die(): void }> = [];
  const errors: TabwireErrorData[] = [];
  const states: Array<[ConnectionStatus, TransitionReason]> = [];

  const serve = (failure: 'ok' | TabwireErrorCode): Host => {
    const control = new MessageChannel();
    const stream = new MessageChannel();
    ports.push(control.port1, control.port2, stream.port1, stream.port2);
    const brokerLock = `broker-${brokers.length}`;
    let release!: () => void;
    void locks.request(brokerLock, {}, () => new Promise<void>((resolve) => (release = resolve)));
    brokers.push({ die: () => release() });
    serveControl(control.port2, {
      attach(request: AttachRequest) {
        attaches.push(request);
        if (failure !== 'ok') throw { code: failure, message: `refused: ${failure}` };
        return { brokerId: brokerLock, buildId: request.buildId, brokerLock, status: 'open', reason: 'auth-accepted' };
      },
      detach() {},
      subscribe() {},
      unsubscribe() {},
    });
    return { control: control.port1, stream: stream.port1, close: () => control.port1.close() };
  };

  const env = {
    clock,
    locks,
    available,
    async openHost(request: HostRequest) {
      opened.push({ mode: request.target.mode, at: clock.monotonic() });
      const step = script(request, opened.length - 1);
      if ('fail' in step) throw new TabwireError({ code: step.fail, message: `cannot start: ${step.fail}` });
      return serve(step.attach);
    },
    online: () => true,
    visible: () => true,
  } as unknown as TabEnvironment;

  const router = createRouter(clock, () => {}, () => false);
  const connection = connectionState(() => {}, () => {});
  connection.listeners.add((next, _prev, why) => states.push([next, why]));
  const links = linkManager(
    {
      env,
      options: { url: 'wss://x/realtime', getToken: () => 't', sharing },
      config: { url: 'wss://x/realtime' } as BrokerConfig,
      tabId: 'tab-1',
      lockName: 'tabwire-tab:tab-1',
      buildId: 'build-1',
      callTimeoutMs: 1000,
      connection,
      router,
      emitError: (error) => errors.push(error),
    },
    sharing === 'auto' ? 'worker' : sharing,
  );

  /** Run the fake clock for `ms`, letting ports and promises through at every 100 ms. */
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      await settle();
      clock.advance(100);
    }
    await settle();
  };
  return { clock, locks, links, router, connection, opened, attaches, brokers, errors, states, run };
}

/** The links' wiring: no stream listener, no subscriptions to tell. */
const wiring = { onStream: () => () => {}, subscribe: () => {}, unsubscribe: () => {} };

const event = (timestamp: string): RealtimeEvent => ({ type: 'goal.created', timestamp, data: {} }) as RealtimeEvent;

describe('link manager: attaching', () => {
  it('attaches to the broker and takes the state its reply tells', async () => {
    const { links, attaches, states, run } = world(() => ({ attach: 'ok' }));
    links.start(Promise.resolve(), wiring);
    await run(0);
    expect(links.current?.brokerId).toBe('broker-0');
    expect(attaches).toMatchObject([{ tabId: 'tab-1', lockName: 'tabwire-tab:tab-1', buildId: 'build-1', online: true, visible: true }]);
    expect(states).toEqual([['open', 'auth-accepted']]);
  });

  it('falls back from a SharedWorker that will not start to a leader tab, and says so once', async () => {
    const { links, opened, errors, run } = world((request) => (request.target.mode === 'worker' ? { fail: 'WORKER_UNAVAILABLE' } : { attach: 'ok' }), { sharing: 'auto' });
    links.start(Promise.resolve(), wiring);
    await run(0);
    expect(opened.map((host) => host.mode)).toEqual(['worker', 'leader']);
    expect(links.target.mode).toBe('leader');
    expect(links.current).toBeDefined();
    expect(errors.map((error) => error.code)).toEqual(['WORKER_UNAVAILABLE']);
  });

  it('falls back to a broker of its own where no leader can be elected', async () => {
    const { links, opened, run } = world((request) => (request.target.mode === 'worker' ? { fail: 'TIMEOUT' } : { attach: 'ok' }), {
      sharing: 'auto',
      available: { worker: true, leader: false },
    });
    links.start(Promise.resolve(), wiring);
    await run(0);
    expect(opened.map((host) => host.mode)).toEqual(['worker', 'none']);
  });

  it('retries a broker that cannot start after 0.5, 1, 2, 4 s … on the clock, when the app insisted on it', async () => {
    const { links, opened, errors, run } = world((_request, n) => (n < 4 ? { fail: 'WORKER_UNAVAILABLE' } : { attach: 'ok' }), { sharing: 'worker' });
    links.start(Promise.resolve(), wiring);
    await run(10_000);
    expect(opened.map((host) => host.at)).toEqual([0, 500, 1500, 3500, 7500]);
    expect(opened.every((host) => host.mode === 'worker')).toBe(true);
    expect(errors).toHaveLength(4);
    expect(links.current).toBeDefined();
  });

  it('gives up when the broker refuses the options: trying again cannot help', async () => {
    const { links, attaches, errors, run } = world(() => ({ attach: 'INVALID_ARGUMENT' }));
    links.start(Promise.resolve(), wiring);
    await run(60_000);
    await links.ready;
    expect(attaches).toHaveLength(1);
    expect(errors.map((error) => error.code)).toEqual(['INVALID_ARGUMENT']);
    expect(links.current).toBeUndefined();
  });
});

describe('link manager: losing the broker', () => {
  it("re-attaches when the broker's lock is released, asking for what came since the last event", async () => {
    const { links, router, brokers, attaches, states, run } = world(() => ({ attach: 'ok' }));
    links.start(Promise.resolve(), wiring);
    await run(0);
    router.deliver([event('2025-11-03T14:30:00.000Z'), event('2025-11-03T14:30:05.000Z')], false);
    brokers[0]!.die();
    await run(0);
    expect(links.current?.brokerId).toBe('broker-1');
    expect(attaches[1]).toMatchObject({ since: '2025-11-03T14:30:05.000Z' });
    expect(attaches[1]).not.toHaveProperty('resumed');
    expect(states).toContainEqual(['connecting', 'worker-lost']);
  });

  it('says it resumed with nothing received when no event came before the broker died', async () => {
    const { links, brokers, attaches, run } = world(() => ({ attach: 'ok' }));
    links.start(Promise.resolve(), wiring);
    await run(0);
    brokers[0]!.die();
    await run(0);
    expect(attaches[1]).toMatchObject({ resumed: true });
    expect(attaches[1]).not.toHaveProperty('since');
  });

  it('asks for nothing since once attached again: a later attach (a move) is a fresh one', async () => {
    const { links, router, brokers, attaches, run } = world(() => ({ attach: 'ok' }));
    links.start(Promise.resolve(), wiring);
    await run(0);
    router.deliver([event('2025-11-03T14:30:00.000Z')], false);
    brokers[0]!.die();
    await run(0);
    await links.moveTo(links.target);
    expect(attaches.map((request) => [request.since, request.resumed])).toEqual([
      [undefined, undefined],
      ['2025-11-03T14:30:00.000Z', undefined],
      [undefined, undefined],
    ]);
  });

  it('does not follow a broker it left: its death changes nothing', async () => {
    const { links, locks, brokers, attaches, run } = world(() => ({ attach: 'ok' }));
    links.start(Promise.resolve(), wiring);
    await run(0);
    const left = links.current!;
    links.adopt((await links.moveTo(links.target))!);
    void links.leave(left);
    await run(200);
    expect(locks.queued('broker-0')).toBe(0);
    brokers[0]!.die();
    await run(0);
    expect(attaches).toHaveLength(2);
  });
});
