import { useEffect, useState } from 'react';
import type { RealtimeEvent } from '../../src/index.ts';
import { useBroker } from '../../src/react.ts';
import { useRealtimeGoals } from '../../src/purposepath-react.ts';
import { type Goal, applyGoalEvent, mergeSeed } from '../goals.ts';
import { rest } from '../session.ts';

const transitions: Record<string, Array<[label: string, action: string]>> = {
  draft: [['Activate', 'activate'], ['Cancel', 'cancel']],
  active: [['Pause', 'pause'], ['Complete', 'complete'], ['Cancel', 'cancel']],
  paused: [['Resume', 'resume'], ['Cancel', 'cancel']],
};

/** Goals from `useRealtimeGoals`: a status change made in one tab shows in all of them. */
export function Goals() {
  const broker = useBroker();
  const [goals, setGoals] = useState<Goal[]>([]);
  // Every goal event folds into the list; the guide-shaped handlers get the payload first, the event second.
  const apply = (_data: unknown, event: RealtimeEvent) => setGoals((current) => applyGoalEvent(current, event));
  useRealtimeGoals({ onGoalCreated: apply, onGoalActivated: apply, onGoalResumed: apply, onGoalPaused: apply, onGoalCompleted: apply, onGoalCancelled: apply });

  useEffect(() => {
    if (!broker) return;
    let live = true;
    // A tab opened later starts from the shared log, like the feed does.
    broker.recent({ type: 'goal.*', limit: 100 }).then(
      (events) => live && setGoals((current) => mergeSeed(events.reduce(applyGoalEvent, [] as Goal[]), current)),
      () => {},
    );
    const off = broker.onState((_next, _prev, reason) => reason === 'logout' && setGoals([]));
    return () => {
      live = false;
      off();
    };
  }, [broker]);

  return (
    <section>
      <h2>Goals</h2>
      {goals.length === 0 && <p className="muted">No goals yet: create one.</p>}
      <ul className="goals" id="goals">
        {goals.slice(0, 20).map((goal) => (
          <li key={goal.id}>
            <span className="goal-title">{goal.title ?? goal.id}</span>
            <span className={`status status-${goal.status}`}>{goal.status}</span>
            <span className="goal-actions">
              {(transitions[goal.status] ?? []).map(([label, action]) => (
                <button key={action} onClick={() => void rest('POST', `/api/goals/${goal.id}/${action}`, { previousStatus: goal.status })}>
                  {label}
                </button>
              ))}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
