/**
 * Event types spelled like Object.prototype members (`constructor`, `__proto__`, …)
 * are plain unknown types: every lookup keyed by a server value must find only
 * what the table itself holds, and nothing handling them may throw.
 */
import { describe, expect, it } from 'vitest';
import { PatternSet } from '../../../src/broker/core/pattern-set.ts';
import { eventKey } from '../../../src/link/event-identity.ts';
import { parseFrame } from '../../../src/broker/protocol/envelope.ts';
import { normalizeEnvelope, purposepathSchemas } from '../../../src/broker/protocol/payloads.ts';
import { PayloadSchemas } from '../../../src/broker/protocol/schemas.ts';
import type { Envelope } from '../../../src/link/envelope.ts';

import type { Endpoint } from '../../../src/link/rpc.ts';
import { Fanout } from '../../../src/broker/fanout.ts';
import { MemoryEventStore } from '../../../src/broker/memory-store.ts';
import { Tab, TabRegistry } from '../../../src/broker/tabs.ts';

/** PurposePath's catalogue, as the broker checks it. */
const catalogue = new PayloadSchemas(purposepathSchemas);
const payloadProblem = (envelope: Envelope) => catalogue.problem(envelope);
const isKnownType = (type: string) => catalogue.knows(type);

const prototypeNames = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];
const at = '2025-11-03T14:30:00.000Z';
const frameText = (type: string, data: Record<string, unknown> = { tenantId: 't' }) => JSON.stringify({ type, timestamp: at, data });

describe('types named like Object.prototype members', () => {
  it.each(prototypeNames)('%s parses, normalises and checks as a plain unknown type', (type) => {
    const parsed = parseFrame(frameText(type));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const envelope = normalizeEnvelope(parsed.envelope, true);
    expect(envelope.type).toBe(type);
    expect(typeof envelope.type).toBe('string');
    expect(isKnownType(type)).toBe(false);
    expect(payloadProblem(envelope)).toBeUndefined();
    expect(eventKey(envelope)).toMatch(new RegExp(`^${type}\\|`));
  });

  it('a known type whose payload has prototype-named keys is checked on its own fields only', () => {
    const data = JSON.parse('{"__proto__":{"goalId":"x"},"constructor":1,"tenantId":"t"}') as Record<string, unknown>;
    expect(payloadProblem({ type: 'goal.paused', timestamp: at, data })).toMatchObject({ fatal: true, message: 'goal.paused: goalId must be a string, got nothing' });
  });

  it('camelCasing keeps a payload key named __proto__ as data, never as a prototype', () => {
    const data = JSON.parse('{"a_b":1,"nested":{"__proto__":{"polluted":true},"c_d":2}}') as Record<string, unknown>;
    const out = normalizeEnvelope({ type: 'x.y', timestamp: at, data }, true).data as Record<string, Record<string, unknown>>;
    expect(out.aB).toBe(1);
    expect(Object.getPrototypeOf(out.nested)).toBe(Object.prototype);
    expect((out.nested as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it.each(prototypeNames)('a pattern set matches %s only by its own patterns', (type) => {
    const set = new PatternSet();
    expect(set.matches(type)).toBe(false);
    set.add('goal.*');
    expect(set.matches(type)).toBe(false);
    set.add(type);
    expect(set.matches(type)).toBe(true);
    expect(set.has(type)).toBe(true);
    set.remove(type);
    expect(set.has(type)).toBe(false);
  });

  it('the memory store keeps them and answers recent() for * and goal.*', async () => {
    const store = new MemoryEventStore({ maxEvents: 100, maxAgeMs: 1e12 });
    const base = Date.parse(at);
    const events = [...prototypeNames, 'goal.created'].map((type, i) => {
      const envelope = { type, timestamp: new Date(base + i).toISOString(), data: { tenantId: 't' } };
      return { key: eventKey(envelope), at: base + i, envelope };
    });
    await store.append(events, null, base);
    expect((await store.recent({ type: '*' })).map((e) => e.envelope.type)).toEqual([...prototypeNames, 'goal.created']);
    expect((await store.recent({ type: 'goal.*' })).map((e) => e.envelope.type)).toEqual(['goal.created']);
    expect((await store.recent({ type: 'constructor' })).map((e) => e.envelope.type)).toEqual(['constructor']);
  });
});

function tabs(count: number, patterns: string[]) {
  const registry = new TabRegistry();
  const inboxes: unknown[][] = [];
  for (let i = 0; i < count; i++) {
    const inbox: unknown[] = [];
    inboxes.push(inbox);
    const stream = { postMessage: (message: unknown) => inbox.push(message), addEventListener() {}, removeEventListener() {} } as unknown as Endpoint;
    const tab = new Tab(`t${i}`, stream, undefined, true, 0);
    for (const pattern of patterns) tab.patterns.add(pattern);
    registry.add(tab);
  }
  return { registry, inboxes };
}

const delivered = (inbox: unknown[]) => inbox.flatMap((message) => (JSON.parse((message as { d: string }).d) as Array<{ type: string }>).map((e) => e.type));

describe('fan-out of prototype-named types', () => {
  it('relays them to * subscribers with the rest of their batch', async () => {
    const { registry, inboxes } = tabs(2, ['*']);
    const fanout = new Fanout(registry, (task) => queueMicrotask(task));
    for (const type of [...prototypeNames, 'goal.created']) fanout.enqueue(frameText(type), type, 't');
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (const inbox of inboxes) expect(delivered(inbox)).toEqual([...prototypeNames, 'goal.created']);
  });

  it('a tab whose delivery throws does not cost the other tabs their batch', async () => {
    const { registry, inboxes } = tabs(3, ['*']);
    // The middle tab's subscriptions blow up when asked (anything a server value could trigger).
    const broken = [...registry.all()][1]!;
    broken.patterns.matches = () => {
      throw new TypeError('boom');
    };
    const fanout = new Fanout(registry, (task) => queueMicrotask(task));
    fanout.enqueue(frameText('goal.created'), 'goal.created', 't');
    fanout.enqueue(frameText('constructor'), 'constructor', 't');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(delivered(inboxes[0]!)).toEqual(['goal.created', 'constructor']);
    expect(delivered(inboxes[2]!)).toEqual(['goal.created', 'constructor']);
    expect(fanout.counters.failures).toBe(1);
  });
});
