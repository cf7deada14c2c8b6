/** The deploy storm (issue 15, part 5): its shape and what is counted, shared by the runner and the report. */

/** Browsers (contexts) × tabs each, how long the server is away, how long the server counts from the drop. */
export const stormShape = { browsers: 8, tabsEach: 4, downMs: 5000, windowMs: 30_000 };

export interface Storm {
  /** WebSocket upgrade requests the server saw in the window from the restart: every connection attempt that reached it. */
  upgrades: number;
  /** Handshakes it completed (auth.success) in that window. */
  handshakes: number;
  /** Tabs live again at the end of the window, of all. */
  live: number;
  /** From the server accepting again until every tab was live (NaN, null in JSON, when some never were). */
  allLiveMs: number | null;
}
