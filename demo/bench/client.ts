/** What every benchmarked client offers the page: events to a handler, a state, resync notices. */
export interface BenchEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export interface BenchClient {
  /** Resolves once this tab receives events. */
  start(): Promise<void>;
  state(): string;
  /** Resyncs this tab has completed (tabwire: onResync; others: their own refetch after reconnecting). */
  resyncs(): number;
}

export type Handler = (event: BenchEvent) => void;

export interface ClientContext {
  wsUrl: string;
  httpUrl: string;
  tenantId: string;
  token: () => Promise<string>;
  handler: Handler;
  /** Reconnect delays (ms), the same for every client so recovery is compared fairly. */
  minDelayMs: number;
  maxDelayMs: number;
}
