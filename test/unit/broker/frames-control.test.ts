/**
 * The broker's control plane answers only its own calls, by name: comlink walks any path a
 * caller sends, so a path into a call's own properties (`send.constructor`, `send.__proto__…`)
 * or any other kind of message (get, set, construct) is refused with a clear error.
 */
import { type Remote, wrap } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { serveControl } from '../../../src/broker/control.ts';
import type { ControlApi } from '../../../src/link/rpc.ts';

let channel: MessageChannel | undefined;
afterEach(() => {
  channel?.port1.close();
  channel?.port2.close();
});

function served(): { remote: Remote<ControlApi>; sent: unknown[] } {
  channel = new MessageChannel();
  const sent: unknown[] = [];
  serveControl(channel.port1, { send: (message) => (sent.push(message), true), reconnect: () => {} });
  channel.port1.start();
  return { remote: wrap<ControlApi>(channel.port2), sent };
}

/** Whatever comes back, within a second: a refusal must come back, not hang. */
function settled(promise: unknown): Promise<unknown> {
  return Promise.race([
    Promise.resolve(promise).then((value) => ({ resolved: value }), (error: unknown) => ({ rejected: error })),
    new Promise((resolve) => setTimeout(() => resolve('no answer'), 1000)),
  ]);
}

const refused = { rejected: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/not a broker call/) } };

describe('serveControl', () => {
  it('answers its calls', async () => {
    const { remote, sent } = served();
    expect(await remote.send({ a: 1 })).toBe(true);
    expect(sent).toEqual([{ a: 1 }]);
  });

  it('refuses a call to send.constructor', async () => {
    const { remote } = served();
    const send = remote.send as unknown as { constructor: (code: string) => unknown };
    expect(await settled(send.constructor('return 1'))).toEqual(refused);
  });

  it('refuses a call to send.__proto__.constructor', async () => {
    const { remote } = served();
    const send = remote.send as unknown as Record<string, { constructor: (code: string) => unknown }>;
    expect(await settled(send['__proto__']!.constructor('return 1'))).toEqual(refused);
  });

  it('refuses send.call, a deeper path to the call itself', async () => {
    const { remote, sent } = served();
    const send = remote.send as unknown as { call: (self: unknown, message: unknown) => unknown };
    expect(await settled(send.call(undefined, { b: 2 }))).toEqual(refused);
    expect(sent).toEqual([]);
  });

  it('refuses a name it does not serve, and reading a property', async () => {
    const { remote } = served();
    const loose = remote as unknown as Record<string, unknown> & { send: { name: unknown } };
    expect(await settled((loose.stats as () => unknown)())).toEqual(refused);
    expect(await settled((loose.toString as () => unknown)())).toEqual(refused);
    expect(await settled(loose.send.name)).toEqual(refused);
  });

  it('refuses replacing a call (a set message), and keeps serving it', async () => {
    const { remote } = served();
    const answer = new Promise<unknown>((resolve) => {
      channel!.port2.addEventListener('message', (event: MessageEvent) => {
        if ((event.data as { id?: unknown }).id === 'set-1') resolve(event.data);
      });
    });
    channel!.port2.postMessage({ id: 'set-1', type: 'SET', path: ['send'], value: { type: 'RAW', value: 1 } });
    expect(await answer).toMatchObject({ type: 'HANDLER', name: 'throw', value: { isError: false, value: { code: 'INVALID_ARGUMENT' } } });
    expect(await remote.send({ c: 3 })).toBe(true);
  });

  it('refuses a call whose arguments comlink cannot read, instead of throwing inside it (found by review)', async () => {
    served();
    const port = channel!.port2;
    const answers: unknown[] = [];
    port.addEventListener('message', (event) => answers.push(event.data));
    port.start();
    port.postMessage({ id: 'a', type: 'APPLY', path: ['send'], argumentList: 'x' });
    port.postMessage({ id: 'b', type: 'APPLY', path: ['send'], argumentList: [{ type: 'HANDLER', name: 'nope', value: 1 }] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answers.map((answer) => (answer as { id: string }).id).sort()).toEqual(['a', 'b']);
  });
});

