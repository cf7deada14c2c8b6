/**
 * Gap detection and coalescing. A gap opens when a live connection is lost (or a
 * worker starts and finds a stored last-seen) and closes once the connection has
 * stayed open for the settle time and any replay has finished. Every tab is told
 * once per gap, however often the connection flapped inside it.
 *
 * Pure reducer: the worker feeds it what happened with the time it happened
 * (ms since epoch) and performs the effects.
 */

import type { GapSnapshot } from '../../link/debug.ts';
import type { GapReason, ResyncSignal } from '../../link/states.ts';

/**
 * `guessed`: the instant is the browser's clock standing in for the server's, which the handshake
 * did not give. It is told (a resync needs a `since`), but nothing is replayed from it and a gap
 * that starts there is never complete.
 */
type Guess = { guessed?: true };

export type GapEvent =
  | { type: 'lost'; at: number; reason: GapReason; lastSeenAt: number | null }
  /** The handshake succeeded; `storedLastSeenAt` matters only on the first open of a worker. */
  | ({ type: 'opened'; at: number; storedLastSeenAt: number | null; replay: boolean } & Guess)
  | { type: 'settled' }
  | { type: 'replay-finished'; ok: boolean; count: number; complete: boolean }
  /** Another user or tenant authenticated at `at`: every tab refetches, no replay of the old gap. */
  | ({ type: 'session-changed'; at: number } & Guess)
  /** Logout: forget everything. */
  | { type: 'reset' };

export type GapEffect =
  | { type: 'start-settle-timer' }
  | { type: 'cancel-settle-timer' }
  /** Fetch events after `since` (ms) through the events-since endpoint. */
  | { type: 'start-replay'; since: number }
  | { type: 'emit'; signal: Omit<ResyncSignal, 'since' | 'until'> & { since: number; until: number } };

export interface GapTransition {
  state: GapSnapshot;
  effects: GapEffect[];
}

export const initialGapState: GapSnapshot = { phase: 'fresh' };

/**
 * The `since` of a gap whose start only the browser's clock could place: the epoch, so the window
 * claims nothing about which events are safe (docs/api.md, `onResync`).
 */
export const unplacedSince = 0;

/** Likewise the `until` of an incomplete gap closed while the server's clock is still unknown. */
export const unplacedUntil = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The guess flag of an instant, as a spreadable field. */
const guessFlag = (guessed: boolean | undefined, field: 'guessed' | 'sinceGuessed') => (guessed ? { [field]: true as const } : {});

function settle(
  gap: { since: number; sinceGuessed?: true; reason: GapReason },
  opened: Extract<GapEvent, { type: 'opened' }>,
): GapTransition {
  const { since, reason, sinceGuessed } = gap;
  // Nothing is replayed from the browser's guess of the server's time.
  const replay = opened.replay && !sinceGuessed;
  return {
    state: {
      phase: 'settling',
      since,
      ...guessFlag(sinceGuessed, 'sinceGuessed'),
      reason,
      opened: { at: opened.at, ...guessFlag(opened.guessed, 'guessed') },
      settled: false,
      replay: replay ? 'pending' : 'none',
      replayed: 0,
      complete: false,
    },
    effects: replay ? [{ type: 'start-settle-timer' }, { type: 'start-replay', since }] : [{ type: 'start-settle-timer' }],
  };
}

/** Close the gap when both the settle time passed and the replay is over. */
function maybeEmit(state: Extract<GapSnapshot, { phase: 'settling' }>, now: number): GapTransition {
  if (!state.settled || state.replay === 'pending') return { state, effects: [] };
  return {
    state: { phase: 'live', openedAt: state.opened.at, ...guessFlag(state.opened.guessed, 'guessed') },
    effects: [
      {
        type: 'emit',
        signal: {
          since: state.sinceGuessed ? unplacedSince : state.since,
          until: now,
          reason: state.reason,
          replayed: state.replayed,
          complete: state.replay === 'done' && state.complete,
        },
      },
    ],
  };
}

export function gapTransition(state: GapSnapshot, event: GapEvent, now: number): GapTransition {
  if (event.type === 'reset') {
    return { state: initialGapState, effects: state.phase === 'settling' ? [{ type: 'cancel-settle-timer' }] : [] };
  }
  if (event.type === 'session-changed') {
    const signal = { since: event.guessed ? unplacedSince : event.at, until: now, reason: 'session-changed' as const, replayed: 0, complete: false };
    const effects: GapEffect[] = state.phase === 'settling' ? [{ type: 'cancel-settle-timer' }] : [];
    return { state: { phase: 'live', openedAt: event.at, ...guessFlag(event.guessed, 'guessed') }, effects: [...effects, { type: 'emit', signal }] };
  }
  switch (state.phase) {
    case 'fresh':
      if (event.type === 'opened') {
        if (event.storedLastSeenAt !== null) return settle({ since: event.storedLastSeenAt, reason: 'restart' }, event);
        return { state: { phase: 'live', openedAt: event.at, ...guessFlag(event.guessed, 'guessed') }, effects: [] };
      }
      if (event.type === 'lost' && event.lastSeenAt !== null) {
        return { state: { phase: 'gap', since: event.lastSeenAt, reason: 'restart' }, effects: [] };
      }
      return { state, effects: [] };

    case 'live':
      if (event.type === 'lost') {
        // Nothing seen yet: anything after the connection opened may be missing.
        if (event.lastSeenAt !== null) return { state: { phase: 'gap', since: event.lastSeenAt, reason: event.reason }, effects: [] };
        return { state: { phase: 'gap', since: state.openedAt, reason: event.reason, ...guessFlag(state.guessed, 'sinceGuessed') }, effects: [] };
      }
      return { state, effects: [] };

    case 'gap':
      if (event.type === 'opened') return settle(state, event);
      return { state, effects: [] };

    case 'settling':
      switch (event.type) {
        case 'lost':
          // A flap: the same gap goes on, with its first `since` and reason.
          return {
            state: { phase: 'gap', since: state.since, reason: state.reason, ...guessFlag(state.sinceGuessed, 'sinceGuessed') },
            effects: [{ type: 'cancel-settle-timer' }],
          };
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
