// PurposePath's screens as its frontend guide writes them; only the imports name tabwire.
import { useEffect, useState } from 'react';
import {
  GoalActivityFeed,
  LiveBadge,
  RealtimeDebugPanel,
  RealtimeIndicator,
  useGoalActivity,
  useLiveBadge,
  useRealtime,
  useRealtimeConnection,
  useRealtimeEvent,
  useRealtimeGoals,
} from 'tabwire/purposepath/react';

interface Goal {
  goalId: string;
  title: string;
  status: string;
}

export function App() {
  return (
    <>
      <header>
        <h1>PurposePath</h1>
        <RealtimeIndicator showDetails position="header" />
      </header>
      <main>
        <ConnectionPanel />
        <GoalList />
        <GoalDetail goalId="g1" />
        <KpiWidget kpiId="k1" />
        <ActionToasts />
      </main>
      {(import.meta.env.DEV || import.meta.env.VITE_REALTIME_DEBUG === 'true') && <RealtimeDebugPanel />}
    </>
  );
}

function ConnectionPanel() {
  const { isConnected, connectionState, stats, isEnabled } = useRealtimeConnection();
  const { status } = useRealtime();
  if (!isEnabled) return <p id="fallback">Realtime is off: polling every 30 s.</p>;
  return (
    <dl>
      <dt>Connection</dt>
      <dd id="connection-state">{connectionState}</dd>
      <dt>Context status</dt>
      <dd id="context-status">{status}</dd>
      <dt>Connected</dt>
      <dd id="is-connected">{isConnected ? 'yes' : 'no'}</dd>
      <dt>Tabs</dt>
      <dd id="stats-tabs">{stats?.tabs ?? '—'}</dd>
      <dt>Events received</dt>
      <dd id="stats-events">{stats?.eventsReceived ?? '—'}</dd>
    </dl>
  );
}

function GoalList() {
  const [goals, setGoals] = useState<Goal[]>([]);
  const [log, setLog] = useState<string[]>([]);
  useRealtimeGoals({
    onGoalCreated: (data) => setGoals((current) => (current.some((g) => g.goalId === data.goalId) ? current : [...current, { goalId: data.goalId, title: data.title, status: data.status }])),
    onGoalCompleted: (data) => setGoals((current) => current.map((g) => (g.goalId === data.goalId ? { ...g, status: 'completed' } : g))),
    onAnyGoalEvent: (eventType, data) => setLog((current) => [...current, `${eventType}:${String(data.goalId)}`]),
  });
  return (
    <section aria-label="Goals">
      <ul id="goals">
        {goals.map((goal) => (
          <GoalCard key={goal.goalId} goal={goal} />
        ))}
      </ul>
      <p id="goal-log">{log.join(' ')}</p>
    </section>
  );
}

function GoalCard({ goal }: { goal: Goal }) {
  const { showBadge, triggerBadge } = useLiveBadge();
  // Just arrived, and again whenever something happens to it.
  useEffect(() => triggerBadge(), [triggerBadge]);
  useGoalActivity({ goalId: goal.goalId, onAnyGoalEvent: () => triggerBadge() });
  return (
    <li data-goal={goal.goalId}>
      {goal.title} ({goal.status}) <LiveBadge show={showBadge} size="sm" autoHideDuration={10_000} />
    </li>
  );
}

function GoalDetail({ goalId }: { goalId: string }) {
  const [pausedReason, setPausedReason] = useState<string>();
  const [activities, setActivities] = useState(0);
  useGoalActivity({
    goalId,
    onPaused: (data) => setPausedReason(data.reason ?? 'no reason'),
    onActivityCreated: () => setActivities((n) => n + 1),
  });
  return (
    <section aria-label="Goal g1">
      <p id="paused-reason">{pausedReason ?? 'running'}</p>
      <p id="activity-count">{activities}</p>
      <GoalActivityFeed goalId={goalId} maxActivities={50} autoScroll />
    </section>
  );
}

function KpiWidget({ kpiId }: { kpiId: string }) {
  const [value, setValue] = useState<number>();
  // The guide's name for a reading; the backend sends measure.reading.created.
  useRealtimeEvent({
    eventType: 'kpi.reading_created',
    onEvent: (message) => {
      if (message.data.kpiId === kpiId) setValue(message.data.value);
    },
    enabled: true,
    dependencies: [kpiId],
  });
  return <p id="kpi-value">{value ?? '—'}</p>;
}

function ActionToasts() {
  const [completed, setCompleted] = useState<string[]>([]);
  // The migration analysis's positional form: the handler gets the payload.
  useRealtimeEvent('action.completed', (data) => setCompleted((current) => [...current, data.actionId]), true);
  return <p id="actions-completed">{completed.join(' ')}</p>;
}
