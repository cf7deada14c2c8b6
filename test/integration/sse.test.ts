/**
 * The real broker reading a Server-Sent Events stream from the mock backend (demo/server/sse.ts)
 * with the fetch reader, as Node 20 runs it (Node has no EventSource; the browser's runs in
 * test/e2e/sse.spec.ts): one stream for every tab, cookie, bearer and query-token auth, a 401
 * refreshed, a drop resumed with Last-Event-ID with nothing lost or doubled, the server's retry,
 * a stream gone silent behind a buffering proxy replaced, send() refused, no id across sessions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SseStats } from '../../demo/server/sse.ts';
import type { SseOptions } from '../../src/link/transport-option.ts';
import { type World, createWorld, until } from '../support/broker-world.ts';
import type { TabConfig } from '../support/tab-harness.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});

const sseUrl = () => `${world.backend.httpUrl}/sse`;

async function control(action: string, body: Record<string, unknown> = {}): Promise<SseStats> {
  const response = await fetch(`${world.backend.httpUrl}/__control/sse/${action}`, { method: 'POST', body: JSON.stringify(body) });
  return (await response.json()) as SseStats;
}
const sseStats = () => control('stats');

/** A world whose tabs read the mock's stream: `cookie` sends the session cookie, else the token goes as `transport.auth` says. */
async function sseWorld(options: { cookie?: boolean; dialect?: 'purposepath' | 'events'; config?: TabConfig } = {}): Promise<World> {
  defaultAuth = options.cookie ? 'cookie' : 'bearer';
  world = await createWorld({ cookie: options.cookie ?? false, backend: { dialect: options.dialect ?? 'purposepath' }, config: options.config ?? {} });
  return world;
}

/** Without the cookie, the token goes as a bearer header unless the test says otherwise. */
let defaultAuth: SseOptions['auth'] = 'bearer';
const tabOf = (transport: Omit<SseOptions, 'type'>, extra: TabConfig = {}) =>
  world.tab({ url: sseUrl(), transport: { type: 'sse', auth: defaultAuth, ...transport }, ...extra } as TabConfig);

const texts = (events: Array<{ data: Record<string, unknown> }>) => events.map((e) => String(e.data.note ?? e.data.text));
const emit = (note: string) => world.backend.emit('tenant-123', 'note.created', { note });

describe('an SSE stream shared by every tab', () => {
  it('opens one stream for three tabs, authenticated by the cookie, and relays each event once to each', async () => {
    await sseWorld({ cookie: true, dialect: 'events' });
    const eventsDialect = { preset: 'json', envelope: { type: 'event', timestamp: 'ts', id: 'id', data: 'payload' }, auth: 'cookie', control: { authSuccess: 'session.ready' } } as const;
    const tabs = [await tabOf({}, { protocol: eventsDialect }), await tabOf({}, { protocol: eventsDialect }), await tabOf({}, { protocol: eventsDialect })];
    await until(() => expect(tabs.every((t) => t.status === 'open')).toBe(true));
    world.backend.emit('tenant-123', 'chat.message', { text: 'one' });
    world.backend.emit('tenant-123', 'chat.message', { text: 'two' });
    await until(() => expect(tabs.map((t) => texts(t.events))).toEqual([['one', 'two'], ['one', 'two'], ['one', 'two']]));
    const stats = await sseStats();
    expect(stats).toMatchObject({ open: 1, streams: 1, auth: ['cookie'], methods: ['GET'] });
    expect(world.backend.stats().connections).toBe(0);
    expect(tabs.map((t) => t.tokenCalls)).toEqual([0, 0, 0]);
  });

  it("sends a tab's token as a bearer header, and answers a 401 with one refresh and a new stream", async () => {
    await sseWorld();
    const tab = await tabOf({ auth: 'bearer', acceptance: 'event' });
    await until(() => expect(tab.status).toBe('open'));
    expect((await sseStats()).auth).toEqual(['bearer']);
    // Every token dies, and the stream with it: the next request is refused until a refresh.
    world.backend.expireTokens();
    await control('drop');
    await until(async () => expect((await sseStats()).streams).toBe(2));
    await until(() => expect(tab.status).toBe('open'));
    expect(world.backend.stats().refreshes).toBe(1);
    expect((await sseStats()).refused).toBe(1);
    expect(tab.states.map((s) => s.reason)).toContain('token-refresh');
    expect(tab.errors).toContainEqual(expect.objectContaining({ code: 'SERVER_ERROR', serverCode: 'UNAUTHORIZED' }));
    emit('after refresh');
    await until(() => expect(texts(tab.events)).toEqual(['after refresh']));
  });

  it('puts the token in the query parameter the app named, and nowhere in what tabs are told', async () => {
    await sseWorld();
    const tab = await tabOf({ auth: { queryParam: 'access_token' } });
    await until(() => expect(tab.status).toBe('open'));
    expect((await sseStats()).auth).toEqual(['query']);
    await control('drop');
    await until(() => expect(tab.status).toBe('open'));
    // The mock's access tokens read `at_<24 characters>`.
    expect(JSON.stringify([tab.errors, tab.states, await tab.broker.debug(), await tab.broker.stats()])).not.toMatch(/at_[A-Za-z0-9_-]{10}/);
  });

  it('resumes a dropped stream from the Last-Event-ID: what was sent meanwhile comes once, and the gap is complete without an events-since endpoint', async () => {
    await sseWorld();
    const tab = await tabOf({ resume: true }, { reconnect: { minDelayMs: 400, maxDelayMs: 500 } });
    await until(() => expect(tab.status).toBe('open'));
    const first = emit('one');
    emit('two');
    await until(() => expect(texts(tab.events)).toEqual(['one', 'two']));
    await control('drop');
    // Sent while the broker waits out its backoff: only the resumed stream can bring them.
    emit('three');
    emit('four');
    await until(() => expect(tab.resyncs).toHaveLength(1));
    expect(texts(tab.events)).toEqual(['one', 'two', 'three', 'four']);
    expect(tab.resyncs[0]).toMatchObject({ reason: 'reconnect', complete: true });
    const stats = await sseStats();
    expect(stats.streams).toBe(2);
    expect(stats.lastEventIds[0]).toBe('');
    expect(Number(stats.lastEventIds[1])).toBeGreaterThan(Date.parse(String(first.timestamp)));
    expect(world.backend.stats().replayRequests).toBe(0);
  });

  it('says complete: false for a gap the stream cannot resume (the server was not said to replay, and there is no endpoint)', async () => {
    await sseWorld();
    const tab = await tabOf({}, { reconnect: { minDelayMs: 300, maxDelayMs: 400 } });
    await until(() => expect(tab.status).toBe('open'));
    emit('one');
    await until(() => expect(texts(tab.events)).toEqual(['one']));
    await control('drop');
    await until(() => expect(tab.resyncs).toHaveLength(1));
    expect(tab.resyncs[0]).toMatchObject({ reason: 'reconnect', complete: false });
  });

  it("waits at least the server's retry before the next stream, within maxDelayMs", async () => {
    await sseWorld();
    await control('settings', { retryMs: 1500 });
    const tab = await tabOf({}, { reconnect: { minDelayMs: 50, maxDelayMs: 3000 } });
    await until(() => expect(tab.status).toBe('open'));
    const dropped = Date.now();
    await control('drop');
    await until(async () => expect((await sseStats()).streams).toBe(2), 8000);
    expect(Date.now() - dropped).toBeGreaterThanOrEqual(1400);
    // A retry past the cap waits the cap, not the server's hour.
    await control('settings', { retryMs: 3_600_000 });
    await control('drop');
    await until(async () => expect((await sseStats()).open).toBe(1), 8000);
    expect((await sseStats()).streams).toBe(3);
    await control('drop');
    await until(async () => expect((await sseStats()).streams).toBe(4), 10_000);
  });

  it('replaces a stream a buffering proxy holds back, once it was silent too long, and the resume brings what was held', async () => {
    await sseWorld();
    await control('settings', { heartbeatMs: 200 });
    const tab = await tabOf({ resume: true, silenceTimeoutMs: 1000 }, { reconnect: { minDelayMs: 50, maxDelayMs: 100 } });
    await until(() => expect(tab.status).toBe('open'));
    // The server's comments keep a quiet stream alive past the timeout.
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await sseStats()).streams).toBe(1);
    emit('before');
    await until(() => expect(texts(tab.events)).toEqual(['before']));
    await control('buffer');
    emit('held');
    await until(() => expect(texts(tab.events)).toEqual(['before', 'held']), 5000);
    const stats = await sseStats();
    expect(stats.streams).toBe(2);
    expect(tab.states.map((s) => s.reason)).toContain('socket-closed');
    await until(() => expect(tab.resyncs).toEqual([expect.objectContaining({ complete: true })]));
  });

  it('refuses send() with SEND_UNSUPPORTED: the stream has no upstream', async () => {
    await sseWorld();
    const tab = await tabOf({});
    await until(() => expect(tab.status).toBe('open'));
    await expect(tab.broker.send({ action: 'typing' })).rejects.toMatchObject({ code: 'SEND_UNSUPPORTED' });
  });

  it('forgets the last event id at logout: the next session starts its stream without one', async () => {
    await sseWorld();
    const tab = await tabOf({ resume: true });
    await until(() => expect(tab.status).toBe('open'));
    emit('before');
    await until(() => expect(texts(tab.events)).toEqual(['before']));
    await tab.broker.logout();
    await tab.broker.reconnect();
    await until(() => expect(tab.status).toBe('open'));
    const stats = await sseStats();
    expect(stats.lastEventIds).toEqual(['', '']);
  });

  it('does not take a resume for the replay of a gap that began before this broker', async () => {
    await sseWorld();
    const tab = await tabOf({ resume: true }, { reconnect: { minDelayMs: 50, maxDelayMs: 100 } });
    await until(() => expect(tab.status).toBe('open'));
    emit('one');
    await until(() => expect(texts(tab.events)).toEqual(['one']));
    await world.restartBroker();
    await until(() => expect(tab.resyncs.length).toBeGreaterThanOrEqual(1), 8000);
    expect(tab.resyncs.every((signal) => signal.complete === false)).toBe(true);
  });
});
