/** The guide's `useRealtimeConnection()`: its five states, with tabwire's own beside them, and live stats. */
import { useMemo } from 'react';
import { useConnectionState } from '../tab/react.ts';
import type { ConnectionStatus as TabwireStatus } from '../link/states.ts';
import type { BrokerStats } from '../link/stats.ts';
import { useLiveStats } from './live-stats.ts';
import { useBrokerFor, useRealtimeEnabled } from './provider.ts';
import { type ConnectionStatus, guideStatus } from './status.ts';

export interface RealtimeConnection {
  /** The socket is open and authenticated. */
  isConnected: boolean;
  /** The guide's state: `disconnected`, `connecting`, `connected`, `reconnecting` or `error`. */
  connectionState: ConnectionStatus;
  /** tabwire's own state (`idle`, `backoff`, `unauthorized`…), for what the guide's five do not tell. */
  tabwireState: TabwireStatus;
  /**
   * The broker's `stats()`: there once it answered (at once when the provider connects),
   * asked again on each state change and as events arrive, at most once a second.
   */
  stats: BrokerStats | undefined;
  /** The provider's feature flag: false means poll instead. */
  isEnabled: boolean;
}

/** The guide's `useRealtimeConnection()`, re-rendering on each state change and each new answer of the stats. */
export function useRealtimeConnection(): RealtimeConnection {
  const broker = useBrokerFor<object>('useRealtimeConnection');
  const tabwireState = useConnectionState();
  const isEnabled = useRealtimeEnabled();
  const stats = useLiveStats(broker);
  const connectionState = guideStatus(tabwireState, broker?.reason ?? 'initial');
  return useMemo(
    () => ({ isConnected: connectionState === 'connected', connectionState, tabwireState, stats, isEnabled }),
    [connectionState, tabwireState, stats, isEnabled],
  );
}
