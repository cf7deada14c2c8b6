/**
 * `recent()`'s query, checked in the tab before it travels: a bad one fails as
 * INVALID_ARGUMENT here, with what was given, rather than somewhere in the broker.
 */
import type { RecentQuery } from '../link/messages.ts';
import { isValidPattern } from '../link/patterns.ts';

/** What is wrong with `query`, or the query as the broker takes it: `since` in strict ISO 8601 UTC. */
export function checkRecentQuery(query: RecentQuery): { problem: string } | { query: RecentQuery } {
  const { type, limit } = query;
  const since = query.since instanceof Date ? query.since.toISOString() : query.since;
  const problem =
    type !== undefined && !isValidPattern(type)
      ? `type must be a type, prefix.* or *, got ${JSON.stringify(type)}`
      : since !== undefined && Number.isNaN(Date.parse(since))
        ? `since must be an ISO 8601 timestamp, got ${JSON.stringify(since)}`
        : limit !== undefined && !(Number.isInteger(limit) && limit >= 0)
          ? `limit must be a non-negative integer, got ${JSON.stringify(limit)}`
          : undefined;
  if (problem) return { problem };
  // The stores compare instants in strict ISO 8601 UTC: '2025-11-03' or a zoneless time means the same here.
  return { query: since === undefined ? query : { ...query, since: new Date(since).toISOString() } };
}
