import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ConnectionConfig, type ConnectionEvent, type ConnectionState, initialConnectionState, transition } from '../../../../src/broker/core/connection.ts';
import { transitionTable } from '../../../support/transition-table.ts';
import type { ConnectionStatus } from '../../../../src/link/states.ts';

const config: ConnectionConfig = {
  backoff: { minDelayMs: 1000, maxDelayMs: 30_000 },
  random: () => 0.5,
  handshakeTimeoutMs: 10_000,
  healthyAfterMs: 5000,
};

const states: Record<ConnectionStatus, ConnectionState> = {
  idle: { status: 'idle', reason: 'initial' },
  connecting: { status: 'connecting', reason: 'tab-attached', attempt: 0, credential: 'current' },
  authenticating: { status: 'authenticating', reason: 'socket-opened', attempt: 0, credential: 'current', step: 'handshake' },
  open: { status: 'open', reason: 'auth-accepted', attempt: 0, credential: 'current' },
  backoff: { status: 'backoff', reason: 'socket-closed', attempt: 1, delayMs: 1500 },
  offline: { status: 'offline', reason: 'went-offline' },
  unauthorized: { status: 'unauthorized', reason: 'token-rejected' },
  forbidden: { status: 'forbidden', reason: 'forbidden' },
  closed: { status: 'closed', reason: 'logout' },
};

/** Each row of the documented table as a concrete (state, event), and the config it needs when not the default. */
const cases: Record<string, { state?: ConnectionState; event: ConnectionEvent; config?: ConnectionConfig }> = {
  'start (online)': { event: { type: 'start', online: true } },
  'start (offline)': { event: { type: 'start', online: false } },
  'transport-open': { event: { type: 'transport-open' } },
  'token ready': {
    state: { status: 'authenticating', reason: 'socket-opened', attempt: 0, credential: 'current', step: 'token' },
    event: { type: 'token-ready' },
  },
  'woke up (timers late)': { event: { type: 'wake' } },
  'transport-closed': { event: { type: 'transport-closed' } },
  'handshake timer': { event: { type: 'timer', timer: 'handshake' } },
  'auth.success': { event: { type: 'auth-accepted' } },
  'UNAUTHORIZED (current token)': { event: { type: 'server-error', code: 'UNAUTHORIZED', during: 'auth' } },
  'token refreshed': {
    state: { status: 'authenticating', reason: 'token-refresh', attempt: 0, credential: 'current', step: 'refresh' },
    event: { type: 'token-refreshed' },
  },
  'UNAUTHORIZED (refreshed token)': {
    state: { status: 'authenticating', reason: 'socket-opened', attempt: 0, credential: 'refreshed', step: 'handshake' },
    event: { type: 'server-error', code: 'UNAUTHORIZED', during: 'auth' },
  },
  'refresh failed': {
    state: { status: 'authenticating', reason: 'token-refresh', attempt: 0, credential: 'current', step: 'refresh' },
    event: { type: 'refresh-failed' },
  },
  'refreshToken not answered in time': {
    state: { status: 'authenticating', reason: 'token-refresh', attempt: 0, credential: 'current', step: 'refresh' },
    event: { type: 'refresh-unanswered' },
  },
  'every getToken rejected': { event: { type: 'token-unavailable', cause: 'rejected' } },
  'no tab answered getToken': { event: { type: 'token-unavailable', cause: 'timeout' } },
  FORBIDDEN: { event: { type: 'server-error', code: 'FORBIDDEN', during: 'auth' } },
  RATE_LIMIT_EXCEEDED: { event: { type: 'server-error', code: 'RATE_LIMIT_EXCEEDED', during: 'auth' } },
  'other auth error': { event: { type: 'server-error', code: 'INTERNAL_ERROR', during: 'auth' } },
  UNAUTHORIZED: { event: { type: 'server-error', code: 'UNAUTHORIZED', during: 'connection' } },
  'UNAUTHORIZED (refreshed token, within 1 s)': {
    state: { status: 'open', reason: 'auth-accepted', attempt: 0, credential: 'refreshed' },
    event: { type: 'server-error', code: 'UNAUTHORIZED', during: 'connection' },
  },
  'retry timer': { event: { type: 'timer', timer: 'retry' } },
  online: { event: { type: 'network', online: true } },
  offline: { event: { type: 'network', online: false } },
  'reconnect()': { event: { type: 'reconnect', online: true } },
  'last tab gone': { event: { type: 'stop', reason: 'no-tabs' } },
  'logout()': { event: { type: 'stop', reason: 'logout' } },
  'transport-closed (maxAttempts-th failure in a row)': {
    state: { status: 'connecting', reason: 'retry', attempt: 2, credential: 'current' },
    event: { type: 'transport-closed' },
    config: { ...config, maxAttempts: 3 },
  },
};

describe('connection state machine', () => {
  it.each(transitionTable.map((row) => [...row]))('%s --%s--> %s (%s)', (from, description, to, reason) => {
    const scenario = cases[description];
    expect(scenario, `no concrete case for "${description}"`).toBeDefined();
    const start = scenario!.state && scenario!.state.status === from ? scenario!.state : states[from];
    const { state } = transition(start, scenario!.event, scenario!.config ?? config);
    expect(state.status).toBe(to);
    expect(state.reason).toBe(reason);
  });

  it('starts idle and connects when the first tab attaches', () => {
    const { state, effects } = transition(initialConnectionState, { type: 'start', online: true }, config);
    expect(state).toEqual({ status: 'connecting', reason: 'tab-attached', attempt: 0, credential: 'current' });
    expect(effects).toEqual([
      { type: 'clear-timers' },
      { type: 'open-transport' },
      { type: 'set-timer', timer: 'handshake', ms: 10_000 },
    ]);
  });

  it('asks a tab for a token once the socket opens, and bounds the auth phase only once a token is ready', () => {
    const opened = transition(states.connecting, { type: 'transport-open' }, config);
    expect(opened.effects).toContainEqual({ type: 'authenticate' });
    // The wait for a token is bounded per tab (tokenTimeoutMs): a hung tab must not time every handshake out.
    expect(opened.effects).not.toContainEqual(expect.objectContaining({ timer: 'handshake' }));
    const ready = transition(opened.state, { type: 'token-ready' }, config);
    expect(ready.state).toMatchObject({ status: 'authenticating', reason: 'socket-opened', step: 'handshake' });
    expect(ready.effects).toContainEqual({ type: 'set-timer', timer: 'handshake', ms: 10_000 });
  });

  it('reconnects at once when it wakes from a sleep with the socket open', () => {
    const { state, effects } = transition(states.open, { type: 'wake' }, config);
    expect(state).toMatchObject({ status: 'connecting', reason: 'woke-up', attempt: 0 });
    expect(effects).toContainEqual({ type: 'close-transport', reason: 'woke-up' });
    expect(effects).toContainEqual({ type: 'open-transport' });
    expect(transition(states.backoff, { type: 'wake' }, config).state).toBe(states.backoff);
  });

  it('counts failures and grows the delay until a connection stays healthy', () => {
    let state: ConnectionState = states.connecting;
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      ({ state } = transition(state, { type: 'transport-closed' }, { ...config, random: () => 1 }));
      expect(state.status).toBe('backoff');
      delays.push((state as Extract<ConnectionState, { status: 'backoff' }>).delayMs);
      ({ state } = transition(state, { type: 'timer', timer: 'retry' }, config));
    }
    expect(delays).toEqual([2000, 3000, 5000, 9000, 17_000, 30_000]);
    ({ state } = transition(state, { type: 'transport-open' }, config));
    ({ state } = transition(state, { type: 'auth-accepted' }, config));
    expect(state).toMatchObject({ status: 'open', attempt: 6 });
    // Dropped before it was healthy: the delay keeps growing.
    const early = transition(state, { type: 'transport-closed' }, config).state;
    expect(early).toMatchObject({ status: 'backoff', attempt: 7 });
    // Healthy for healthyAfterMs: the count resets, the next drop starts from the bottom.
    ({ state } = transition(state, { type: 'timer', timer: 'healthy' }, config));
    expect(state).toMatchObject({ status: 'open', attempt: 0 });
    expect(transition(state, { type: 'transport-closed' }, config).state).toMatchObject({ status: 'backoff', attempt: 1 });
  });

  it('uses a fixed delay list when one is given', () => {
    const fixed = { ...config, retryDelayMs: (attempt: number) => [100, 200][Math.min(attempt, 2) - 1]! };
    const first = transition(states.connecting, { type: 'transport-closed' }, fixed).state;
    expect(first).toMatchObject({ delayMs: 100 });
    const second = transition({ ...states.connecting, attempt: 4 } as ConnectionState, { type: 'transport-closed' }, fixed).state;
    expect(second).toMatchObject({ delayMs: 200 });
  });

  it('stops retrying after maxAttempts failed tries in a row, until a tab attaches or reconnect()', () => {
    const limited = { ...config, maxAttempts: 3 };
    let state: ConnectionState = states.connecting;
    const seen: string[] = [];
    // A refused handshake, a timeout and a closed socket all count as failed tries.
    const failures: ConnectionEvent[] = [
      { type: 'server-error', code: 'INTERNAL_ERROR', during: 'auth' },
      { type: 'timer', timer: 'handshake' },
      { type: 'transport-closed' },
    ];
    for (const failure of failures) {
      if (failure.type === 'server-error') ({ state } = transition(state, { type: 'transport-open' }, limited));
      const step = transition(state, failure, limited);
      state = step.state;
      seen.push(`${state.status}/${state.reason}`);
      if (state.status === 'backoff') ({ state } = transition(state, { type: 'timer', timer: 'retry' }, limited));
      else expect(step.effects).toContainEqual({ type: 'close-transport', reason: 'retries-exhausted' });
    }
    expect(seen).toEqual(['backoff/server-error', 'backoff/handshake-timeout', 'closed/retries-exhausted']);
    // Halted: no timer left, nothing but a tab or reconnect() starts it again, from the first attempt.
    expect(transition(state, { type: 'network', online: true }, limited).state).toBe(state);
    expect(transition(state, { type: 'start', online: true }, limited).state).toMatchObject({ status: 'connecting', reason: 'tab-attached', attempt: 0 });
    expect(transition(state, { type: 'reconnect', online: true }, limited).state).toMatchObject({ status: 'connecting', reason: 'reconnect-requested', attempt: 0 });
  });

  it('goes through backoff when an open connection drops, even at maxAttempts: the next try decides', () => {
    const limited = { ...config, maxAttempts: 2 };
    const dropped = transition({ ...states.open, attempt: 1 } as ConnectionState, { type: 'transport-closed' }, limited).state;
    expect(dropped).toMatchObject({ status: 'backoff', reason: 'socket-closed', attempt: 2 });
    const retried = transition(dropped, { type: 'timer', timer: 'retry' }, limited).state;
    expect(transition(retried, { type: 'transport-closed' }, limited).state).toEqual({ status: 'closed', reason: 'retries-exhausted' });
    // Without a limit it never stops.
    expect(transition({ ...states.connecting, attempt: 10_000 } as ConnectionState, { type: 'transport-closed' }, config).state.status).toBe('backoff');
  });

  it('refreshes the token once on UNAUTHORIZED, then gives up when the fresh token is refused too', () => {
    let { state, effects } = transition(states.authenticating, { type: 'server-error', code: 'UNAUTHORIZED', during: 'auth' }, config);
    expect(state).toMatchObject({ status: 'authenticating', step: 'refresh', reason: 'token-refresh' });
    expect(effects).toContainEqual({ type: 'refresh-token' });
    expect(effects).toContainEqual({ type: 'close-transport', reason: 'token-refresh' });
    ({ state, effects } = transition(state, { type: 'token-refreshed' }, config));
    expect(state).toMatchObject({ status: 'connecting', credential: 'refreshed' });
    ({ state } = transition(state, { type: 'transport-open' }, config));
    ({ state, effects } = transition(state, { type: 'server-error', code: 'UNAUTHORIZED', during: 'auth' }, config));
    expect(state).toEqual({ status: 'unauthorized', reason: 'token-rejected' });
    expect(effects).toContainEqual({ type: 'close-transport', reason: 'token-rejected' });
    expect(effects).not.toContainEqual({ type: 'refresh-token' });
  });

  it('watches a refreshed token for a second after it was accepted', () => {
    const { state, effects } = transition(
      { status: 'authenticating', reason: 'socket-opened', attempt: 0, credential: 'refreshed', step: 'handshake' },
      { type: 'auth-accepted' },
      config,
    );
    expect(state).toMatchObject({ status: 'open', credential: 'refreshed' });
    expect(effects).toContainEqual({ type: 'set-timer', timer: 'settled', ms: 1000 });
    expect(transition(states.authenticating, { type: 'auth-accepted' }, config).effects).not.toContainEqual(expect.objectContaining({ timer: 'settled' }));
  });

  it('refreshes again for a later expiry once a refreshed token was accepted', () => {
    let { state } = transition(
      { status: 'authenticating', reason: 'socket-opened', attempt: 0, credential: 'refreshed', step: 'handshake' },
      { type: 'auth-accepted' },
      config,
    );
    // Tokens that live a few seconds: the next expiry comes after the first second, before healthy.
    ({ state } = transition(state, { type: 'timer', timer: 'settled' }, config));
    ({ state } = transition(state, { type: 'server-error', code: 'UNAUTHORIZED', during: 'connection' }, config));
    expect(state).toMatchObject({ status: 'authenticating', step: 'refresh' });
  });

  it('stays unauthorized or forbidden when tabs come and go, and leaves only on reconnect()', () => {
    for (const status of ['unauthorized', 'forbidden'] as const) {
      expect(transition(states[status], { type: 'start', online: true }, config).state.status).toBe(status);
      expect(transition(states[status], { type: 'network', online: true }, config).state.status).toBe(status);
      expect(transition(states[status], { type: 'reconnect', online: true }, config).state.status).toBe('connecting');
    }
  });

  it('surfaces request-level errors mid-connection without leaving open', () => {
    for (const code of ['VALIDATION_ERROR', 'NOT_FOUND', 'INTERNAL_ERROR']) {
      const { state, effects } = transition(states.open, { type: 'server-error', code, during: 'connection' }, config);
      expect(state).toBe(states.open);
      expect(effects).toEqual([]);
    }
  });

  it('backs off exactly 1, 2, 4, 8 s (+≤10 %) on repeated rate limits', () => {
    let state: ConnectionState = states.authenticating;
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      ({ state } = transition(state, { type: 'server-error', code: 'RATE_LIMIT_EXCEEDED', during: 'auth' }, { ...config, random: () => 0 }));
      delays.push((state as Extract<ConnectionState, { status: 'backoff' }>).delayMs);
      ({ state } = transition(state, { type: 'timer', timer: 'retry' }, config));
      ({ state } = transition(state, { type: 'transport-open' }, config));
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
  });

  it('goes offline from any live state, closing the socket and stopping timers, and reconnects at once when back', () => {
    for (const status of ['connecting', 'authenticating', 'open', 'backoff'] as const) {
      const { state, effects } = transition(states[status], { type: 'network', online: false }, config);
      expect(state).toEqual({ status: 'offline', reason: 'went-offline' });
      expect(effects[0]).toEqual({ type: 'clear-timers' });
      if (status !== 'backoff') expect(effects).toContainEqual({ type: 'close-transport', reason: 'went-offline' });
    }
    const back = transition(states.offline, { type: 'network', online: true }, config);
    expect(back.state).toMatchObject({ status: 'connecting', reason: 'back-online', attempt: 0 });
    expect(back.effects).toContainEqual({ type: 'open-transport' });
  });

  it('ignores events that do not apply (stale socket callbacks, timers of another state)', () => {
    expect(transition(states.open, { type: 'transport-open' }, config).effects).toEqual([]);
    expect(transition(states.backoff, { type: 'transport-closed' }, config).effects).toEqual([]);
    expect(transition(states.idle, { type: 'timer', timer: 'retry' }, config).effects).toEqual([]);
    const refreshing: ConnectionState = { status: 'authenticating', reason: 'token-refresh', attempt: 0, credential: 'current', step: 'refresh' };
    expect(transition(refreshing, { type: 'transport-closed' }, config).state).toBe(refreshing);
  });

  it('every status has a reason on every transition', () => {
    const events: ConnectionEvent[] = Object.values(cases).map((c) => c.event);
    for (const from of Object.values(states)) {
      for (const event of events) {
        const { state } = transition(from, event, config);
        expect(typeof state.reason).toBe('string');
      }
    }
  });

  it('docs/states.md documents exactly this transition table', () => {
    const readme = readFileSync(new URL('../../../../docs/states.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^\| `(\w+)` \| (.+?) \| `(\w+)` \| `([\w-]+)` \|$/gm)].map((m) => [m[1], m[2], m[3], m[4]]);
    expect(rows).toEqual(transitionTable.map((row) => [...row]));
  });
});
