/**
 * A channel handle of the provider's bindable broker across bound brokers: each next broker is
 * another connection, where the channel starts from no position, so a handle that held the
 * channel on an earlier one tells its resync listeners `{ complete: false }` once the channel is
 * subscribed again — and tells nothing for StrictMode's bind, unbind, bind before anything was held.
 */
import { describe, expect, it } from 'vitest';
import { bindableBroker } from '../../src/tab/react-broker.ts';
import { type MemoryBroker, createMemoryBroker } from '../../src/testing.ts';

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function recorded() {
  const broker = bindableBroker((error) => {
    throw error;
  });
  const handle = broker.channel<string>('room', { id: 1 });
  const seen: string[] = [];
  handle.on((message) => seen.push(`message:${message}`));
  handle.onState((state) => seen.push(`state:${state}`));
  handle.onResync(({ complete }) => seen.push(`resync:${complete}`));
  return { broker, handle, seen };
}

/** Binds a new memory broker (idle) and returns it with its unbind, which also closes it, as the provider does. */
function bindNew(broker: ReturnType<typeof bindableBroker>): { to: MemoryBroker; leave: () => void } {
  const to = createMemoryBroker({ state: 'idle' });
  const unbind = broker.bind(to);
  return {
    to,
    leave: () => {
      unbind();
      to.close();
    },
  };
}

describe('a channel of the bindable broker', () => {
  it('tells { complete: false } once per next broker, after the channel is subscribed there', async () => {
    const { broker, seen } = recorded();
    const first = bindNew(broker);
    first.to.setState('open', 'auth-accepted');
    await flush();
    first.to.publish('room', { id: 1 }, 'a');
    first.leave();
    const second = bindNew(broker);
    await flush();
    expect(seen).toEqual(['state:subscribed', 'message:a', 'state:subscribing']);
    second.to.setState('open', 'auth-accepted');
    await flush();
    expect(seen).toEqual(['state:subscribed', 'message:a', 'state:subscribing', 'state:subscribed', 'resync:false']);
    second.to.publish('room', { id: 1 }, 'b');
    second.leave();
    const third = bindNew(broker);
    third.to.setState('open', 'auth-accepted');
    await flush();
    expect(seen.slice(5)).toEqual(['message:b', 'state:subscribing', 'state:subscribed', 'resync:false']);
  });

  it("tells nothing for StrictMode's bind, unbind, bind before the channel was subscribed", async () => {
    const { broker, seen } = recorded();
    bindNew(broker).leave();
    const kept = bindNew(broker);
    kept.to.setState('open', 'auth-accepted');
    await flush();
    expect(seen).toEqual(['state:subscribed']);
  });

  it('tells nothing after it was unsubscribed', async () => {
    const { broker, handle, seen } = recorded();
    const first = bindNew(broker);
    first.to.setState('open', 'auth-accepted');
    await flush();
    first.leave();
    handle.unsubscribe();
    const second = bindNew(broker);
    second.to.setState('open', 'auth-accepted');
    await flush();
    expect(seen).toEqual(['state:subscribed']);
    expect(second.to.channels()).toEqual([]);
  });
});
