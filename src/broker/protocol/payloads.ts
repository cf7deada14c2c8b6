/**
 * PurposePath's event catalogue (docs/protocol.md "Event catalogue"): the payload
 * schema of each of its types, in the compact form `schemas.ts` checks, and the
 * normalisations its older drafts need: renamed measure events and snake_case keys.
 * Enumerated values are not enforced: a backend that adds a status must not make
 * its events invalid.
 */
import type { Envelope } from '../../link/envelope.ts';


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

/** PurposePath's payload schemas, by type, in the compact form. */
export const purposepathSchemas: Readonly<Record<string, string>> = schema;

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
