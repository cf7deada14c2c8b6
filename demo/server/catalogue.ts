/**
 * The REST writes of the mock backend and the event each one emits
 * (docs/protocol.md "Event catalogue"). One table, so every event type can be
 * produced through REST and the demo's buttons and the tests share it.
 */

export interface Actor {
  tenantId: string;
  userId: string;
}

type Body = Record<string, unknown>;

export interface Route {
  method: 'POST' | 'PATCH';
  /** Path with `:id` for the resource id. */
  path: string;
  type: string;
  /** Builds the payload (camelCase, always with tenantId). */
  payload: (actor: Actor, body: Body, id: string | undefined, now: string) => Record<string, unknown>;
}

let counter = 0;
export const newId = (prefix: string): string => `${prefix}-${Date.now().toString(36)}${(counter++).toString(36)}`;

const str = (value: unknown, fallback: string): string => (typeof value === 'string' && value.length > 0 ? value : fallback);
const num = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const optional = (key: string, value: unknown): Record<string, unknown> => (value === undefined ? {} : { [key]: value });

export const routes: Route[] = [
  {
    method: 'POST',
    path: '/api/goals',
    type: 'goal.created',
    payload: (a, b, _id, now) => ({
      goalId: str(b.goalId, newId('goal')),
      tenantId: a.tenantId,
      userId: a.userId,
      title: str(b.title, 'Untitled goal'),
      description: str(b.description, ''),
      status: str(b.status, 'draft'),
      createdAt: now,
      createdBy: a.userId,
    }),
  },
  {
    method: 'POST',
    path: '/api/goals/:id/activate',
    type: 'goal.activated',
    payload: (a, b, id, now) => ({
      goalId: id,
      tenantId: a.tenantId,
      previousStatus: str(b.previousStatus, 'draft'),
      newStatus: 'active',
      activatedAt: now,
      activatedBy: a.userId,
    }),
  },
  {
    method: 'POST',
    path: '/api/goals/:id/complete',
    type: 'goal.completed',
    payload: (a, b, id, now) => ({ goalId: id, tenantId: a.tenantId, completedAt: now, completedBy: a.userId, ...optional('finalNotes', b.finalNotes) }),
  },
  {
    method: 'POST',
    path: '/api/goals/:id/cancel',
    type: 'goal.cancelled',
    payload: (a, b, id, now) => ({ goalId: id, tenantId: a.tenantId, cancelledAt: now, cancelledBy: a.userId, ...optional('reason', b.reason) }),
  },
  {
    method: 'POST',
    path: '/api/goals/:id/pause',
    type: 'goal.paused',
    payload: (a, b, id, now) => ({ goalId: id, tenantId: a.tenantId, pausedAt: now, pausedBy: a.userId, ...optional('reason', b.reason) }),
  },
  {
    method: 'POST',
    path: '/api/goals/:id/resume',
    type: 'goal.resumed',
    payload: (a, _b, id, now) => ({ goalId: id, tenantId: a.tenantId, resumedAt: now, resumedBy: a.userId }),
  },
  {
    method: 'POST',
    path: '/api/goals/:id/activities',
    type: 'goal.activity.created',
    payload: (a, b, id, now) => ({
      activityId: newId('activity'),
      goalId: id,
      tenantId: a.tenantId,
      type: str(b.type, 'note'),
      title: str(b.title, 'Note'),
      content: str(b.content, ''),
      ...optional('tags', b.tags),
      createdAt: now,
      createdBy: a.userId,
    }),
  },
  {
    method: 'POST',
    path: '/api/operations/actions',
    type: 'action.created',
    payload: (a, b, _id, now) => ({
      actionId: str(b.actionId, newId('action')),
      tenantId: a.tenantId,
      goalId: str(b.goalId, 'goal-none'),
      title: str(b.title, 'Untitled action'),
      description: str(b.description, ''),
      assignedTo: str(b.assignedTo, a.userId),
      dueDate: str(b.dueDate, now.slice(0, 10)),
      priority: str(b.priority, 'medium'),
      status: str(b.status, 'todo'),
      createdAt: now,
      createdBy: a.userId,
    }),
  },
  {
    method: 'PATCH',
    path: '/api/operations/actions/:id/status',
    type: 'action.status_changed',
    payload: (a, b, id, now) => ({
      actionId: id,
      tenantId: a.tenantId,
      previousStatus: str(b.previousStatus, 'todo'),
      newStatus: str(b.newStatus, 'in_progress'),
      changedAt: now,
      changedBy: a.userId,
    }),
  },
  {
    method: 'POST',
    path: '/api/operations/actions/:id/complete',
    type: 'action.completed',
    payload: (a, b, id, now) => ({
      actionId: id,
      tenantId: a.tenantId,
      completedAt: now,
      completedBy: a.userId,
      ...optional('outcome', b.outcome),
      onTime: typeof b.onTime === 'boolean' ? b.onTime : true,
    }),
  },
  {
    method: 'PATCH',
    path: '/api/operations/actions/:id/priority',
    type: 'action.priority_changed',
    payload: (a, b, id, now) => ({
      actionId: id,
      tenantId: a.tenantId,
      previousPriority: str(b.previousPriority, 'medium'),
      newPriority: str(b.newPriority, 'high'),
      changedAt: now,
      changedBy: a.userId,
      ...optional('reason', b.reason),
    }),
  },
  {
    method: 'PATCH',
    path: '/api/operations/actions/:id/reassign',
    type: 'action.reassigned',
    payload: (a, b, id, now) => ({
      actionId: id,
      tenantId: a.tenantId,
      previousAssignee: typeof b.previousAssignee === 'string' ? b.previousAssignee : null,
      newAssignee: str(b.newAssignee, a.userId),
      assignedAt: now,
      assignedBy: a.userId,
      ...optional('note', b.note),
    }),
  },
  {
    method: 'PATCH',
    path: '/api/operations/actions/:id/progress',
    type: 'action.progress_updated',
    payload: (a, b, id, now) => ({
      actionId: id,
      tenantId: a.tenantId,
      previousProgress: num(b.previousProgress, 0),
      newProgress: num(b.newProgress, 50),
      updatedAt: now,
      updatedBy: a.userId,
    }),
  },
  {
    method: 'POST',
    path: '/api/measures/:id/readings',
    type: 'measure.reading.created',
    payload: (a, b, id, now) => ({
      readingId: newId('reading'),
      kpiId: id,
      tenantId: a.tenantId,
      value: num(b.value, 42),
      date: str(b.date, now.slice(0, 10)),
      ...optional('note', b.note),
      recordedAt: now,
      recordedBy: a.userId,
      ...optional('progress', b.progress),
    }),
  },
  {
    method: 'POST',
    path: '/api/operations/issues',
    type: 'issue.created',
    payload: (a, b, _id, now) => ({
      issueId: str(b.issueId, newId('issue')),
      tenantId: a.tenantId,
      title: str(b.title, 'Untitled issue'),
      description: str(b.description, ''),
      severity: str(b.severity, 'medium'),
      status: str(b.status, 'open'),
      priority: str(b.priority, 'medium'),
      category: str(b.category, 'bug'),
      ...optional('assignedTo', b.assignedTo),
      createdAt: now,
      createdBy: a.userId,
    }),
  },
  {
    method: 'PATCH',
    path: '/api/operations/issues/:id/status',
    type: 'issue.status_changed',
    payload: (a, b, id, now) => ({
      issueId: id,
      tenantId: a.tenantId,
      previousStatus: str(b.previousStatus, 'open'),
      newStatus: str(b.newStatus, 'in_progress'),
      changedAt: now,
      changedBy: a.userId,
    }),
  },
  {
    method: 'POST',
    path: '/api/decisions',
    type: 'decision.created',
    payload: (a, b, _id, now) => ({
      decisionId: newId('decision'),
      tenantId: a.tenantId,
      goalId: str(b.goalId, 'goal-none'),
      title: str(b.title, 'Decision'),
      decision: str(b.decision, 'Go'),
      rationale: str(b.rationale, ''),
      impact: str(b.impact, ''),
      decidedAt: now,
      decidedBy: a.userId,
      participants: Array.isArray(b.participants) ? b.participants.map(String) : [a.userId],
    }),
  },
  {
    method: 'POST',
    path: '/api/attachments',
    type: 'attachment.created',
    payload: (a, b, _id, now) => ({
      attachmentId: newId('attachment'),
      tenantId: a.tenantId,
      entityType: str(b.entityType, 'goal'),
      entityId: str(b.entityId, 'goal-none'),
      fileName: str(b.fileName, 'file.txt'),
      fileSize: num(b.fileSize, 1024),
      fileType: str(b.fileType, 'text/plain'),
      uploadedAt: now,
      uploadedBy: a.userId,
    }),
  },
];

/** Find the route for a method and path; returns the `:id` segment when the route has one. */
export function matchRoute(method: string, path: string): { route: Route; id: string | undefined } | undefined {
  const parts = path.split('/');
  for (const route of routes) {
    if (route.method !== method) continue;
    const pattern = route.path.split('/');
    if (pattern.length !== parts.length) continue;
    let id: string | undefined;
    let ok = true;
    for (let i = 0; i < pattern.length; i++) {
      if (pattern[i] === ':id') id = decodeURIComponent(parts[i]!);
      else if (pattern[i] !== parts[i]) ok = false;
    }
    if (ok) return { route, id };
  }
  return undefined;
}

/**
 * A complete payload of a catalogue type, defaults overlaid with `data`, so
 * tests and the control API can emit valid events while naming only what they
 * care about. Unknown types get `data` as it is.
 */
export function completePayload(type: string, actor: Actor, data: Record<string, unknown>, now: string): Record<string, unknown> {
  const route = routes.find((candidate) => candidate.type === type);
  if (!route) return { ...data };
  const id = typeof data.goalId === 'string' ? data.goalId : typeof data.actionId === 'string' ? data.actionId : undefined;
  return { ...route.payload(actor, {}, id ?? newId('id'), now), ...data };
}
