/**
 * A GraphQL operation as a tab names it: a channel's params, or a request's message. Checked
 * here, before framing, so a bad one is the caller's error and never a frame the server would
 * answer by closing the socket with 4400 (which would end every channel on it).
 */
import type { SubscribePayload } from 'graphql-ws/client';
import { invalidArgument } from '../preset-errors.ts';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalRecord = (value: unknown) => value === undefined || value === null || isRecord(value);

/** The fields graphql-ws's `subscribe` payload takes, and only those. */
export function readOperation(value: unknown): SubscribePayload {
  if (!isRecord(value) || typeof value.query !== 'string' || value.query.length === 0) {
    throw invalidArgument('a GraphQL operation needs a non-empty `query` string');
  }
  const { query, variables, operationName, extensions } = value;
  if (!optionalRecord(variables)) throw invalidArgument('a GraphQL operation\'s `variables` must be an object');
  if (!optionalRecord(extensions)) throw invalidArgument('a GraphQL operation\'s `extensions` must be an object');
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    throw invalidArgument('a GraphQL operation\'s `operationName` must be a string');
  }
  return {
    query,
    ...(isRecord(variables) ? { variables } : {}),
    ...(typeof operationName === 'string' ? { operationName } : {}),
    ...(isRecord(extensions) ? { extensions } : {}),
  };
}
