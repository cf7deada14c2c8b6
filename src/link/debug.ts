/** What `debug()` answers: a snapshot of the broker, for a developer's eyes. No tokens. */
import type { BrokerConfig } from './messages.ts';
import type { BrokerStats } from './stats.ts';
import type { ConnectionStatus, GapReason, TransitionReason } from './states.ts';

/**
 * Where the broker stands with gaps (`src/broker/core/resync.ts`): never connected yet, live, in a
 * gap, or settling after one (its replay and what it found). Times are ms since the epoch.
 */
export type GapSnapshot =
  /** Never connected in this worker's life: the first open checks for a stored last-seen. */
  | { phase: 'fresh' }
  | { phase: 'live'; openedAt: number; guessed?: true }
  | { phase: 'gap'; since: number; reason: GapReason; sinceGuessed?: true }
  | {
      phase: 'settling';
      since: number;
      sinceGuessed?: true;
      reason: GapReason;
      /** The connection that closes the gap; `guessed`: its time is the browser's, the server gave none. */
      opened: { at: number; guessed?: true };
      settled: boolean;
      replay: 'none' | 'pending' | 'done' | 'failed';
      replayed: number;
      complete: boolean;
    };

export interface BrokerDebug {
  stats: BrokerStats;
  /** The options the broker runs with (the first tab's, checked); null before a tab configured it. */
  config: BrokerConfig | null;
  gap: GapSnapshot;
  /** The tabs attached: their id, whether visible, and the patterns they subscribe to. */
  tabs: Array<{ id: string; visible: boolean; patterns: string[] }>;
  /** The last 50 transitions, oldest first; `at` in ms since the epoch. */
  transitions: Array<{ at: number; from: ConnectionStatus; to: ConnectionStatus; reason: TransitionReason }>;
}
