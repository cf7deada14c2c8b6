import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completePayload, routes } from '../../../../demo/server/catalogue.ts';
import { normalizeEnvelope, purposepathSchemas } from '../../../../src/broker/protocol/payloads.ts';
import { PayloadSchemas } from '../../../../src/broker/protocol/schemas.ts';
import type { Envelope } from '../../../../src/link/envelope.ts';

/** PurposePath's catalogue, as the broker checks it. */
const catalogue = new PayloadSchemas(purposepathSchemas);
const payloadProblem = (envelope: Envelope) => catalogue.problem(envelope);
const isKnownType = (type: string) => catalogue.knows(type);

const at = '2025-11-03T14:30:00.000Z';
const actor = { tenantId: 'tenant-123', userId: 'user-456' };
const envelope = (type: string, data: Record<string, unknown>) => ({ type, timestamp: at, data });
const catalogueTypes = [...new Set(routes.map((route) => route.type))];

describe('payload checks', () => {
  it('covers every type of the catalogue', () => {
    expect(catalogueTypes).toHaveLength(18);
    for (const type of catalogueTypes) expect(isKnownType(type)).toBe(true);
  });

  it.each(catalogueTypes)('accepts a complete %s payload', (type) => {
    expect(payloadProblem(envelope(type, completePayload(type, actor, {}, at)))).toBeUndefined();
  });

  it('accepts optional fields left out, and null where the catalogue allows it', () => {
    const reading = completePayload('measure.reading.created', actor, {}, at);
    delete reading.note;
    delete reading.progress;
    expect(payloadProblem(envelope('measure.reading.created', reading))).toBeUndefined();
    const reassigned = completePayload('action.reassigned', actor, { previousAssignee: null }, at);
    expect(payloadProblem(envelope('action.reassigned', reassigned))).toBeUndefined();
  });

  it('accepts every optional field sent as null (a nullable column serialised as is)', () => {
    const nulls: Array<[string, Record<string, unknown>]> = [
      ['goal.completed', { finalNotes: null }],
      ['goal.cancelled', { reason: null }],
      ['action.completed', { outcome: null }],
      ['action.reassigned', { note: null }],
      ['measure.reading.created', { note: null, progress: null }],
      ['issue.created', { assignedTo: null }],
      ['goal.activity.created', { tags: null }],
    ];
    for (const [type, override] of nulls) expect(payloadProblem(envelope(type, completePayload(type, actor, override, at)))).toBeUndefined();
  });

  it('requires only goalId and tenantId of goal.paused and goal.resumed, whose payloads are unpublished', () => {
    for (const type of ['goal.paused', 'goal.resumed']) {
      expect(payloadProblem(envelope(type, { goalId: 'g1', tenantId: 'tenant-123' }))).toBeUndefined();
      expect(payloadProblem(envelope(type, { tenantId: 'tenant-123' }))).toEqual({ message: `${type}: goalId must be a string, got nothing`, fatal: true });
    }
  });

  it.each([
    ['action.reassigned', { newAssignee: 42 }, 'action.reassigned: newAssignee must be a string, got number'],
    ['action.completed', { onTime: 'yes' }, 'action.completed: onTime must be a boolean, got string'],
    ['measure.reading.created', { value: '12' }, 'measure.reading.created: value must be a number, got string'],
    ['measure.reading.created', { value: Number.NaN }, 'measure.reading.created: value must be a number, got number'],
    ['decision.created', { participants: ['a', 3] }, 'decision.created: participants must be an array of strings, got an array'],
    ['goal.activity.created', { tags: 'x' }, 'goal.activity.created: tags must be an array of strings, got string'],
    ['action.created', { actionId: undefined }, 'action.created: actionId must be a string, got nothing'],
    ['issue.created', { tenantId: null }, 'issue.created: tenantId must be a string, got null'],
  ])('names what is wrong with a %s payload, without its value: fatal', (type, override, message) => {
    expect(payloadProblem(envelope(type, completePayload(type, actor, override as Record<string, unknown>, at)))).toEqual({ message, fatal: true });
  });

  it.each([
    ['goal.created', { title: undefined }, 'goal.created: title must be a string, got nothing'],
    ['action.created', { dueDate: null, description: undefined }, 'action.created: description must be a string, got nothing'],
    ['measure.reading.created', { value: null }, 'measure.reading.created: value must be a number, got null'],
  ])('reports a required %s field left out or null, but not as fatal: the event still says what changed', (type, override, message) => {
    expect(payloadProblem(envelope(type, completePayload(type, actor, override as Record<string, unknown>, at)))).toEqual({ message, fatal: false });
  });

  it('does not enforce enumerated values, so new statuses keep flowing', () => {
    expect(payloadProblem(envelope('goal.created', completePayload('goal.created', actor, { status: 'on-hold' }, at)))).toBeUndefined();
  });

  it('lets unknown types through unchecked', () => {
    expect(payloadProblem(envelope('chat.message', { anything: [1, 2] }))).toBeUndefined();
  });

  it('never throws, whatever the payload (fuzzed)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...catalogueTypes, 'x.y'), fc.dictionary(fc.string(), fc.anything()), (type, data) => {
        const problem = payloadProblem(envelope(type, data));
        expect(problem === undefined || typeof problem.message === 'string').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('normalisation of older drafts', () => {
  it('renames the older measure event types', () => {
    for (const old of ['kpi.reading.created', 'kpi.reading_created']) {
      expect(normalizeEnvelope(envelope(old, { kpiId: 'k' }), false).type).toBe('measure.reading.created');
    }
  });

  it('camelCases snake_case payload keys when asked, deeply', () => {
    const raw = envelope('goal.created', { goal_id: 'g', tenant_id: 't', meta_info: { created_by: 'u' }, list: [{ a_b: 1 }] });
    expect(normalizeEnvelope(raw, false)).toBe(raw);
    expect(normalizeEnvelope(raw, true).data).toEqual({ goalId: 'g', tenantId: 't', metaInfo: { createdBy: 'u' }, list: [{ aB: 1 }] });
  });

  it('returns the very same envelope when nothing changes, so the frame text can be relayed as is', () => {
    const plain = envelope('goal.created', { goalId: 'g' });
    expect(normalizeEnvelope(plain, true)).toBe(plain);
  });
});
