/**
 * Errors that cross the tab/worker boundary are plain data with a `code`
 * (docs/architecture.md, rule 6): class identity does not survive a MessagePort. The tab
 * turns them back into `TabwireError` so apps can `catch (e) { e.code }`.
 */

export type TabwireErrorCode =
  /** The worker (or leader tab) died while the call was in flight. */
  | 'WORKER_LOST'
  /** No SharedWorker could serve this tab (it would not start, or never answered): told once, as the tab falls back. */
  | 'WORKER_UNAVAILABLE'
  /** This broker was closed by `close()` (after `logout()` tabs stay attached, in state `closed`). */
  | 'CLOSED'
  /** `send()` while the upstream buffer holds `maxBufferedMessages` already. */
  | 'BUFFER_FULL'
  /** A call's arguments were refused (bad pattern, message not serialisable or too large). */
  | 'INVALID_ARGUMENT'
  /**
   * A message queued by `send()` while disconnected was not sent: the server authenticated
   * another user or tenant before it could go out.
   */
  | 'SESSION_CHANGED'
  /**
   * An event was stamped later than the server's own clock allows (its handshake time plus a
   * minute): it is relayed, but it does not move last-seen, so it cannot hide a later gap.
   */
  | 'FUTURE_TIMESTAMP'
  /** `recent()` before any session said which tenant and user the log belongs to. */
  | 'NOT_READY'
  /** A call took longer than its bound. */
  | 'TIMEOUT'
  /**
   * A server frame (or an events-since entry) was not JSON, had no type, a non-object data, or a bad
   * or missing timestamp on a frame the dialect reads as an event.
   */
  | 'MALFORMED_FRAME'
  /** A server frame exceeded `maxFrameBytes`. */
  | 'OVERSIZED_FRAME'
  /** A server frame nested objects or arrays deeper than 64 levels; it was dropped, live or in a replay answer. */
  | 'TOO_DEEP'
  /**
   * The app's own dialect (`read`, `classify` or `normalize` of a custom `Protocol`) threw on a frame
   * or a replay entry: that frame was dropped, the connection stays up.
   */
  | 'DIALECT_FAILED'
  /** A known event type arrived with a payload of the wrong shape. */
  | 'INVALID_PAYLOAD'
  /** An event of another tenant arrived and was dropped. */
  | 'TENANT_MISMATCH'
  /** The server sent an error frame; `serverCode` holds its code (docs/protocol.md "Errors"). */
  | 'SERVER_ERROR'
  /** The IndexedDB log is unavailable; events are relayed from memory only. */
  | 'LOG_DEGRADED'
  /** The events-since replay failed; apps should refetch. */
  | 'REPLAY_FAILED'
  /** No tab could provide a token. */
  | 'TOKEN_UNAVAILABLE'
  /** The worker runs another build than the tab (a `worker` factory that ignores its `name` with a custom `buildId`). */
  | 'BUILD_MISMATCH'
  /** `connected` rejected: the connection went `unauthorized` (token refused, refresh failed, every `getToken` refused) before it ever opened. */
  | 'UNAUTHORIZED'
  /** `connected` rejected: the server answered `FORBIDDEN` before the connection ever opened. */
  | 'FORBIDDEN'
  /** `connected` rejected: `reconnect.maxAttempts` tries failed in a row before the connection ever opened. */
  | 'RETRIES_EXHAUSTED'
  /** `send()` on a transport with no upstream (Server-Sent Events): the server only pushes. */
  | 'SEND_UNSUPPORTED'
  /** The server refused or ended one channel with an error; `serverCode` holds its code. Other channels go on. */
  | 'CHANNEL_ERROR'
  /** `request()` was answered with an error by the server; `serverCode` holds its code. */
  | 'REQUEST_FAILED'
  /** `request()` was in flight when the socket dropped: its answer cannot come (the request may or may not have reached the server). */
  | 'CONNECTION_LOST'
  /** `channel()` or `request()` on a broker whose dialect has no channel seam (PurposePath's, the JSON preset, SSE). */
  | 'UNSUPPORTED'
  /** Anything else that went wrong inside the worker. */
  | 'INTERNAL';

export interface TabwireErrorData {
  code: TabwireErrorCode;
  message: string;
  /** For `SERVER_ERROR`: the server's code, e.g. `VALIDATION_ERROR`. */
  serverCode?: string;
  /** For frame and payload errors: the frame's type when known. */
  type?: string;
}

/**
 * What calls reject with and what `onError` listeners receive: an `Error` (with a stack) carrying
 * the plain data's fields. Still reads as `TabwireErrorData` (`error.code`, `error.message`).
 */
export class TabwireError extends Error {
  readonly code: TabwireErrorCode;
  /** For `SERVER_ERROR`: the server's code, e.g. `VALIDATION_ERROR`. */
  readonly serverCode: string | undefined;
  /** For frame and payload errors: the frame's type when known. */
  readonly type: string | undefined;

  /** `options.cause`: what went wrong underneath, in this tab (data from the broker has none). */
  constructor(data: TabwireErrorData, options?: { cause?: unknown }) {
    super(data.message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TabwireError';
    this.code = data.code;
    this.serverCode = data.serverCode;
    this.type = data.type;
  }

  /**
   * The plain data (`name`, `code`, `message`, `serverCode`, `type`), for `JSON.stringify` and
   * for ports: an `Error`'s message is not enumerable, and structured cloning keeps no `code`.
   */
  toJSON(): TabwireErrorData & { name: string } {
    return { ...this, message: this.message };
  }
}

export function errorData(code: TabwireErrorCode, message: string, extra: Partial<TabwireErrorData> = {}): TabwireErrorData {
  return { code, message, ...extra };
}

/** Turn anything thrown into plain data; keeps a known `code`, never the original object. */
export function toErrorData(error: unknown): TabwireErrorData {
  if (typeof error === 'object' && error !== null) {
    const { code, message, serverCode } = error as { code?: unknown; message?: unknown; serverCode?: unknown };
    return {
      code: typeof code === 'string' ? (code as TabwireErrorCode) : 'INTERNAL',
      message: typeof message === 'string' ? message : 'unknown error',
      ...(typeof serverCode === 'string' ? { serverCode } : {}),
    };
  }
  return { code: 'INTERNAL', message: typeof error === 'string' ? error : 'unknown error' };
}
