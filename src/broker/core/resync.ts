/**
 * Gap detection and coalescing. A gap opens when a live connection is lost (or a
 * worker starts and finds a stored last-seen) and closes once the connection has
 * stayed open for the settle time and any replay has finished. Every tab is told
 * once per gap, however often the connection flapped inside it.
 *
 * Pure reducer: the worker feeds it what happened with the time it happened
 * (ms since epoch) and performs the effects.
 */


import type { GapReason, ResyncSignal } from '../../link/states.ts';


export type ReplayStatus = 'none' | 'pending' | 'done' | 'failed';

export type GapState =
  /** Never connected in this worker's life: the first open checks for a stored last-seen. */
  | { phase: 'fresh' }
  | { phase: 'live'; openedAt: number }
  | { phase: 'gap'; since: number; reason: GapReason }
  | {
      phase: 'settling';
      since: number;
      reason: GapReason;
      openedAt: number;
      settled: boolean;
      replay: ReplayStatus;
      replayed: number;
      complete: boolean;
    };

export type GapEvent =
  | { type: 'lost'; at: number; reason: GapReason; lastSeenAt: number | null }
  /** The handshake succeeded; `storedLastSeenAt` matters only on the first open of a worker. */
  | { type: 'opened'; at: number; storedLastSeenAt: number | null; replay: boolean }
  | { type: 'settled' }
  | { type: 'replay-finished'; ok: boolean; count: number; complete: boolean }
  /** Another user or tenant authenticated at `at`: every tab refetches, no replay of the old gap. */
  | { type: 'session-changed'; at: number }
  /** Logout: forget everything. */
  | { type: 'reset' };

export type GapEffect =
  | { type: 'start-settle-timer' }
  | { type: 'cancel-settle-timer' }
  /** Fetch events after `since` (ms) through the events-since endpoint. */
  | { type: 'start-replay'; since: number }
  | { type: 'emit'; signal: Omit<ResyncSignal, 'since' | 'until'> & { since: number; until: number } };

export interface GapTransition {
  state: GapState;
  effects: GapEffect[];
}

export const initialGapState: GapState = { phase: 'fresh' };

function settle(
  since: number,
  reason: GapReason,
  at: number,
  replay: boolean,
): GapTransition {
  return {
    state: { phase: 'settling', since, reason, openedAt: at, settled: false, replay: replay ? 'pending' : 'none', replayed: 0, complete: false },
    effects: replay ? [{ type: 'start-settle-timer' }, { type: 'start-replay', since }] : [{ type: 'start-settle-timer' }],
  };
}

/** Close the gap when both the settle time passed and the replay is over. */
function maybeEmit(state: Extract<GapState, { phase: 'settling' }>, now: number): GapTransition {
  if (!state.settled || state.replay === 'pending') return { state, effects: [] };
  return {
    state: { phase: 'live', openedAt: state.openedAt },
    effects: [
      {
        type: 'emit',
        signal: {
          since: state.since,
          until: now,
          reason: state.reason,
          replayed: state.replayed,
          complete: state.replay === 'done' && state.complete,
        },
      },
    ],
  };
}

export function gapTransition(state: GapState, event: GapEvent, now: number): GapTransition {
  if (event.type === 'reset') {
    return { state: initialGapState, effects: state.phase === 'settling' ? [{ type: 'cancel-settle-timer' }] : [] };
  }
  if (event.type === 'session-changed') {
    const signal = { since: event.at, until: now, reason: 'session-changed' as const, replayed: 0, complete: false };
    const effects: GapEffect[] = state.phase === 'settling' ? [{ type: 'cancel-settle-timer' }] : [];
    return { state: { phase: 'live', openedAt: event.at }, effects: [...effects, { type: 'emit', signal }] };
  }
  switch (state.phase) {
    case 'fresh':
      if (event.type === 'opened') {
        if (event.storedLastSeenAt !== null) return settle(event.storedLastSeenAt, 'restart', event.at, event.replay);
        return { state: { phase: 'live', openedAt: event.at }, effects: [] };
      }
      if (event.type === 'lost' && event.lastSeenAt !== null) {
        return { state: { phase: 'gap', since: event.lastSeenAt, reason: 'restart' }, effects: [] };
      }
      return { state, effects: [] };

    case 'live':
      if (event.type === 'lost') {
        // Nothing seen yet: anything after the connection opened may be missing.
        return { state: { phase: 'gap', since: event.lastSeenAt ?? state.openedAt, reason: event.reason }, effects: [] };
      }
      return { state, effects: [] };

    case 'gap':
      if (event.type === 'opened') return settle(state.since, state.reason, event.at, event.replay);
      return { state, effects: [] };

    case 'settling':
      switch (event.type) {
        case 'lost':
          // A flap: the same gap goes on, with its first `since` and reason.
          return { state: { phase: 'gap', since: state.since, reason: state.reason }, effects: [{ type: 'cancel-settle-timer' }] };
        case 'settled':
          return maybeEmit({ ...state, settled: true }, now);
        case 'replay-finished':
          if (state.replay !== 'pending') return { state, effects: [] };
          return maybeEmit(
            {
              ...state,
              replay: event.ok ? 'done' : 'failed',
              replayed: state.replayed + event.count,
              complete: event.ok && event.complete,
            },
            now,
          );
        default:
          return { state, effects: [] };
      }
  }
}
