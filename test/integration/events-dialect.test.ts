/**
 * The real broker against the mock backend's second dialect, which shares nothing with
 * PurposePath's: a session cookie on the upgrade, `{ event, ts, id, payload }` envelopes,
 * server pings expecting a pong, no tenant. Configured only through the `protocol` option.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerStats } from '../../src/link/stats.ts';
import type { JsonProtocolOptions } from '../../src/link/protocol-option.ts';
import { type TestTab, type World, createWorld, until } from '../support/broker-world.ts';
import type { TabConfig } from '../support/tab-harness.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});

/** The dialect as docs/protocols.md describes it to an app. */
const eventsSpecInput = {
  preset: 'json',
  envelope: { type: 'event', timestamp: 'ts', id: 'id', data: 'payload' },
  auth: 'cookie',
  control: { authSuccess: 'session.ready', authError: 'session.refused' },
} as const;
const eventsProtocol: JsonProtocolOptions = { ...eventsSpecInput, keepAlive: { pong: 'pong', reply: { event: 'pong' } } };

async function eventsWorld(config: TabConfig = {}, serverPingMs = 30_000): Promise<World> {
  return createWorld({ cookie: true, backend: { dialect: 'events', serverPingMs }, config: { protocol: eventsProtocol, ...config } });
}

const texts = (tab: TestTab) => tab.events.map((e) => `${String(e.data.text)}${e.replayed ? '*' : ''}`);

describe('a cookie-session backend in another dialect', () => {
  it('shares one socket, authenticated by the cookie on the upgrade, without asking a tab for a token', async () => {
    world = await eventsWorld();
    const tabs = [await world.tab(), await world.tab(), await world.tab()];
    await until(() => expect(tabs.every((t) => t.status === 'open')).toBe(true));
    const stats = world.backend.stats();
    expect(stats).toMatchObject({ connections: 1, handshakes: 1, authSuccesses: 1, upstream: 0 });
    expect(tabs.map((t) => t.tokenCalls)).toEqual([0, 0, 0]);
    // The acceptance is control traffic of this dialect: no tab sees it as an event.
    expect(tabs[0]!.events).toEqual([]);
  });

  it('relays its envelopes normalised, and drops nothing for a shape no schema declares', async () => {
    world = await eventsWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'chat.message', { text: 'hi' });
    // A type PurposePath's catalogue knows, in this app's own shape: no schema here, so relayed.
    world.backend.broadcast('tenant-123', { type: 'issue.created', timestamp: new Date().toISOString(), data: { id: 'i1', title: 'Bug' } });
    await until(() => expect(tab.events).toHaveLength(2));
    expect(tab.events[0]).toMatchObject({ type: 'chat.message', data: { text: 'hi' } });
    expect(tab.events[0]!.eventId).toMatch(/^chat\.message@\d+$/);
    expect(Number.isNaN(Date.parse(tab.events[0]!.timestamp))).toBe(false);
    expect(tab.events[1]).toMatchObject({ type: 'issue.created', data: { id: 'i1', title: 'Bug' } });
    expect(tab.errors).toEqual([]);
  });

  it("checks the app's schemas, and only for the types they name", async () => {
    world = await eventsWorld({ schemas: { 'chat.message': 'text from' } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'chat.message', { text: 5, from: 'ann' });
    world.backend.emit('tenant-123', 'chat.message', { text: 'ok', from: 'bob' });
    world.backend.emit('tenant-123', 'chat.typing', { who: 7 });
    await until(() => expect(tab.events.map((e) => e.type)).toEqual(['chat.message', 'chat.typing']));
    expect(texts(tab)).toEqual(['ok', 'undefined']);
    expect(tab.errors).toEqual([expect.objectContaining({ code: 'INVALID_PAYLOAD', message: 'chat.message: text must be a string, got number' })]);
  });

  it("answers the server's pings, so the server keeps the socket", async () => {
    world = await eventsWorld({}, 100);
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    await until(() => expect(world.backend.stats().pongs).toBeGreaterThanOrEqual(4), 3000);
    expect(world.backend.stats().connections).toBe(1);
    expect(tab.status).toBe('open');
  });

  it('replaces a socket whose server stopped answering its pings', async () => {
    const protocol: JsonProtocolOptions = { ...eventsSpecInput, keepAlive: { frame: { event: 'ping' }, pong: 'pong', reply: { event: 'pong' }, timeoutMs: 200 } };
    world = await eventsWorld({ protocol, keepAliveMs: 1000 });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    await until(() => expect(world.backend.stats().pings).toBe(1), 3000);
    expect(world.backend.stats().connections).toBe(1);
    world.backend.setSilent(true);
    await until(() => expect(world.backend.stats().connections).toBe(2), 5000);
    await until(() => expect(tab.status).toBe('open'));
    expect(tab.states.map((s) => s.status)).toContain('backoff');
  });

  it('replays a gap through the events-since endpoint with the cookie, once, complete', async () => {
    world = await eventsWorld({ resync: { eventsSinceUrl: '/api/events' } });
    const tabs = [await world.tab(), await world.tab()];
    await until(() => expect(tabs[0]!.status).toBe('open'));
    world.backend.emit('tenant-123', 'chat.message', { text: 'before' });
    await until(() => expect(tabs[1]!.events).toHaveLength(1));
    world.backend.setAccepting(false);
    world.backend.drop();
    await until(() => expect(tabs.every((t) => t.status !== 'open')).toBe(true));
    for (const text of ['m1', 'm2']) world.backend.emit('tenant-123', 'chat.message', { text });
    world.backend.setAccepting(true);
    await until(() => expect(tabs.every((t) => t.resyncs.length === 1 && t.events.length === 3)).toBe(true));
    for (const tab of tabs) {
      expect(texts(tab)).toEqual(['before', 'm1*', 'm2*']);
      expect(tab.resyncs[0]).toMatchObject({ reason: 'reconnect', replayed: 2, complete: true });
      expect(tab.tokenCalls).toBe(0);
    }
    const stats = (await world.broker.stats()) as BrokerStats;
    expect(stats.replayed).toBe(2);
    expect(world.backend.stats().replayRequests).toBe(1);
  });

  it('tells tabs to refetch when the gap cannot be replayed', async () => {
    world = await eventsWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.drop();
    await until(() => expect(tab.resyncs).toHaveLength(1));
    expect(tab.resyncs[0]).toMatchObject({ reason: 'reconnect', complete: false });
  });

  it('stops in unauthorized when the cookie is refused in band and no tab can refresh', async () => {
    world = await eventsWorld();
    world.backend.setAuthMode('UNAUTHORIZED');
    const tab = await world.tab();
    tab.refreshBehaviour = 'cannot';
    await until(() => expect(tab.status).toBe('unauthorized'));
    expect(tab.tokenCalls).toBe(0);
  });
});

describe('a protocol the broker cannot use', () => {
  it('fails the attach with INVALID_ARGUMENT naming the option, and opens no socket', async () => {
    world = await createWorld();
    const tab = await world.tab({ protocol: { preset: 'json', envelope: { type: '' } } });
    const message = 'protocol.envelope.type must be a non-empty string of at most 200 characters';
    expect(tab.errors).toEqual([{ code: 'INVALID_ARGUMENT', message: `attach failed: ${message}` }]);
    expect(tab.errorObjects[0]!.cause).toMatchObject({ code: 'INVALID_ARGUMENT', message });
    // Trying again cannot help: the tab does not.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(tab.errors).toHaveLength(1);
    expect(world.backend.stats().connections).toBe(0);
    // Nothing waits for what will not come: `connected` and every call fail with the reason.
    await expect(tab.broker.connected).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: `attach failed: ${message}` });
    await expect(tab.broker.send({ action: 'x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(tab.broker.stats()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
