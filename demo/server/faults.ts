/**
 * The modes and faults tests switch on: whether sockets are accepted, how the
 * next handshakes are answered, whether refreshes fail, how events-since
 * misbehaves. Plain data, so reset can put it back to its defaults in one step.
 */
import type { AuthMode, MockBackend } from './mock-backend.ts';

export interface Faults {
  /** false: WebSocket upgrades are refused with 503. */
  accepting: boolean;
  authMode: AuthMode;
  /** Handshakes still to answer with `authMode`; back to `ok` after. */
  authModeLeft: number;
  refreshFails: boolean;
  /** Events-since requests still to answer 503. */
  replayFailures: number;
  /** Events-since requests still to answer 401. */
  replayUnauthorized: number;
  /** Every events-since answer waits this long first. */
  replayDelayMs: number;
  /** Events-since answers still to stall mid-body. */
  replayStalls: number;
  /** `events` dialect: the server stops answering client pings (a socket dead one way). */
  silent: boolean;
}

export const freshFaults = (): Faults => ({
  accepting: true,
  authMode: 'ok',
  authModeLeft: Number.POSITIVE_INFINITY,
  refreshFails: false,
  replayFailures: 0,
  replayUnauthorized: 0,
  replayDelayMs: 0,
  replayStalls: 0,
  silent: false,
});

/** Counts and delay for events-since, as `MockBackend.setReplayFaults` takes them. */
export type ReplayFaults = Parameters<MockBackend['setReplayFaults']>[0];

export function setAuthMode(faults: Faults, mode: AuthMode, count: number | undefined): void {
  faults.authMode = mode;
  faults.authModeLeft = count ?? Number.POSITIVE_INFINITY;
}

/** The mode for this handshake, counting it; the last counted one puts the mode back to `ok`. */
export function nextAuthMode(faults: Faults): AuthMode {
  if (faults.authModeLeft <= 0) return 'ok';
  faults.authModeLeft--;
  const mode = faults.authMode;
  if (faults.authModeLeft <= 0) setAuthMode(faults, 'ok', undefined);
  return mode;
}

export function setReplayFaults(faults: Faults, replay: ReplayFaults): void {
  faults.replayFailures = replay.fail ?? 0;
  faults.replayUnauthorized = replay.unauthorized ?? 0;
  faults.replayDelayMs = replay.delayMs ?? 0;
  faults.replayStalls = replay.stallBody ?? 0;
}

type ReplayCount = 'replayFailures' | 'replayUnauthorized' | 'replayStalls';

/** Whether this request gets the fault, counting it down if so. */
export function takeReplayFault(faults: Faults, which: ReplayCount): boolean {
  if (faults[which] <= 0) return false;
  faults[which]--;
  return true;
}

export function resetFaults(faults: Faults): void {
  Object.assign(faults, freshFaults());
}
