/**
 * The guide's goal hooks: `useRealtimeGoals` (every goal of the tenant) and
 * `useGoalActivity` (one goal). Handlers get the payload, as in the guide
 * (`onPaused: (data) => data.reason`), then the whole event for its `eventId`,
 * `timestamp` or `replayed`.
 */
import type { TabwireEvents } from '../link/catalogue.ts';
import type { RealtimeEvent } from '../link/events.ts';
import { useSubscription } from './events.ts';

type GoalEvents = Pick<
  TabwireEvents,
  'goal.created' | 'goal.activated' | 'goal.completed' | 'goal.cancelled' | 'goal.paused' | 'goal.resumed' | 'goal.activity.created' | 'decision.created'
>;
/** The guide's handler: the payload, then the whole event. */
type DataHandler<T extends keyof GoalEvents> = (data: GoalEvents[T], event: RealtimeEvent<T, GoalEvents[T]>) => void;
type AnyGoalHandler = (eventType: string, data: Record<string, unknown>, event: RealtimeEvent) => void;

/** The word each type's handler is named by: `onGoalCompleted`, `onCompleted`. */
const handlerWord: Record<string, string> = {
  'goal.created': 'Created',
  'goal.activated': 'Activated',
  'goal.completed': 'Completed',
  'goal.cancelled': 'Cancelled',
  'goal.paused': 'Paused',
  'goal.resumed': 'Resumed',
  'goal.activity.created': 'ActivityCreated',
  'decision.created': 'Decision',
};

type Loose = (...args: unknown[]) => void;

/** The handler called `prefix` + the type's word; own keys only, as a server may name a type `constructor`. */
function handlerFor(handlers: object, prefix: string, type: string): Loose | undefined {
  const word = Object.hasOwn(handlerWord, type) ? handlerWord[type] : undefined;
  const value = word ? (handlers as Record<string, unknown>)[prefix + word] : undefined;
  return typeof value === 'function' ? (value as Loose) : undefined;
}

export interface RealtimeGoalsHandlers {
  onGoalCreated?: DataHandler<'goal.created'>;
  onGoalActivated?: DataHandler<'goal.activated'>;
  onGoalCompleted?: DataHandler<'goal.completed'>;
  onGoalCancelled?: DataHandler<'goal.cancelled'>;
  onGoalPaused?: DataHandler<'goal.paused'>;
  onGoalResumed?: DataHandler<'goal.resumed'>;
  onGoalActivityCreated?: DataHandler<'goal.activity.created'>;
  /** Every goal event, after its own handler: its type, its payload, then the whole event. */
  onAnyGoalEvent?: AnyGoalHandler;
  /** `false`: no subscription. @default true */
  enabled?: boolean;
}

/** The guide's `useRealtimeGoals({ onGoalCreated, onGoalCompleted, …, onAnyGoalEvent })`: every goal event of the tenant. */
export function useRealtimeGoals(handlers: RealtimeGoalsHandlers): void {
  const route = (event: RealtimeEvent) => {
    handlerFor(handlers, 'onGoal', event.type)?.(event.data, event);
    handlers.onAnyGoalEvent?.(event.type, event.data, event);
  };
  useSubscription('useRealtimeGoals', 'goal.*', route, handlers.enabled ?? true);
}

export interface GoalActivityOptions {
  goalId: string;
  onActivated?: DataHandler<'goal.activated'>;
  onCompleted?: DataHandler<'goal.completed'>;
  onCancelled?: DataHandler<'goal.cancelled'>;
  onPaused?: DataHandler<'goal.paused'>;
  onResumed?: DataHandler<'goal.resumed'>;
  onActivityCreated?: DataHandler<'goal.activity.created'>;
  onDecision?: DataHandler<'decision.created'>;
  /** Every event about this goal, after its own handler. */
  onAnyGoalEvent?: AnyGoalHandler;
  /** `false`: no subscription. @default true */
  enabled?: boolean;
}

/** The guide's `useGoalActivity({ goalId, onCompleted, onPaused, onActivityCreated, … })`: everything about one goal. */
export function useGoalActivity(options: GoalActivityOptions): void {
  const route = (event: RealtimeEvent) => {
    if (event.data.goalId !== options.goalId) return;
    handlerFor(options, 'on', event.type)?.(event.data, event);
    options.onAnyGoalEvent?.(event.type, event.data, event);
  };
  const enabled = options.enabled !== false;
  useSubscription('useGoalActivity', 'goal.*', route, enabled);
  useSubscription('useGoalActivity', 'decision.created', route, enabled);
}
