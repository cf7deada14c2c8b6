/**
 * The event catalogue of docs/protocol.md as types. Payloads are type aliases (not
 * interfaces) so they stay assignable to the untyped `Record<string, unknown>`.
 *
 * Enumerated fields list the documented values and accept any other string:
 * a backend that adds a status must not make its events invalid here.
 */

/** The documented values, plus any string the backend adds later (keeps editor completion). */
type Open<T extends string> = T | (string & {});

export type GoalStatus = Open<'draft' | 'active' | 'completed' | 'paused' | 'archived'>;
export type ActionStatus = Open<'todo' | 'in_progress' | 'completed' | 'paused' | 'blocked'>;
export type ActionPriority = Open<'low' | 'medium' | 'high' | 'critical'>;
export type IssueSeverity = Open<'low' | 'medium' | 'high' | 'critical'>;
export type IssueStatus = Open<'open' | 'in_progress' | 'resolved' | 'closed'>;
export type IssuePriority = Open<'low' | 'medium' | 'high' | 'urgent'>;
export type IssueCategory = Open<'bug' | 'feature' | 'improvement' | 'question' | 'other'>;
export type ActivityType = Open<'note' | 'comment' | 'attachment' | 'decision' | 'review'>;
export type AttachmentEntity = Open<'goal' | 'action' | 'issue'>;

export type GoalCreated = {
  goalId: string;
  tenantId: string;
  userId: string;
  title: string;
  description: string;
  status: GoalStatus;
  createdAt: string;
  createdBy: string;
};
export type GoalActivated = {
  goalId: string;
  tenantId: string;
  previousStatus: GoalStatus;
  newStatus: 'active';
  activatedAt: string;
  activatedBy: string;
};
export type GoalCompleted = { goalId: string; tenantId: string; completedAt: string; completedBy: string; finalNotes?: string | null };
export type GoalCancelled = { goalId: string; tenantId: string; cancelledAt: string; cancelledBy: string; reason?: string | null };
/** No payload published yet (docs/protocol.md): only goalId and tenantId are checked. */
export type GoalPaused = { goalId: string; tenantId: string; pausedAt?: string; pausedBy?: string; reason?: string | null };
/** No payload published yet (docs/protocol.md): only goalId and tenantId are checked. */
export type GoalResumed = { goalId: string; tenantId: string; resumedAt?: string; resumedBy?: string };
export type GoalActivityCreated = {
  activityId: string;
  goalId: string;
  tenantId: string;
  type: ActivityType;
  title: string;
  content: string;
  tags?: string[] | null;
  createdAt: string;
  createdBy: string;
};
export type ActionCreated = {
  actionId: string;
  tenantId: string;
  goalId: string;
  title: string;
  description: string;
  assignedTo: string;
  dueDate: string;
  priority: ActionPriority;
  status: ActionStatus;
  createdAt: string;
  createdBy: string;
};
export type ActionStatusChanged = {
  actionId: string;
  tenantId: string;
  previousStatus: ActionStatus;
  newStatus: ActionStatus;
  changedAt: string;
  changedBy: string;
};
export type ActionCompleted = {
  actionId: string;
  tenantId: string;
  completedAt: string;
  completedBy: string;
  outcome?: string | null;
  onTime: boolean;
};
export type ActionPriorityChanged = {
  actionId: string;
  tenantId: string;
  previousPriority: ActionPriority;
  newPriority: ActionPriority;
  changedAt: string;
  changedBy: string;
  reason?: string | null;
};
export type ActionReassigned = {
  actionId: string;
  tenantId: string;
  previousAssignee: string | null;
  newAssignee: string;
  assignedAt: string;
  assignedBy: string;
  note?: string | null;
};
export type ActionProgressUpdated = {
  actionId: string;
  tenantId: string;
  /** 0–100 */
  previousProgress: number;
  /** 0–100 */
  newProgress: number;
  updatedAt: string;
  updatedBy: string;
};
export type MeasureReadingCreated = {
  readingId: string;
  kpiId: string;
  tenantId: string;
  value: number;
  /** YYYY-MM-DD */
  date: string;
  note?: string | null;
  recordedAt: string;
  recordedBy: string;
  /** 0–100 */
  progress?: number | null;
};
export type IssueCreated = {
  issueId: string;
  tenantId: string;
  title: string;
  description: string;
  severity: IssueSeverity;
  status: IssueStatus;
  priority: IssuePriority;
  category: IssueCategory;
  assignedTo?: string | null;
  createdAt: string;
  createdBy: string;
};
export type IssueStatusChanged = {
  issueId: string;
  tenantId: string;
  previousStatus: IssueStatus;
  newStatus: IssueStatus;
  changedAt: string;
  changedBy: string;
};
export type DecisionCreated = {
  decisionId: string;
  tenantId: string;
  goalId: string;
  title: string;
  decision: string;
  rationale: string;
  impact: string;
  decidedAt: string;
  decidedBy: string;
  participants: string[];
};
export type AttachmentCreated = {
  attachmentId: string;
  tenantId: string;
  entityType: AttachmentEntity;
  entityId: string;
  fileName: string;
  /** bytes */
  fileSize: number;
  /** MIME type */
  fileType: string;
  uploadedAt: string;
  uploadedBy: string;
};

export type AuthSuccess = { tenantId: string; userId: string; connectionId: string };

/** docs/protocol.md "Errors". */
export type ServerErrorCode = Open<
  'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'VALIDATION_ERROR' | 'RATE_LIMIT_EXCEEDED' | 'INTERNAL_ERROR'
>;
export type ServerError = { error: string; code: ServerErrorCode };

/**
 * The domain events of docs/protocol.md, by type. An interface, so apps can add
 * their own types by declaration merging:
 *
 *     declare module 'tabwire' { interface TabwireEvents { 'chat.message': { text: string } } }
 */
export interface TabwireEvents {
  'goal.created': GoalCreated;
  'goal.activated': GoalActivated;
  'goal.completed': GoalCompleted;
  'goal.cancelled': GoalCancelled;
  'goal.paused': GoalPaused;
  'goal.resumed': GoalResumed;
  'goal.activity.created': GoalActivityCreated;
  'action.created': ActionCreated;
  'action.status_changed': ActionStatusChanged;
  'action.completed': ActionCompleted;
  'action.priority_changed': ActionPriorityChanged;
  'action.reassigned': ActionReassigned;
  'action.progress_updated': ActionProgressUpdated;
  'measure.reading.created': MeasureReadingCreated;
  'issue.created': IssueCreated;
  'issue.status_changed': IssueStatusChanged;
  'decision.created': DecisionCreated;
  'attachment.created': AttachmentCreated;
}

/**
 * Control frames: delivered only to handlers of their exact type, never to
 * `*` or prefixes (see README). Error frames also surface through `onError`.
 */
export interface ControlFrames {
  'auth.success': AuthSuccess;
  'auth.error': ServerError;
  'connection.error': ServerError;
  'broadcast.error': ServerError;
}
