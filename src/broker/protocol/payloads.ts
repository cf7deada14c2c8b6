/**
 * Payload checks for the known event types (docs/protocol.md "Event catalogue"),
 * run once per frame in the worker, and the normalisations older backend drafts
 * need: renamed measure events and snake_case keys.
 *
 * The schema is one compact line per type — `field[:kind][?]`, kinds s (string,
 * the default), n (finite number), b (boolean), a (string array), z (string or
 * null), `?` for optional (left out or null) — because it ships in the worker bundle, where bytes
 * count. Enumerated values are not enforced: a backend that adds a status must
 * not make its events invalid.
 */
import type { Envelope } from './envelope.ts';

const schema: Record<string, string> = {
  'goal.created': 'goalId tenantId userId title description status createdAt createdBy',
  'goal.activated': 'goalId tenantId previousStatus newStatus activatedAt activatedBy',
  'goal.completed': 'goalId tenantId completedAt completedBy finalNotes?',
  'goal.cancelled': 'goalId tenantId cancelledAt cancelledBy reason?',
  // "listed by the frontend guide; no payload published" (docs/protocol.md, "Event catalogue"): only what every event carries is required.
  'goal.paused': 'goalId tenantId pausedAt? pausedBy? reason?',
  'goal.resumed': 'goalId tenantId resumedAt? resumedBy?',
  'goal.activity.created': 'activityId goalId tenantId type title content tags:a? createdAt createdBy',
  'action.created': 'actionId tenantId goalId title description assignedTo dueDate priority status createdAt createdBy',
  'action.status_changed': 'actionId tenantId previousStatus newStatus changedAt changedBy',
  'action.completed': 'actionId tenantId completedAt completedBy outcome? onTime:b',
  'action.priority_changed': 'actionId tenantId previousPriority newPriority changedAt changedBy reason?',
  'action.reassigned': 'actionId tenantId previousAssignee:z newAssignee assignedAt assignedBy note?',
  'action.progress_updated': 'actionId tenantId previousProgress:n newProgress:n updatedAt updatedBy',
  'measure.reading.created': 'readingId kpiId tenantId value:n date note? recordedAt recordedBy progress:n?',
  'issue.created': 'issueId tenantId title description severity status priority category assignedTo? createdAt createdBy',
  'issue.status_changed': 'issueId tenantId previousStatus newStatus changedAt changedBy',
  'decision.created': 'decisionId tenantId goalId title decision rationale impact decidedAt decidedBy participants:a',
  'attachment.created': 'attachmentId tenantId entityType entityId fileName fileSize:n fileType uploadedAt uploadedBy',
};

/** Older names of event types, and the current name they mean. */
export const typeAliases: ReadonlyMap<string, string> = new Map([
  ['kpi.reading.created', 'measure.reading.created'],
  ['kpi.reading_created', 'measure.reading.created'],
]);

/**
 * Server values index these tables: only their own entries count, so a type
 * named `constructor` or `__proto__` finds nothing on Object.prototype.
 */
const own = <T>(table: Record<string, T>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

type Field = [name: string, kind: string, optional: boolean];
const compiled = new Map<string, Field[]>();

function fieldsOf(type: string): Field[] | undefined {
  let fields = compiled.get(type);
  const spec = fields ? undefined : own(schema, type);
  if (spec !== undefined) {
    fields = spec.split(' ').map((field) => {
      const optional = field.endsWith('?');
      const [name, kind = 's'] = (optional ? field.slice(0, -1) : field).split(':');
      return [name!, kind, optional];
    });
    compiled.set(type, fields);
  }
  return fields;
}

const kindName: Record<string, string> = { s: 'a string', n: 'a number', b: 'a boolean', a: 'an array of strings', z: 'a string or null' };

function fits(value: unknown, kind: string): boolean {
  switch (kind) {
    case 'n':
      return typeof value === 'number' && Number.isFinite(value);
    case 'b':
      return typeof value === 'boolean';
    case 'a':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'z':
      return value === null || typeof value === 'string';
    default:
      return typeof value === 'string';
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** What is wrong with a payload; `fatal` when the event cannot be trusted (a wrong kind, or no id or tenant). */
export interface PayloadProblem {
  message: string;
  fatal: boolean;
}

/**
 * Check a known type's payload. Returns undefined when it fits (or the type is
 * unknown: unknown types flow untyped), else what is wrong — naming the field
 * and the kind it got, never the value. A required field left out or null is
 * reported but not fatal, unless it is the entity's id (the first field) or
 * `tenantId`: backends serialise "no value" both ways, and an event that says
 * what changed must not be lost over a missing description.
 */
export function payloadProblem(envelope: Envelope): PayloadProblem | undefined {
  const fields = fieldsOf(envelope.type);
  if (!fields) return undefined;
  const data = envelope.data as Record<string, unknown>;
  let gap: PayloadProblem | undefined;
  for (const [index, [name, kind, optional]] of fields.entries()) {
    const value = own(data, name);
    // An optional field may be left out or sent as null (a nullable column serialised as is).
    if (value == null && optional) continue;
    if (!fits(value, kind)) {
      const message = `${envelope.type}: ${name} must be ${own(kindName, kind) ?? kindName.s}, got ${value === undefined ? 'nothing' : describe(value)}`;
      if (value != null || index === 0 || name === 'tenantId') return { message, fatal: true };
      gap ??= { message, fatal: false };
    }
  }
  return gap;
}

export function isKnownType(type: string): boolean {
  return Object.hasOwn(schema, type);
}

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const name = camel(key);
    // Assigning `__proto__` would set the prototype instead of keeping the key as data.
    if (name === '__proto__') Object.defineProperty(out, name, { value: camelKeys(inner), enumerable: true, writable: true, configurable: true });
    else out[name] = camelKeys(inner);
  }
  return out;
}

/**
 * Apply the older drafts' normalisations: renamed types always, snake_case
 * payload keys when asked. Returns the same object when nothing changed.
 */
export function normalizeEnvelope(envelope: Envelope, normalizeKeys: boolean): Envelope {
  const type = typeAliases.get(envelope.type) ?? envelope.type;
  const keysChange = normalizeKeys && Object.keys(envelope.data).some((key) => key.includes('_'));
  if (type === envelope.type && !keysChange) return envelope;
  return { ...envelope, type, data: keysChange ? (camelKeys(envelope.data) as Record<string, unknown>) : envelope.data };
}
