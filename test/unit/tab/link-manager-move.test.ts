/**
 * The link a move attaches (src/tab/link-manager.ts `moveTo`) is never the link attaching
 * while none is in use (`connecting`), which speaks for the tab's state and channels: not
 * while the move is under way, nor once it is given up (`stay`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { linkManager } from '../../../src/tab/link-manager.ts';
import { createRouter } from '../../../src/tab/router.ts';
import { connectionState } from '../../../src/tab/connection-state.ts';
import type { TabEnvironment } from '../../../src/tab/environment.ts';
import type { Host } from '../../../src/tab/hosts/host.ts';
import type { AttachRequest, BrokerConfig } from '../../../src/link/messages.ts';
import { serveControl } from '../../../src/broker/control.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { FakeLockManager } from '../../support/fake-lock-manager.ts';

const ports: MessagePort[] = [];
afterEach(() => {
  for (const port of ports.splice(0)) port.close();
});

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A link manager whose every host is a broker that attaches at once. */
function world() {
  const clock = new FakeClock();
  const locks = new FakeLockManager();
  let brokers = 0;
  const serve = (): Host => {
    const control = new MessageChannel();
    const stream = new MessageChannel();
    ports.push(control.port1, control.port2, stream.port1, stream.port2);
    const brokerLock = `broker-${brokers++}`;
    void locks.request(brokerLock, {}, () => new Promise<void>(() => {}));
    serveControl(control.port2, {
      attach: (request: AttachRequest) => ({ brokerId: brokerLock, buildId: request.buildId, brokerLock, status: 'connecting', reason: 'initial' }),
      detach() {},
      subscribe() {},
      unsubscribe() {},
    });
    return { control: control.port1, stream: stream.port1, close: () => control.port1.close() };
  };
  const env = { clock, locks, available: { worker: true, leader: true }, openHost: async () => serve(), online: () => true, visible: () => true } as unknown as TabEnvironment;
  const links = linkManager(
    {
      env,
      options: { url: 'wss://x/realtime', getToken: () => 't', sharing: 'worker' },
      config: { url: 'wss://x/realtime' } as BrokerConfig,
      tabId: 'tab-1',
      lockName: 'tabwire-tab:tab-1',
      buildId: 'build-1',
      callTimeoutMs: 1000,
      connection: connectionState(() => {}, () => {}),
      router: createRouter(clock, () => {}, () => false),
      emitError: () => {},
    },
    'worker',
  );
  links.start(Promise.resolve(), { onStream: () => () => {}, subscribe: () => {}, unsubscribe: () => {} });
  return links;
}

describe('link manager: the link a move attaches', () => {
  it('is not the link attaching once the move is given up', async () => {
    const links = world();
    await settle();
    const next = (await links.moveTo({ mode: 'worker', buildId: 'build-2' }))!;
    links.stay(next);
    expect(links.connecting === next).toBe(false);
    expect(links.target.buildId).toBe('build-1');
  });

  it('is not the link attaching while the move is under way, and is the link in use once adopted', async () => {
    const links = world();
    await settle();
    const next = (await links.moveTo({ mode: 'worker', buildId: 'build-2' }))!;
    expect(links.connecting === next).toBe(false);
    links.adopt(next);
    expect(links.current === next).toBe(true);
  });
});
