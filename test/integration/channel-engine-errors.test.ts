/**
 * A channel dialect that refuses what a tab asked of it (`TabwireError` data with code
 * `INVALID_ARGUMENT` thrown from `subscribe`, `request` or `send`: bad GraphQL params, a Socket.IO
 * message of the wrong shape) refuses that call alone, with its own message, rather than counting
 * as a dialect that failed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TabwireError } from '../../src/link/errors.ts';
import type { ChannelProtocol, DialectConnection } from '../../src/broker/protocol/channel-dialect.ts';
import { type World, createWorld, until, worldStats } from '../support/broker-world.ts';
import { type ChannelServer, startChannelServer } from '../support/channel-server.ts';
import { fakeChannelDialect } from '../support/fake-channel-dialect.ts';

let world: World | undefined;
let server: ChannelServer | undefined;
afterEach(async () => {
  await world?.dispose();
  await server?.close();
  world = server = undefined;
});

const refusal = { code: 'INVALID_ARGUMENT', message: 'the test dialect takes nothing marked bad' };
const bad = (value: unknown) => typeof value === 'object' && value !== null && 'bad' in value;

/** The fake dialect, refusing (as a preset does) any params or message marked `bad`. */
function strictDialect(): ChannelProtocol {
  const inner = fakeChannelDialect();
  return {
    ...inner,
    connect(context) {
      const connection = inner.connect(context);
      const strict: DialectConnection = {
        ...connection,
        subscribe(key, channel, from) {
          if (bad(channel.params)) throw { ...refusal };
          connection.subscribe(key, channel, from);
        },
        request(id, message) {
          if (bad(message)) throw { ...refusal };
          connection.request(id, message);
        },
        send(message) {
          if (bad(message)) throw { ...refusal };
          connection.send!(message);
        },
      };
      return strict;
    },
  };
}

async function strictWorld() {
  server = await startChannelServer();
  world = await createWorld({ deps: { protocol: strictDialect() }, config: { url: server.url } });
  const tab = await world.tab();
  await until(() => expect(tab.status).toBe('open'));
  return { server, world, tab };
}

describe("a dialect's INVALID_ARGUMENT", () => {
  it('rejects that request() with its code and message, and no dialect failure is counted', async () => {
    const { world, tab } = await strictWorld();
    await expect(tab.broker.request({ bad: true })).rejects.toMatchObject(refusal);
    expect((await worldStats(world)).dropped.dialect).toBe(0);
    expect(tab.errors.filter((e) => e.code === 'DIALECT_FAILED')).toEqual([]);
  });

  it('rejects that send() with its code and message; nothing goes out', async () => {
    const { server, world, tab } = await strictWorld();
    await expect(tab.broker.send({ bad: true })).rejects.toMatchObject(refusal);
    await expect(tab.broker.send({ good: true })).resolves.toBe(true);
    await until(() => expect(server.received.filter((op) => op.op === 'app')).toEqual([{ op: 'app', data: { good: true } }]));
    expect((await worldStats(world)).dropped.dialect).toBe(0);
  });

  it("ends that channel with it for the channel's tabs, and the others go on", async () => {
    const { server, world, tab } = await strictWorld();
    const errors: TabwireError[] = [];
    const refused = tab.broker.channel('room', { bad: true });
    refused.onError((error) => errors.push(error));
    const fine = tab.broker.channel('room', { id: 1 });
    await until(() => expect(fine.state).toBe('subscribed'));
    await until(() => expect(refused.state).toBe('error'));
    expect(errors.map((e) => ({ code: e.code, message: e.message }))).toEqual([refusal]);
    expect(server.count('sub')).toBe(1);
    expect((await worldStats(world)).dropped.dialect).toBe(0);
  });
});
