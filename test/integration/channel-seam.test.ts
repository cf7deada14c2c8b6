/**
 * A `ChannelProtocol` driven by the real broker over a real socket: one `DialectConnection` per
 * socket, every frame handed to it as it came (text that is not JSON, binary), its messages acted
 * on in order — the handshake's acceptance, events through the usual event path, pings — and a
 * dialect that throws or cannot read a frame costs that frame alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, createWorld, until, worldStats } from '../support/broker-world.ts';
import { type ChannelServer, startChannelServer } from '../support/channel-server.ts';
import { type FakeDialectOptions, fakeChannelDialect } from '../support/fake-channel-dialect.ts';

let world: World | undefined;
let server: ChannelServer | undefined;
afterEach(async () => {
  await world?.dispose();
  await server?.close();
  world = server = undefined;
});

async function channelWorld(options: FakeDialectOptions = {}) {
  server = await startChannelServer();
  const dialect = fakeChannelDialect(options);
  world = await createWorld({ deps: { protocol: dialect }, config: { url: server.url } });
  return { server, dialect, world };
}

const event = (goalId: string) => ({ op: 'event', event: { type: 'goal.created', timestamp: new Date().toISOString(), data: { goalId } } });

describe('a channel dialect in the engine', () => {
  it('opens with the dialect, whose acceptance ends the handshake, on one connection per socket', async () => {
    const { server, dialect, world } = await channelWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    expect(server.received.filter((op) => op.op === 'hello')).toHaveLength(1);
    expect(dialect.log.connections).toBe(1);
    expect((await worldStats(world)).session).toMatchObject({ userId: 'u1' });
    server.drop();
    await until(() => expect(server.count('hello')).toBe(2));
    await until(() => expect(tab.status).toBe('open'));
    expect(dialect.log.connections).toBe(2);
  });

  it('relays its events through the event path, from text and from binary frames', async () => {
    const { server, world } = await channelWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    server.raw(JSON.stringify(event('g1')));
    server.raw(Buffer.from(JSON.stringify(event('g2'))));
    // One event twice: deduplicated as any event is.
    const again = event('g3');
    server.raw(JSON.stringify([again, again]));
    await until(() => expect(tab.events.map((e) => e.data.goalId)).toEqual(['g1', 'g2', 'g3']));
  });

  it('hands non-JSON text to the dialect, and counts what it cannot read without dropping the socket', async () => {
    const { server, dialect, world } = await channelWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    server.raw('m|nobody|1|plain text');
    server.raw('neither JSON nor m|');
    await until(async () => expect((await worldStats(world)).dropped.malformed).toBe(1));
    expect(dialect.log.frames).toContain('m|nobody|1|plain text');
    server.raw(JSON.stringify(event('after')));
    await until(() => expect(tab.events.map((e) => e.data.goalId)).toEqual(['after']));
    expect(tab.status).toBe('open');
  });

  it('drops a frame the dialect throws on, counted and reported, and goes on', async () => {
    const { server, world } = await channelWorld({ throwOn: 'BOOM' });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    server.raw('BOOM');
    server.raw('BOOM again');
    server.raw(JSON.stringify(event('g1')));
    await until(() => expect(tab.events.map((e) => e.data.goalId)).toEqual(['g1']));
    expect((await worldStats(world)).dropped.dialect).toBe(2);
    expect(tab.errors.filter((e) => e.code === 'DIALECT_FAILED')).toHaveLength(1);
    expect(tab.status).toBe('open');
  });

  it("answers the server's ping with the dialect's reply", async () => {
    const { server, world } = await channelWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    server.raw(JSON.stringify({ op: 'ping' }));
    await until(() => expect(server.count('pong')).toBe(1));
  });

  it("frames a tab's send() through the dialect", async () => {
    const { server, world } = await channelWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    await expect(tab.broker.send({ hi: 1 })).resolves.toBe(true);
    await until(() => expect(server.received.filter((op) => op.op === 'app')).toEqual([{ op: 'app', data: { hi: 1 } }]));
  });
});
