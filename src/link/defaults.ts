/**
 * Default values of the options, in one small module: the tab side needs them
 * to fill in options, and importing them from the modules that use them would
 * pull those modules (the frame validator, the log policy…) into the client bundle.
 */
export const defaults = {
  minDelayMs: 1000,
  maxDelayMs: 30_000,
  /** 8 min, under the gateway's 10 min idle limit. */
  keepAliveMs: 8 * 60_000,
  logMaxEvents: 500,
  /** 24 h */
  logMaxAgeMs: 24 * 60 * 60 * 1000,
  /** 1 MiB */
  maxFrameBytes: 1024 * 1024,
} as const;
