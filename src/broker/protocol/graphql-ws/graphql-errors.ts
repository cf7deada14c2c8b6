/**
 * GraphQL errors (an `error` message's payload) as the one code and message a channel's tabs or
 * a request's caller are told. The code is the first error's `extensions.code` when the server
 * gives one (Apollo's and Yoga's habit: `BAD_USER_INPUT`, `FORBIDDEN`), else `GRAPHQL_ERROR`.
 */
import type { ErrorMessage } from 'graphql-ws/client';

const codeShape = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const messageChars = 500;

export interface ErrorSummary {
  code: string;
  message: string;
}

export function summarizeErrors(errors: ErrorMessage['payload']): ErrorSummary {
  const code = errors[0]?.extensions?.code;
  const message = errors.map((error) => error.message).join('; ').slice(0, messageChars);
  return { code: typeof code === 'string' && codeShape.test(code) ? code : 'GRAPHQL_ERROR', message };
}
