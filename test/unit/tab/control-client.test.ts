/**
 * The control plane over comlink: what the wrapper adds to it. Calls that were
 * in flight when the broker was lost reject, codes survive the trip, arguments
 * that cannot be cloned fail as INVALID_ARGUMENT, the stream port is handed over
 * with `attach`, and plain calls work over a BroadcastChannel (the leader).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serveControl } from '../../../src/broker/control.ts';
import { TabwireError, errorData } from '../../../src/link/errors.ts';
import { type AttachReply, type AttachRequest, linkVersion } from '../../../src/link/messages.ts';
import { createControlClient } from '../../../src/tab/control-client.ts';
import { ChannelBus } from '../../support/fake-channels.ts';

const channels: MessageChannel[] = [];
function pair() {
  const channel = new MessageChannel();
  channels.push(channel);
  return channel;
}
afterEach(() => {
  for (const channel of channels.splice(0)) {
    channel.port1.close();
    channel.port2.close();
  }
});

const reply: AttachReply = { brokerId: 'b', buildId: 'x', brokerLock: 'lock', status: 'open', reason: 'auth-accepted' };
const request = { tabId: 't', linkVersion, buildId: 'x', lockName: 'l', patterns: [], online: true, visible: true } as unknown as AttachRequest;
const never = () => new Promise<never>(() => {});

describe('control plane (comlink)', () => {
  it('calls named methods and returns their (async) results', async () => {
    const { port1, port2 } = pair();
    serveControl(port2, { stats: async () => ({ tabs: 2 }) as never, send: (message) => message === 'hi' });
    const client = createControlClient(port1);
    await expect(client.call('stats', [])).resolves.toEqual({ tabs: 2 });
    await expect(client.call('send', ['hi'])).resolves.toBe(true);
  });

  it('brings errors back as TabwireError with the code and message the broker gave', async () => {
    const { port1, port2 } = pair();
    serveControl(port2, {
      send: () => {
        throw errorData('BUFFER_FULL', 'full');
      },
      recent: () => Promise.reject(errorData('NOT_READY', 'no session yet')),
      stats: () => {
        throw new TypeError('boom');
      },
    });
    const client = createControlClient(port1);
    const full = await client.call('send', []).catch((error: unknown) => error);
    expect(full).toBeInstanceOf(TabwireError);
    expect(full).toMatchObject({ code: 'BUFFER_FULL', message: 'full' });
    await expect(client.call('recent', [])).rejects.toMatchObject({ code: 'NOT_READY', message: 'no session yet' });
    // A bug's Error crosses as INTERNAL with its message only: no stack, no class.
    const internal = await client.call('stats', []).catch((error: unknown) => error);
    expect(internal).toMatchObject({ name: 'TabwireError', code: 'INTERNAL', message: 'boom' });
  });

  it('rejects every call in flight when the broker is lost, and every later one, without posting', async () => {
    const { port1, port2 } = pair();
    let received!: () => void;
    const arrived = new Promise<void>((resolve) => (received = resolve));
    let calls = 0;
    serveControl(port2, { recent: () => (calls++, never()), send: () => (received(), never()) });
    const client = createControlClient(port1);
    const inFlight = [client.call('recent', []), client.call('send', ['x'])];
    // The worker dies mid-call: its end closes and nothing ever answers.
    await arrived;
    port2.close();
    client.failAll({ code: 'WORKER_LOST', message: 'gone' });
    for (const call of inFlight) {
      await expect(call).rejects.toBeInstanceOf(TabwireError);
      await expect(call).rejects.toMatchObject({ code: 'WORKER_LOST', message: 'gone' });
    }
    await expect(client.call('stats', [])).rejects.toMatchObject({ code: 'WORKER_LOST' });
    await expect(client.attach(request)).rejects.toMatchObject({ code: 'WORKER_LOST' });
    expect(calls).toBe(1);
  });

  it('fails a call whose arguments cannot be cloned with INVALID_ARGUMENT, without sending it', async () => {
    const { port1, port2 } = pair();
    let calls = 0;
    serveControl(port2, { send: () => (calls++, true), stats: async () => ({}) as never });
    const client = createControlClient(port1);
    await expect(client.call('send', [{ run: () => 1 }])).rejects.toMatchObject({ name: 'TabwireError', code: 'INVALID_ARGUMENT', message: expect.stringContaining('cannot send send') });
    // The link is still good for the next call.
    await expect(client.call('stats', [])).resolves.toEqual({});
    expect(calls).toBe(0);
  });

  it('hands the stream port over with attach, as a transfer', async () => {
    const { port1, port2 } = pair();
    const stream = pair();
    let received: unknown;
    serveControl(port2, {
      attach: (_request, port) => {
        received = port;
        port?.postMessage('hello');
        return reply;
      },
    });
    const client = createControlClient(port1);
    const heard = new Promise((resolve) => (stream.port1.onmessage = (event) => resolve(event.data)));
    await expect(client.attach(request, stream.port2)).resolves.toEqual(reply);
    expect(received).toBeInstanceOf(MessagePort);
    await expect(heard).resolves.toBe('hello');
  });

  it('stops answering once served no more', async () => {
    const { port1, port2 } = pair();
    const stop = serveControl(port2, { stats: async () => ({}) as never });
    const client = createControlClient(port1);
    await expect(client.call('stats', [])).resolves.toEqual({});
    stop();
    const late = client.call('stats', []);
    const settled = await Promise.race([late.then(() => 'answered', () => 'failed'), new Promise((resolve) => setTimeout(resolve, 50, 'pending'))]);
    expect(settled).toBe('pending');
    client.failAll({ code: 'WORKER_LOST', message: 'gone' });
    await expect(late).rejects.toMatchObject({ code: 'WORKER_LOST' });
  });

  describe('over a BroadcastChannel pair (the leader), where no port can travel', () => {
    const channelPair = () => {
      const bus = new ChannelBus();
      const page = bus.page();
      return { tab: new page.Channel('ctl|t'), leader: new page.Channel('ctl|t') };
    };

    it('attaches without a port, calls, and keeps codes', async () => {
      const { tab, leader } = channelPair();
      serveControl(leader, {
        attach: (_request, port) => (port === undefined ? reply : { ...reply, brokerId: 'port?' }),
        subscribe: (pattern) => {
          if (pattern === '') throw errorData('INVALID_ARGUMENT', 'invalid subscription pattern ""');
        },
      });
      const client = createControlClient(tab);
      await expect(client.attach(request)).resolves.toEqual(reply);
      await expect(client.call('subscribe', ['goal.*'])).resolves.toBeUndefined();
      await expect(client.call('subscribe', [''])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'invalid subscription pattern ""' });
    });

    it('a leader that is gone rejects what was in flight; nothing is posted to the closed channel after', async () => {
      const { tab, leader } = channelPair();
      serveControl(leader, { recent: never });
      const client = createControlClient(tab);
      const inFlight = client.call('recent', []);
      leader.close();
      client.failAll({ code: 'WORKER_LOST', message: 'the leader left' });
      tab.close();
      await expect(inFlight).rejects.toMatchObject({ code: 'WORKER_LOST', message: 'the leader left' });
      // A closed BroadcastChannel throws on post: a later call must reject with the loss, not throw that.
      await expect(client.call('stats', [])).rejects.toMatchObject({ code: 'WORKER_LOST' });
    });
  });
});
