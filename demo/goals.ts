/** The goals list as a fold over goal events, shared by the log seed and live updates. */
import type { RealtimeEvent } from '../src/index.ts';

export interface Goal {
  id: string;
  /** Unknown when a status change arrived for a goal created before the log began. */
  title?: string;
  status: string;
}

const statusAfter: Record<string, (data: Record<string, unknown>) => string> = {
  'goal.created': (data) => String(data.status),
  'goal.activated': (data) => String(data.newStatus ?? 'active'),
  'goal.resumed': () => 'active',
  'goal.paused': () => 'paused',
  'goal.completed': () => 'completed',
  'goal.cancelled': () => 'cancelled',
};

/** Newest goal first. */
export function applyGoalEvent(goals: Goal[], event: RealtimeEvent): Goal[] {
  const next = statusAfter[event.type];
  if (!next || typeof event.data.goalId !== 'string') return goals;
  const id = event.data.goalId;
  const title = event.type === 'goal.created' ? String(event.data.title) : undefined;
  const change: Goal = { id, status: next(event.data), ...(title !== undefined ? { title } : {}) };
  const known = goals.some((goal) => goal.id === id);
  return known ? goals.map((goal) => (goal.id === id ? { ...goal, ...change } : goal)) : [change, ...goals];
}

/** The log's goals under the live ones: what arrived live is newer, the log only fills in. */
export function mergeSeed(seed: Goal[], live: Goal[]): Goal[] {
  const fromLog = new Map(seed.map((goal) => [goal.id, goal]));
  const merged = live.map((goal) => ({ ...fromLog.get(goal.id), ...goal, title: goal.title ?? fromLog.get(goal.id)?.title }));
  const liveIds = new Set(live.map((goal) => goal.id));
  return [...merged, ...seed.filter((goal) => !liveIds.has(goal.id))];
}
