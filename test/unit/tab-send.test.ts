/**
 * A `send()` waiting in the broker's buffer is not bounded by `callTimeoutMs`: it settles
 * when it is written, refused, the broker dies or this tab closes (README, "Every call
 * settles"). Rejecting it with TIMEOUT while the message may still go out would invite
 * the app to send it twice.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Broker, connectBroker } from '../../src/tab/client.ts';
import { fakePage } from '../support/fake-page.ts';

let page: ReturnType<typeof fakePage>;
let broker: Broker | undefined;

/** Let messages between the ports be delivered (they are not timers). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

afterEach(() => {
  broker?.close();
  broker = undefined;
  page.dispose();
  vi.useRealTimers();
});

describe('send() waiting in the buffer', () => {
  it('is not failed with TIMEOUT after callTimeoutMs: it waits for the broker', async () => {
    let written!: (ok: boolean) => void;
    page = fakePage({ send: () => new Promise<boolean>((resolve) => (written = resolve)) });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    broker = connectBroker({ url: 'wss://x/realtime', getToken: () => 't', sharing: 'worker', worker: page.worker, callTimeoutMs: 1000 });
    await broker.ready;
    const sent = broker.send({ action: 'x' }).then(
      (value) => value,
      (error: { code: string }) => error.code,
    );
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    written(true);
    await settle();
    expect(await sent).toBe(true);
  });
});
