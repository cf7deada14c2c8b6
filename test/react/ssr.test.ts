// @vitest-environment node
/**
 * A server render of the provider and every hook: no browser global is
 * touched, nothing is connected, nothing warns, and the output is the initial
 * state a client hydrates from. (The PurposePath hooks' server render is in
 * purposepath.test.ts.)
 */
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { expect, it, vi } from 'vitest';
import { watchBrowserGlobals } from '../support/server-render.ts';
import {
  TabwireProvider,
  useBroker,
  useConnectionState,
  useRealtimeError,
  useRealtimeEvent,
  useRecentEvents,
  useResync,
  useUpgrade,
} from '../../src/tab/react.ts';

// React 19 no longer warns about useLayoutEffect in a server render; React 18 did: played here.
vi.mock('react', async (importOriginal) => (await import('../support/server-render.ts')).reactWarningAsReact18(await importOriginal<typeof import('react')>()));

const globals = watchBrowserGlobals();

function Feed() {
  const broker = useBroker();
  const state = useConnectionState();
  const { events, loading } = useRecentEvents({ type: 'goal.*', since: new Date(0), limit: 5 });
  const { notice } = useUpgrade();
  useRealtimeEvent('*', () => {});
  useResync(() => {});
  useRealtimeError(() => {});
  const facts = [`broker:${broker ? 'yes' : 'none'}`, `state:${state}`, `loading:${loading}`, `events:${events.length}`];
  return createElement('p', null, [...facts, `upgrade:${notice?.buildId ?? 'none'}`].join(' '));
}

it('renders on the server without touching window, document or navigator, and without warnings', () => {
  const errors = vi.spyOn(console, 'error');
  const warnings = vi.spyOn(console, 'warn');
  const options = { url: 'wss://example.test/ws', getToken: () => 'token' };
  const html = renderToString(createElement(TabwireProvider, { options }, createElement(Feed)));
  // The broker is there from the first render, and idle: nothing connects on the server.
  expect(html).toBe('<p>broker:yes state:idle loading:true events:0 upgrade:none</p>');
  expect(globals.touched).toEqual([]);
  expect(errors).not.toHaveBeenCalled();
  expect(warnings).not.toHaveBeenCalled();
});
