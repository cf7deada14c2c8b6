import { useMemo } from 'react';
import { useBroker } from '../src/react.ts';
import { serverStats } from './control.ts';
import { Debug } from './panels/debug.tsx';
import { Faults } from './panels/faults.tsx';
import { Feed } from './panels/feed.tsx';
import { Goals } from './panels/goals.tsx';
import { StatusBar } from './panels/status-bar.tsx';
import { WorkerCounters } from './panels/worker-counters.tsx';
import { Writes } from './panels/writes.tsx';
import { usePolling } from './polling.ts';

export function App() {
  const broker = useBroker();
  const readStats = useMemo(() => (broker ? () => broker.stats() : undefined), [broker]);
  const stats = usePolling(readStats);
  const server = usePolling(serverStats);
  return (
    <>
      <StatusBar stats={stats} server={server} />
      <main>
        <div className="column">
          <Writes />
          <Faults />
        </div>
        <Feed />
        <div className="column">
          <Goals />
          <WorkerCounters stats={stats} />
          <Debug />
        </div>
      </main>
    </>
  );
}
