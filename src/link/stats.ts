/** What `stats()` answers, and whose session the broker serves. */
import type { ConnectionStatus, TransitionReason } from './states.ts';

/** Whose session the broker serves, as the server's handshake said. */
export interface Session {
  tenantId?: string;
  userId?: string;
  connectionId?: string;
}

export interface BrokerStats {
  brokerId: string;
  buildId: string;
  state: ConnectionStatus;
  reason: TransitionReason;
  tabs: number;
  socketsOpened: number;
  handshakes: number;
  reconnects: number;
  framesReceived: number;
  eventsReceived: number;
  eventsRelayed: number;
  deliveries: number;
  batches: number;
  duplicates: number;
  replayed: number;
  resyncs: number;
  pings: number;
  sent: number;
  /**
   * `tooDeep`: frames nested deeper than the edge accepts (see `maxDataDepth`). `dialect`: frames the
   * app's own dialect threw on. Replay entries refused are counted as live frames are. `slowTab`: events
   * not posted to a tab that left too many batches unread (it was told `complete: false`).
   */
  dropped: { malformed: number; oversized: number; tooDeep: number; invalid: number; tenant: number; early: number; volatile: number; dialect: number; slowTab: number };
  lastSeen: string | null;
  outbox: number;
  /** `refused`: events the store would not keep (not clonable); they were relayed all the same. */
  log: { status: 'ok' | 'degraded'; reason?: string; size: number; written: number; refused: number };
  /** Posts to a tab that threw (its port gone mid-batch); the other tabs got the batch. */
  deliveryFailures: number;
  session: Session | null;
  uptimeMs: number;
}
