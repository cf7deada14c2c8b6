// @vitest-environment node
/**
 * A server render of `tabwire/purposepath/react`: its provider and every hook
 * render with renderToString, touch no browser global, connect nothing and
 * warn about nothing. (Its own file: the environment is chosen per file, and
 * purposepath.test.ts needs a DOM.)
 */
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { expect, it, vi } from 'vitest';
import { watchBrowserGlobals } from '../support/server-render.ts';
import {
  GoalActivityFeed,
  LiveBadge,
  RealtimeDebugPanel,
  RealtimeIndicator,
  RealtimeProvider,
  useGoalActivity,
  useRealtimeConnection,
  useRealtimeEvent,
  useRealtimeGoals,
} from '../../src/purposepath-react.ts';

// React 19 no longer warns about useLayoutEffect in a server render; React 18 did: played here.
vi.mock('react', async (importOriginal) => (await import('../support/server-render.ts')).reactWarningAsReact18(await importOriginal<typeof import('react')>()));

const globals = watchBrowserGlobals();

function Dashboard() {
  const { isConnected, connectionState, tabwireState, stats, isEnabled } = useRealtimeConnection();
  useRealtimeEvent({ eventType: 'goal.created', onEvent: () => {}, enabled: true, dependencies: [] });
  useRealtimeGoals({ onGoalCreated: () => {}, onAnyGoalEvent: () => {} });
  useGoalActivity({ goalId: 'g1', onCompleted: () => {} });
  const facts = [`connected:${isConnected}`, `state:${connectionState}`, `tabwire:${tabwireState}`, `stats:${stats ? 'yes' : 'none'}`, `enabled:${isEnabled}`];
  return createElement('p', null, facts.join(' '));
}

it.each([true, false])('renders on the server (enabled: %s) without browser globals or warnings', (enabled) => {
  const errors = vi.spyOn(console, 'error');
  const warnings = vi.spyOn(console, 'warn');
  const options = { url: 'wss://example.test/ws', getToken: () => 'token' };
  const html = renderToString(createElement(RealtimeProvider, { options, enabled }, createElement(Dashboard)));
  expect(html).toBe(`<p>connected:false state:disconnected tabwire:idle stats:none enabled:${enabled}</p>`);
  expect(globals.touched).toEqual([]);
  expect(errors).not.toHaveBeenCalled();
  expect(warnings).not.toHaveBeenCalled();
});

it('renders the components on the server without browser globals or warnings', () => {
  const errors = vi.spyOn(console, 'error');
  const warnings = vi.spyOn(console, 'warn');
  const options = { url: 'wss://example.test/ws', getToken: () => 'token' };
  const components = [
    createElement(RealtimeIndicator, { showDetails: true, key: 1 }),
    createElement(LiveBadge, { key: 2 }),
    createElement(GoalActivityFeed, { goalId: 'g1', key: 3 }),
    createElement(RealtimeDebugPanel, { key: 4 }),
  ];
  const html = renderToString(createElement(RealtimeProvider, { options, enabled: true }, components));
  expect(html).toContain('Disconnected');
  expect(html).toContain('role="feed"');
  expect(globals.touched).toEqual([]);
  expect(errors).not.toHaveBeenCalled();
  expect(warnings).not.toHaveBeenCalled();
});
