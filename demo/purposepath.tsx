/**
 * Stories of `tabwire/purposepath/react`'s components, one section each, live against
 * the mock backend named by `?backend=` (as the demo page): open it in several tabs.
 * The feature flag is a checkbox here; an app reads it from its build's environment.
 */
import { StrictMode, type ReactNode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import {
  GoalActivityFeed,
  LiveBadge,
  RealtimeDebugPanel,
  RealtimeIndicator,
  RealtimeProvider,
  useLiveBadge,
} from '../src/purposepath-react.ts';
import { connectOptions, rest } from './session.ts';

function Story({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="panel" aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

function LiveBadgeStory() {
  const { showBadge, triggerBadge } = useLiveBadge();
  return (
    <>
      <p>
        Sizes: <LiveBadge size="sm" autoHideDuration={0} /> <LiveBadge size="md" autoHideDuration={0} /> <LiveBadge size="lg" label="Updated" autoHideDuration={0} />
      </p>
      <p>
        <button type="button" onClick={triggerBadge}>
          Update the item
        </button>{' '}
        An item <LiveBadge show={showBadge} />
      </p>
    </>
  );
}

function Stories() {
  const [enabled, setEnabled] = useState(true);
  return (
    <RealtimeProvider enabled={enabled} options={connectOptions}>
      <header>
        <label>
          <input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} /> Feature flag (realtime on)
        </label>
      </header>
      <main>
        <Story title="RealtimeIndicator">
          <p>
            In the header: <RealtimeIndicator position="header" />
          </p>
          <p>
            With details (click, Escape closes): <RealtimeIndicator showDetails position="footer" />
          </p>
        </Story>
        <Story title="LiveBadge and useLiveBadge">
          <LiveBadgeStory />
        </Story>
        <Story title="GoalActivityFeed (goal g1)">
          <button type="button" onClick={() => void rest('POST', '/api/goals/g1/activities', { title: `Note ${new Date().toLocaleTimeString()}`, content: 'Added from the stories page' })}>
            Add an activity to g1
          </button>
          <GoalActivityFeed className="story-feed" goalId="g1" maxActivities={50} />
        </Story>
        <Story title="RealtimeDebugPanel">
          <RealtimeDebugPanel defaultOpen />
        </Story>
      </main>
    </RealtimeProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Stories />
  </StrictMode>,
);
