/** A server event as every part of tabwire sees it, once validated: the normalised envelope. */
export interface Envelope<TData = Record<string, unknown>> {
  /** Dot notation: "goal.created", "measure.reading.created". */
  type: string;
  /** ISO 8601 UTC, millisecond precision. */
  timestamp: string;
  /** Always an object, never null. */
  data: TData;
  /** Older drafts only; used for de-duplication when present. */
  eventId?: string;
  /** Older drafts only; `data.tenantId` is the normal place. */
  tenantId?: string;
}
