/**
 * The real broker with an app's own dialect that throws, replay entries held to the live
 * frame bound, and a server's error text as tabs receive it. Every frame refused is counted
 * and reported; the connection stays up and the traffic around it flows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { validateEnvelope } from '../../src/broker/protocol/envelope.ts';
import { purposepathProtocol } from '../../src/broker/protocol/purposepath.ts';
import type { Protocol } from '../../src/broker/protocol/wire.ts';
import { type TestTab, type World, createWorld, until, replayConfig, goalIds as ids, worldStats as stats } from '../support/broker-world.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});

const secret = 'at_SECRET-in-the-error-message';

/** PurposePath's dialect, with a `read`, `classify` and `normalize` that throw on `boom.<step>` frames. */
const throwing: Protocol = {
  ...purposepathProtocol,
  read(value) {
    if ((value as { type?: unknown })?.type === 'boom.read') throw new TypeError(secret);
    return validateEnvelope(value);
  },
  classify(envelope) {
    if (envelope.type === 'boom.classify') throw new RangeError(secret);
    return purposepathProtocol.classify(envelope);
  },
  normalize(envelope, config) {
    if (envelope.type === 'boom.normalize') throw new Error(secret);
    return purposepathProtocol.normalize(envelope, config);
  },
};

/** Take the server away, write three events nobody receives, bring it back. */
async function outageWithThreeWrites(w: World, tab: TestTab): Promise<void> {
  w.backend.setAccepting(false);
  w.backend.drop();
  await until(() => expect(tab.status).not.toBe('open'));
  for (const goalId of ['m1', 'm2', 'm3']) w.backend.emit('tenant-123', 'goal.created', { goalId });
  w.backend.setAccepting(true);
}

/** The events-since answer with `entries` (JSON texts) put in front of what the server returned. */
function splicing(entries: () => string[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!String(input).includes('/api/events') || !response.ok) return response;
    const text = await response.text();
    const extra = entries().join(',');
    const spliced = text === '[]' ? `[${extra}]` : `[${extra},${text.slice(1)}`;
    return new Response(spliced, { status: 200, headers: { 'Content-Type': 'application/json' } });
  };
}

describe("an app's dialect that throws", () => {
  it('read, classify, normalize: each frame dropped, counted and reported as DIALECT_FAILED; the connection stays up', async () => {
    world = await createWorld({ deps: { protocol: throwing } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    const at = () => new Date().toISOString();
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
    for (const step of ['read', 'classify', 'normalize']) {
      world.backend.push({ type: `boom.${step}`, timestamp: at(), data: { tenantId: 'tenant-123' } });
    }
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'after' });
    await until(() => expect(ids(tab)).toEqual(['before', 'after']));
    const s = await stats(world);
    expect(s.dropped).toMatchObject({ dialect: 3, malformed: 0 });
    expect(s.state).toBe('open');
    const failures = tab.errors.filter((e) => e.code === 'DIALECT_FAILED');
    expect(failures.map((e) => e.message)).toEqual([
      expect.stringMatching(/read threw TypeError/),
      expect.stringMatching(/classify threw RangeError/),
      expect.stringMatching(/normalize threw Error/),
    ]);
    expect(JSON.stringify(tab.errors)).not.toContain('SECRET');
    expect(world.backend.stats().handshakes).toBe(1);
  });

  it('on replay entries: those are left out and counted; the rest of the replay is delivered', async () => {
    const at = { ms: 0 };
    const boom = (step: string) => JSON.stringify({ type: `boom.${step}`, timestamp: new Date(at.ms).toISOString(), data: { tenantId: 'tenant-123' } });
    world = await createWorld({ deps: { protocol: throwing, fetch: splicing(() => ['read', 'classify', 'normalize'].map(boom)) } });
    const tab = await world.tab(replayConfig(world));
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
    await until(() => expect(tab.events).toHaveLength(1));
    at.ms = Date.parse(tab.events[0]!.timestamp) + 1;
    await outageWithThreeWrites(world, tab);
    await until(() => expect(tab.resyncs).toHaveLength(1), 5000);
    expect(tab.resyncs[0]).toMatchObject({ replayed: 3, complete: true });
    expect(ids(tab)).toEqual(['before', 'm1*', 'm2*', 'm3*']);
    expect((await stats(world)).dropped.dialect).toBe(3);
    expect(tab.errors.filter((e) => e.code === 'REPLAY_FAILED')).toEqual([]);
  });
});

describe('replay entries and maxFrameBytes', () => {
  it('an entry longer than maxFrameBytes is left out, counted and reported as a live frame of it would be', async () => {
    let bigAt = '';
    const big = () => JSON.stringify({ type: 'goal.created', timestamp: bigAt, data: { tenantId: 'tenant-123', goalId: 'big', pad: 'x'.repeat(3000) } });
    world = await createWorld({ deps: { fetch: splicing(() => [big()]) }, config: { maxFrameBytes: 2048 } });
    const tab = await world.tab(replayConfig(world));
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
    await until(() => expect(tab.events).toHaveLength(1));
    bigAt = new Date(Date.parse(tab.events[0]!.timestamp) + 1).toISOString();
    // Live, the same frame is dropped before parsing.
    world.backend.push(big());
    await until(async () => expect((await stats(world)).dropped.oversized).toBe(1));
    await outageWithThreeWrites(world, tab);
    await until(() => expect(tab.resyncs).toHaveLength(1), 5000);
    expect(tab.resyncs[0]).toMatchObject({ replayed: 3, complete: true });
    expect(ids(tab)).toEqual(['before', 'm1*', 'm2*', 'm3*']);
    expect((await stats(world)).dropped.oversized).toBe(2);
    expect(tab.errors.filter((e) => e.code === 'OVERSIZED_FRAME')).toHaveLength(2);
  });
});

describe("the server's error text", () => {
  it('reaches tabs bounded, without control characters or anything token-like, with its code', async () => {
    world = await createWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const error = `request failed\u0000\u001b[31m\u202e for Authorization: Bearer ${jwt} token=${secret} ${'and more '.repeat(200)}`;
    world.backend.push({ type: 'broadcast.error', timestamp: new Date().toISOString(), data: { code: 'VALIDATION_ERROR', error } });
    await until(() => expect(tab.errors.map((e) => e.code)).toContain('SERVER_ERROR'));
    const told = tab.errors.find((e) => e.code === 'SERVER_ERROR')!;
    expect(told.serverCode).toBe('VALIDATION_ERROR');
    expect(told.message.length).toBeLessThanOrEqual(200);
    expect(told.message).toMatch(/^request failed/);
    expect(told.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(told.message).not.toContain('eyJ');
    expect(told.message).not.toContain('SECRET');
    expect((await stats(world)).state).toBe('open');
  });
});
