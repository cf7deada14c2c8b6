import { afterEach, describe, expect, it } from 'vitest';
import { completePayload } from '../../demo/server/catalogue.ts';
import type { BrokerStats } from '../../src/link/stats.ts';
import { linkVersion } from '../../src/link/messages.ts';
import { createControlClient } from '../../src/tab/control-client.ts';
import { resolveConfig } from '../../src/tab/options.ts';
import { type World, createWorld, until, worldStats as stats } from '../support/broker-world.ts';
import { FakeClock } from '../support/fake-clock.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});

const iso = (ms = Date.now()) => new Date(ms).toISOString();

describe('broker: connection and relay', () => {
  it('authenticates with a tab’s token and relays each event once to the tabs subscribed to it', async () => {
    world = await createWorld();
    const everything = await world.tab({ patterns: ['*'] });
    const goals = await world.tab({ patterns: ['goal.*'] });
    await until(() => expect(everything.status).toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'g1' });
    world.backend.emit('tenant-123', 'issue.created', { issueId: 'i1' });
    await until(() => expect(everything.types()).toEqual(['goal.created', 'issue.created']));
    await until(() => expect(goals.types()).toEqual(['goal.created']));
    expect(world.backend.stats()).toMatchObject({ connections: 1, handshakes: 1, authSuccesses: 1 });
    expect(await stats(world)).toMatchObject({ tabs: 2, eventsRelayed: 2, deliveries: 3, socketsOpened: 1 });
  });

  it('lets a tab change its subscriptions while connected', async () => {
    world = await createWorld();
    const tab = await world.tab({ patterns: [] });
    await until(() => expect(tab.status).toBe('open'));
    const off = await tab.subscribe('action.created');
    world.backend.emit('tenant-123', 'action.created', { actionId: 'a1' });
    await until(() => expect(tab.types()).toEqual(['action.created']));
    await off();
    world.backend.emit('tenant-123', 'action.created', { actionId: 'a2' });
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'g' });
    // Subscribe only once the broker has seen those two, so they precede the subscription.
    await until(async () => expect((await stats(world)).eventsRelayed).toBe(3));
    await tab.subscribe('goal.created');
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'g2' });
    await until(() => expect(tab.events.map((e) => (e.type === 'goal.created' ? e.data.goalId : e.data.actionId))).toEqual(['a1', 'g2']));
    // The broker only ever saw the two patterns: the unsubscribe reached it, nothing else lingers.
    expect(((await tab.broker.debug()) as { tabs: Array<{ patterns: string[] }> }).tabs[0]!.patterns).toEqual(['goal.created']);
    expect(() => tab.broker.on('bad*pattern' as '*', () => {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('refuses a bad pattern from a tab that did not check it', async () => {
    // The one raw link in these tests: the real client refuses such a pattern itself (above), so only
    // a hand-made attach can show that the broker does not rely on that (a tab of a modified build).
    world = await createWorld();
    const control = new MessageChannel();
    const stream = new MessageChannel();
    world.broker.accept(control.port2);
    const rpc = createControlClient(control.port1);
    const release = world.locks.hold('tabwire-tab:raw');
    try {
      const config = resolveConfig({ url: world.backend.wsUrl, getToken: () => '' });
      await rpc.attach({ tabId: 'raw', linkVersion, buildId: 'test', lockName: 'tabwire-tab:raw', config, patterns: [], online: true, visible: true }, stream.port2);
      await expect(rpc.call('subscribe', ['bad*pattern'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      release();
      control.port1.close();
      stream.port1.close();
    }
  });

  it('drops malformed and oversized frames, counts and reports them, and keeps relaying', async () => {
    world = await createWorld({ config: { maxFrameBytes: 4096 } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.push('{not json');
    world.backend.push({ type: 'goal.created', timestamp: iso(), data: null });
    world.backend.push({ timestamp: iso(), data: {} });
    world.backend.push({ type: 'goal.created', timestamp: 'soon', data: {} });
    world.backend.push({ type: 'goal.created', timestamp: iso(), data: { tenantId: 'tenant-123', blob: 'x'.repeat(5000) } });
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'after' });
    await until(() => expect(tab.types()).toEqual(['goal.created']));
    const s = await stats(world);
    expect(s.dropped).toMatchObject({ malformed: 4, oversized: 1 });
    expect(s.state).toBe('open');
    expect(tab.errors.map((e) => e.code).sort()).toEqual(['MALFORMED_FRAME', 'MALFORMED_FRAME', 'MALFORMED_FRAME', 'MALFORMED_FRAME', 'OVERSIZED_FRAME']);
  });

  it('never relays an event of another tenant, and counts it', async () => {
    world = await createWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.push({ type: 'goal.created', timestamp: iso(), data: { goalId: 'x', tenantId: 'tenant-evil' } });
    world.backend.push({ type: 'goal.created', timestamp: iso(), tenantId: 'tenant-evil', data: { goalId: 'y' } });
    // The payload names ours, the envelope another: either naming another is enough.
    world.backend.push({ type: 'goal.created', timestamp: iso(), tenantId: 'tenant-evil', data: { goalId: 'z', tenantId: 'tenant-123' } });
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'mine' });
    await until(() => expect(tab.events.map((e) => e.data.goalId)).toEqual(['mine']));
    expect((await stats(world)).dropped.tenant).toBe(3);
    expect(tab.errors.filter((e) => e.code === 'TENANT_MISMATCH')).toHaveLength(3);
    expect(JSON.stringify(tab.errors)).not.toContain('tenant-evil');
  });

  it('sends control frames only to tabs that asked for their exact type', async () => {
    world = await createWorld();
    const wildcard = await world.tab({ patterns: ['*'] });
    const exact = await world.tab({ patterns: ['broadcast.error'] });
    await until(() => expect(wildcard.status).toBe('open'));
    world.backend.push({ type: 'broadcast.error', timestamp: iso(), data: { error: 'bad data', code: 'VALIDATION_ERROR' } });
    await until(() => expect(exact.types()).toEqual(['broadcast.error']));
    expect(wildcard.types()).toEqual([]);
    expect(wildcard.errors).toContainEqual({ code: 'SERVER_ERROR', message: 'bad data', serverCode: 'VALIDATION_ERROR', type: 'broadcast.error' });
    expect(wildcard.status).toBe('open');
  });

  it('de-duplicates events the server repeats (eventId of older drafts, or identical content)', async () => {
    world = await createWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    const at = iso();
    const goal = (goalId: string) => completePayload('goal.created', { tenantId: 'tenant-123', userId: 'u' }, { goalId }, at);
    const withId = { type: 'goal.created', timestamp: at, eventId: 'e-1', data: goal('a') };
    const plain = { type: 'goal.created', timestamp: at, data: goal('b') };
    for (const frame of [withId, withId, plain, plain, { ...plain, data: { ...plain.data, goalId: 'c' } }]) world.backend.push(frame);
    await until(() => expect(tab.events.map((e) => e.data.goalId)).toEqual(['a', 'b', 'c']));
    expect((await stats(world)).duplicates).toBe(2);
  });
});

describe('broker: faults', () => {
  it('reconnects after the server drops the socket, with one socket at a time', async () => {
    world = await createWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.drop();
    await until(() => expect(tab.states.map((s) => s.status)).toContain('backoff'));
    await until(() => expect(tab.status).toBe('open'));
    expect(world.backend.stats()).toMatchObject({ connections: 2, handshakes: 2, openSockets: 1 });
    expect((await stats(world)).reconnects).toBe(1);
  });

  it('spaces retries by the backoff while the server refuses connections', async () => {
    world = await createWorld({ config: { reconnect: { minDelayMs: 100, maxDelayMs: 400 } } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.setAccepting(false);
    world.backend.drop();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const refused = world.backend.stats().refused;
    // 1.5 s with delays of at least 100, 100, 100… ms growing to ≤ 400: far fewer than a storm.
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(refused).toBeLessThanOrEqual(12);
    world.backend.setAccepting(true);
    await until(() => expect(tab.status).toBe('open'));
    expect(world.backend.stats().openSockets).toBe(1);
  });

  it('refreshes the token in exactly one of five tabs when it expires mid-connection', async () => {
    // The refresh must answer within tokenTimeoutMs to be the one that reconnects (a slower one ends
    // the try in a backoff): the library's own default, not the fast 500 ms a loaded machine can exceed.
    world = await createWorld({ config: { tokenTimeoutMs: 10_000 } });
    const tabs = await Promise.all([1, 2, 3, 4, 5].map(() => world.tab()));
    await until(() => expect(tabs.every((t) => t.status === 'open')).toBe(true));
    world.backend.expireTokens();
    await until(() => expect(world.backend.stats().handshakes).toBe(2));
    await until(() => expect(tabs.every((t) => t.status === 'open')).toBe(true));
    expect(world.backend.stats().refreshes).toBe(1);
    expect(tabs.reduce((sum, t) => sum + t.refreshCalls, 0)).toBe(1);
    expect(tabs[0]!.states.map((s) => `${s.status}:${s.reason}`)).toEqual(
      expect.arrayContaining(['authenticating:token-refresh', 'connecting:token-refreshed', 'open:auth-accepted']),
    );
  });

  it('stops in unauthorized when a fresh token is refused too, and recovers on reconnect()', async () => {
    world = await createWorld();
    const tabs = await Promise.all([1, 2].map(() => world.tab()));
    await until(() => expect(tabs[0]!.status).toBe('open'));
    world.backend.setAuthMode('UNAUTHORIZED', 2);
    world.backend.drop();
    await until(() => expect(tabs.every((t) => t.status === 'unauthorized')).toBe(true));
    const handshakes = world.backend.stats().handshakes;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(world.backend.stats().handshakes).toBe(handshakes);
    await tabs[1]!.broker.reconnect();
    await until(() => expect(tabs.every((t) => t.status === 'open')).toBe(true));
  });

  it('stops in forbidden and does not retry', async () => {
    world = await createWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.setAuthMode('FORBIDDEN');
    world.backend.drop();
    await until(() => expect(tab.status).toBe('forbidden'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(world.backend.stats().handshakes).toBe(2);
    expect(tab.errors).toContainEqual(expect.objectContaining({ code: 'SERVER_ERROR', serverCode: 'FORBIDDEN' }));
  });

  it('backs off 1×, 2×, 4× the floor on repeated rate limits', async () => {
    world = await createWorld({ config: { reconnect: { minDelayMs: 100, maxDelayMs: 2000 } } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.setAuthMode('RATE_LIMIT_EXCEEDED', 3);
    world.backend.drop();
    await until(() => expect(world.backend.stats().authSuccesses).toBe(2), 8000);
    const times = world.backend.stats().connectionTimes.slice(-4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
  });

  it('retries after INTERNAL_ERROR and surfaces it', async () => {
    world = await createWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.setAuthMode('INTERNAL_ERROR', 1);
    world.backend.drop();
    await until(() => expect(world.backend.stats().authSuccesses).toBe(2));
    expect(tab.states.map((s) => s.reason)).toContain('server-error');
    expect(tab.errors).toContainEqual(expect.objectContaining({ serverCode: 'INTERNAL_ERROR' }));
  });

  it('gives up on a handshake the server never answers, and retries', async () => {
    world = await createWorld({ config: { handshakeTimeoutMs: 300 } });
    world.backend.setAuthMode('hang', 1);
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'), 5000);
    expect(tab.states.map((s) => s.reason)).toContain('handshake-timeout');
    expect(world.backend.stats().handshakes).toBe(2);
  });

  it('skips a tab that hangs when asked for a token and asks the next', async () => {
    world = await createWorld({ config: { tokenTimeoutMs: 200 } });
    const quiet = await world.tab();
    await until(() => expect(quiet.status).toBe('open'));
    const hanging = await world.tab();
    hanging.tokenBehaviour = 'hang';
    world.backend.drop();
    await until(() => expect(quiet.status === 'open' && world.backend.stats().handshakes === 2).toBe(true));
    expect(hanging.tokenCalls).toBe(1);
    expect(quiet.tokenCalls).toBe(2);
  });

  it('moves the refresh to the next tab when the refreshing tab dies mid-refresh', async () => {
    world = await createWorld({ config: { tokenTimeoutMs: 5000 } });
    const survivor = await world.tab();
    await until(() => expect(survivor.status).toBe('open'));
    const doomed = await world.tab();
    doomed.refreshBehaviour = 'hang';
    world.backend.expireTokens();
    await until(() => expect(doomed.refreshCalls).toBe(1));
    doomed.crash();
    await until(() => expect(survivor.status).toBe('open'));
    expect(survivor.refreshCalls).toBe(1);
    expect(world.backend.stats().refreshes).toBe(1);
  });

  it('goes offline without retrying, and reconnects at once when back online', async () => {
    world = await createWorld({ config: { reconnect: { minDelayMs: 5000, maxDelayMs: 5000 } } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    await tab.setOnline(false);
    await until(() => expect(tab.status).toBe('offline'));
    await until(() => expect(world.backend.stats().openSockets).toBe(0));
    const before = world.backend.stats().connections;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(world.backend.stats().connections).toBe(before);
    const backAt = Date.now();
    await tab.setOnline(true);
    await until(() => expect(tab.status).toBe('open'));
    expect(Date.now() - backAt).toBeLessThan(2000);
  });
});

describe('broker: upstream', () => {
  it('sends at once when open, buffers in order while down, and flushes after the handshake', async () => {
    world = await createWorld({ config: { maxBufferedMessages: 3 } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    await expect(tab.broker.send({ action: 'broadcast', data: { n: 0 } })).resolves.toBe(true);
    world.backend.setAccepting(false);
    world.backend.drop();
    await until(() => expect(tab.status).not.toBe('open'));
    const buffered = [1, 2, 3].map((n) => tab.broker.send({ action: 'broadcast', data: { n } }));
    await expect(tab.broker.send({ action: 'broadcast', data: { n: 4 } })).rejects.toMatchObject({ code: 'BUFFER_FULL' });
    await expect(tab.broker.send({ action: 'typing' }, { volatile: true })).resolves.toBe(false);
    world.backend.setAccepting(true);
    await expect(Promise.all(buffered)).resolves.toEqual([true, true, true]);
    await until(() =>
      expect(world.backend.stats().received.map((f) => (f as { data?: { n: number } }).data?.n)).toEqual([0, 1, 2, 3]),
    );
  });

  it('still sends what a tab queued before its page died: nobody was told it was not sent', async () => {
    world = await createWorld({ config: { lingerMs: 5000 } });
    const dying = await world.tab();
    const staying = await world.tab();
    await until(() => expect(dying.status).toBe('open'));
    world.backend.setAccepting(false);
    world.backend.drop();
    await until(() => expect(dying.status).not.toBe('open'));
    void dying.broker.send({ action: 'broadcast', data: { from: 'dying' } }).catch(() => {});
    await until(async () => expect((await stats(world)).outbox).toBe(1));
    dying.crash();
    await until(() => expect(world.broker.tabs.size).toBe(1));
    world.backend.setAccepting(true);
    await until(() => expect(staying.states.filter((s) => s.status === 'open')).toHaveLength(2));
    await until(() => expect(world.backend.stats().received).toHaveLength(1));
  });

  it('never sends what a tab queued and was told was not sent, when it left before the socket came back', async () => {
    world = await createWorld({ config: { lingerMs: 5000 } });
    const leaving = await world.tab();
    const staying = await world.tab();
    await until(() => expect(leaving.status).toBe('open'));
    world.backend.setAccepting(false);
    world.backend.drop();
    await until(() => expect(leaving.status).not.toBe('open'));
    const queued = leaving.broker.send({ action: 'broadcast', data: { from: 'leaving' } }).then(
      () => 'sent',
      (error: { code?: string }) => error.code,
    );
    await until(async () => expect((await stats(world)).outbox).toBe(1));
    leaving.close();
    // The tab that left is told its message did not go: it must not go later either.
    expect(await queued).toBe('CLOSED');
    world.backend.setAccepting(true);
    await until(() => expect(staying.states.filter((s) => s.status === 'open')).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(world.backend.stats().received).toEqual([]);
  });

  it('refuses what is not a JSON object, auth frames, and oversized messages', async () => {
    world = await createWorld({ config: { maxFrameBytes: 1024 } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    for (const bad of ['text', [1], null, { action: 'auth', token: 'x' }, { big: 'x'.repeat(2000) }]) {
      await expect(tab.broker.send(bad as object)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });

  it('pings after keepAliveMs without traffic and answers a server ping with a pong', async () => {
    world = await createWorld({ config: { keepAliveMs: 1000 } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    await until(() => expect(world.backend.stats().pings).toBeGreaterThanOrEqual(1), 3000);
    world.backend.push({ type: 'ping', timestamp: iso(), data: {} });
    // docs/protocol.md shows the older draft's ping bare, without timestamp or data: answered all the same.
    world.backend.push({ type: 'ping' });
    await until(() => expect(world.backend.stats().pongs).toBe(2));
    expect(tab.types()).toEqual([]);
    expect(tab.errors).toEqual([]);
    expect((await stats(world)).pings).toBeGreaterThanOrEqual(1);
  });

  it('keeps a socket alive past the gateway’s idle limit', async () => {
    // The broker and the gateway's idle limit on one fake clock: a loaded machine cannot make a ping late.
    const clock = new FakeClock();
    world = await createWorld({ backend: { idleTimeoutMs: 2000, idleClock: () => clock.monotonic() }, config: { keepAliveMs: 1000 }, deps: { clock } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    for (let second = 1; second <= 5; second++) {
      clock.advance(1000);
      await until(() => expect(world.backend.stats().pings).toBe(second));
    }
    // The gateway looks every 500 ms: give it two looks at a socket silent for 1 s of its 2 s limit.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(world.backend.stats()).toMatchObject({ idleClosed: 0, connections: 1 });
  });
});

describe('broker: tabs', () => {
  it('forgets a dead tab and closes the socket after the last one has been gone for lingerMs', async () => {
    world = await createWorld();
    const a = await world.tab();
    const b = await world.tab();
    await until(() => expect(a.status).toBe('open'));
    a.crash();
    await until(async () => expect((await stats(world)).tabs).toBe(1));
    b.crash();
    await until(async () => expect((await stats(world)).tabs).toBe(0));
    await until(() => expect(world.backend.stats().openSockets).toBe(0));
    expect(world.broker.status.status).toBe('idle');
  });

  it('does not leak tabs across 200 attach/die and attach/close cycles', async () => {
    world = await createWorld({ config: { lingerMs: 60_000 } });
    const keeper = await world.tab();
    await until(() => expect(keeper.status).toBe('open'));
    for (let i = 0; i < 200; i++) {
      const tab = await world.tab({ patterns: ['goal.*'] });
      // Half die, half leave.
      if (i % 2 === 0) tab.crash();
      else tab.close();
    }
    await until(async () => expect((await stats(world)).tabs).toBe(1));
    const debug = (await world.broker.debug()) as { tabs: unknown[] };
    expect(debug.tabs).toHaveLength(1);
    expect(world.backend.stats().connections).toBe(1);
  });
});

describe('broker: validation at the edge', () => {
  const frame = (type: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type,
    timestamp: iso(),
    data,
    ...extra,
  });
  const valid = (type: string, override: Record<string, unknown> = {}) =>
    completePayload(type, { tenantId: 'tenant-123', userId: 'u' }, override, iso());

  it('drops a known type with a wrong payload, counts and reports it, by default', async () => {
    world = await createWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.push(frame('action.reassigned', valid('action.reassigned', { newAssignee: 7 })));
    world.backend.push(frame('action.reassigned', valid('action.reassigned', { newAssignee: 'ok' })));
    await until(() => expect(tab.events.map((e) => e.data.newAssignee)).toEqual(['ok']));
    expect((await stats(world)).dropped.invalid).toBe(1);
    expect(tab.errors).toContainEqual({
      code: 'INVALID_PAYLOAD',
      message: 'action.reassigned: newAssignee must be a string, got number',
      type: 'action.reassigned',
    });
  });

  it('relays an event whose required fields are left out or null, reporting it: only a wrong kind or no id is dropped', async () => {
    world = await createWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    const sparse = valid('action.created', { description: undefined, dueDate: null, assignedTo: null });
    world.backend.push(frame('action.created', sparse));
    world.backend.push(frame('action.created', valid('action.created', { actionId: undefined })));
    world.backend.push(frame('goal.created', valid('goal.created', { goalId: 'after' })));
    await until(() => expect(tab.types()).toEqual(['action.created', 'goal.created']));
    expect(tab.events[0]!.data).toMatchObject({ actionId: sparse.actionId, dueDate: null });
    expect((await stats(world)).dropped.invalid).toBe(2);
    expect(tab.errors.map((e) => e.message)).toEqual([
      'action.created: description must be a string, got nothing',
      'action.created: actionId must be a string, got nothing',
    ]);
  });

  it('passes wrong payloads on when told to, still reporting them', async () => {
    world = await createWorld({ config: { invalidPayloads: 'pass' } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.push(frame('measure.reading.created', valid('measure.reading.created', { value: 'n/a' })));
    await until(() => expect(tab.types()).toEqual(['measure.reading.created']));
    expect(tab.errors.map((e) => e.code)).toEqual(['INVALID_PAYLOAD']);
  });

  it('renames older measure events and relays them under the current name', async () => {
    world = await createWorld();
    const tab = await world.tab({ patterns: ['measure.*'] });
    await until(() => expect(tab.status).toBe('open'));
    world.backend.push(frame('kpi.reading.created', valid('measure.reading.created', { value: 1 })));
    world.backend.push(frame('kpi.reading_created', valid('measure.reading.created', { value: 2 })));
    await until(() => expect(tab.events.map((e) => `${e.type}:${String(e.data.value)}`)).toEqual(['measure.reading.created:1', 'measure.reading.created:2']));
  });

  it('camelCases snake_case payloads when normalizeKeys is on, and then checks them', async () => {
    world = await createWorld({ config: { normalizeKeys: true } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    const snake = Object.fromEntries(
      Object.entries(valid('goal.completed')).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]),
    );
    world.backend.push(frame('goal.completed', snake));
    await until(() => expect(tab.types()).toEqual(['goal.completed']));
    expect(tab.events[0]!.data).toMatchObject({ goalId: expect.any(String), tenantId: 'tenant-123', completedAt: expect.any(String) });
    // The tenant filter sees the normalised tenant_id too.
    world.backend.push(frame('goal.completed', { ...snake, tenant_id: 'someone-else' }));
    await until(async () => expect((await stats(world)).dropped.tenant).toBe(1));
  });

  it('relays unknown types untouched, for forward compatibility', async () => {
    world = await createWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.push(frame('chat.message', { text: 'hi', tenantId: 'tenant-123' }));
    await until(() => expect(tab.events).toEqual([expect.objectContaining({ type: 'chat.message', data: { text: 'hi', tenantId: 'tenant-123' } })]));
  });
});

describe('broker: builds', () => {
  it('refuses to serve a tab of another build, with BUILD_MISMATCH', async () => {
    world = await createWorld({ deps: { buildId: 'build-b', build: { buildId: 'build-b', builtAt: 2, mode: 'worker', linkVersion: 1 } } });
    const tab = world.startTab();
    // The tab is told, and falls back to a broker of its own build (no leader tab here: its own page's).
    await until(() => expect(tab.errors.map((e) => e.code)).toContain('WORKER_UNAVAILABLE'));
    expect(tab.errorObjects.find((e) => e.code === 'WORKER_UNAVAILABLE')!.cause).toMatchObject({ code: 'BUILD_MISMATCH' });
    await until(() => expect(tab.status).toBe('open'));
    expect(tab.broker.sharing).toBe('none');
    expect(world.broker.tabs.size).toBe(0);
  });
});

describe('broker: debugging', () => {
  it('gives a snapshot of state, tabs, subscriptions, counters, log and transitions, with no token in it', async () => {
    world = await createWorld();
    const tab = await world.tab({ patterns: ['goal.*', 'issue.created'] });
    await until(() => expect(tab.status).toBe('open'));
    world.backend.expireTokens();
    await until(() => expect(world.backend.stats().authSuccesses).toBe(2));
    const debug = (await tab.broker.debug()) as {
      stats: BrokerStats;
      tabs: Array<{ patterns: string[] }>;
      transitions: Array<{ to: string; reason: string }>;
      config: { url: string };
      gap: { phase: string };
    };
    expect(debug.stats).toMatchObject({ state: 'open', tabs: 1, handshakes: 2 });
    expect(debug.tabs[0]!.patterns.sort()).toEqual(['goal.*', 'issue.created']);
    expect(debug.transitions.map((t) => `${t.to}:${t.reason}`)).toEqual(
      expect.arrayContaining(['open:auth-accepted', 'authenticating:token-refresh', 'connecting:token-refreshed']),
    );
    expect(debug.config.url).toBe(world.backend.wsUrl);
    expect(debug.gap.phase).toBeDefined();
    // Neither the access nor the refresh token appears anywhere.
    expect(JSON.stringify(debug)).not.toMatch(/(at|rt)_[A-Za-z0-9_-]{16,}/);
  });
});
