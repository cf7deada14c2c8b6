import { describe, expect, it } from 'vitest';
import { connectionState } from '../../../src/tab/connection-state.ts';
import type { ConnectionStatus, TransitionReason } from '../../../src/link/states.ts';

/** What `promise` came to within a few microtasks: 'resolved', its error's code, or 'pending'. */
const outcome = async (promise: Promise<void>) => {
  let settled = 'pending';
  promise.then(
    () => (settled = 'resolved'),
    (error: { code: string }) => (settled = error.code),
  );
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return settled;
};

function world() {
  const reported: unknown[] = [];
  let logouts = 0;
  const state = connectionState((error) => reported.push(error), () => logouts++);
  const seen: Array<[ConnectionStatus, ConnectionStatus, TransitionReason]> = [];
  state.listeners.add((next, prev, why) => seen.push([next, prev, why]));
  return { state, seen, reported, logouts: () => logouts };
}

describe('connection state', () => {
  it('remembers a logout through later states until a session opens or the app asks for one', () => {
    const { state } = world();
    state.set('open', 'auth-accepted');
    state.set('closed', 'logout');
    state.set('connecting', 'tab-attached');
    state.set('backoff', 'token-unavailable');
    expect(state.loggedOut).toBe(true);
    state.sessionWanted();
    expect(state.loggedOut).toBe(false);
    state.set('closed', 'logout');
    state.set('connecting', 'reconnect-requested');
    state.set('open', 'auth-accepted');
    expect(state.loggedOut).toBe(false);
  });

  it('tells every transition (next, prev, reason), and no repeat', () => {
    const { state, seen } = world();
    state.set('connecting', 'tab-attached');
    state.set('connecting', 'tab-attached');
    state.set('open', 'auth-accepted');
    expect(seen).toEqual([
      ['connecting', 'idle', 'tab-attached'],
      ['open', 'connecting', 'auth-accepted'],
    ]);
    expect([state.status, state.reason]).toEqual(['open', 'auth-accepted']);
  });

  it('reports a listener that throws and still tells the others', () => {
    const { state, seen, reported } = world();
    const boom = new Error('app bug');
    state.listeners.add(() => {
      throw boom;
    });
    state.set('open', 'auth-accepted');
    expect(reported).toEqual([boom]);
    expect(seen).toHaveLength(1);
  });

  it('resolves connected at the first open, through offline and backoff before it', async () => {
    const { state } = world();
    state.set('offline', 'went-offline');
    state.set('backoff', 'socket-closed');
    expect(await outcome(state.connected)).toBe('pending');
    state.set('open', 'auth-accepted');
    state.set('unauthorized', 'token-rejected');
    expect(await outcome(state.connected)).toBe('resolved');
  });

  it.each([
    ['unauthorized', 'token-rejected', 'UNAUTHORIZED'],
    ['forbidden', 'forbidden', 'FORBIDDEN'],
    ['closed', 'retries-exhausted', 'RETRIES_EXHAUSTED'],
  ] as const)('rejects connected when it becomes %s (%s) first: %s', async (next, why, code) => {
    const { state } = world();
    state.set(next, why);
    expect(await outcome(state.connected)).toBe(code);
  });

  it('leaves connected pending after logout: a login and reconnect() may follow', async () => {
    const { state, logouts } = world();
    state.set('closed', 'logout');
    expect(await outcome(state.connected)).toBe('pending');
    expect(logouts()).toBe(1);
  });

  it('is final once the tab closed: CLOSED for connected, no later transition', async () => {
    const { state, seen } = world();
    state.close();
    state.set('open', 'auth-accepted');
    expect(state.closed).toBe(true);
    expect(seen).toEqual([['closed', 'idle', 'closed-by-tab']]);
    expect(await outcome(state.connected)).toBe('CLOSED');
  });
});
