/**
 * Tokens: issuing an access/refresh pair, checking an access token (unknown,
 * revoked and expired are all refused alike), redeeming a refresh token, and
 * revoking every token at once.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Actor } from './catalogue.ts';
import type { MockState, TokenInfo } from './state.ts';

export interface IssuedTokens extends Actor {
  accessToken: string;
  refreshToken: string;
  expiresInMs: number;
}

export function issueTokens(state: MockState, actor: Actor): IssuedTokens {
  const { tokenTtlMs } = state.settings;
  const accessToken = `at_${randomBytes(18).toString('base64url')}`;
  const refreshToken = `rt_${randomBytes(18).toString('base64url')}`;
  state.tokens.set(accessToken, { ...actor, expiresAt: Date.now() + tokenTtlMs, revoked: false });
  state.refreshTokens.set(refreshToken, actor);
  return { accessToken, refreshToken, ...actor, expiresInMs: tokenTtlMs };
}

/** A login (REST or the test API): counted, then a fresh pair issued. */
export function logIn(state: MockState, actor: Actor): IssuedTokens {
  state.counters.logins++;
  return issueTokens(state, actor);
}

/** The token's holder, or undefined for anything not a live access token (with `anyToken`: any token not revoked). */
export function verifyToken(state: MockState, token: unknown): TokenInfo | undefined {
  if (typeof token !== 'string') return undefined;
  const info = state.tokens.get(token);
  if (!info && state.settings.anyToken && token.length > 0) return { ...actorOfClaims(token), expiresAt: Infinity, revoked: false };
  if (!info || info.revoked || info.expiresAt <= Date.now()) return undefined;
  return info;
}

/** Whom a JWT's claims name (read, never verified: this is a mock), or the mock's default user. */
function actorOfClaims(token: string): Actor {
  let claims: Record<string, unknown> = {};
  try {
    const decoded = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    if (typeof decoded === 'object' && decoded !== null) claims = decoded as Record<string, unknown>;
  } catch {
    // Not a JWT: the default user.
  }
  const first = (...names: string[]) => names.map((name) => claims[name]).find((value): value is string => typeof value === 'string' && value.length > 0);
  return {
    tenantId: first('tenantId', 'tenant_id', 'custom:tenantId', 'custom:tenant_id') ?? 'tenant-123',
    userId: first('userId', 'user_id', 'sub') ?? 'user-456',
  };
}

/** The holder of the request's `Authorization: Bearer` token. */
export function verifyBearer(state: MockState, req: IncomingMessage): TokenInfo | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? verifyToken(state, header.slice(7)) : undefined;
}

/** Whom a refresh token issues for; undefined when unknown or while refreshes are made to fail. */
export function redeemRefreshToken(state: MockState, refreshToken: unknown): Actor | undefined {
  const actor = typeof refreshToken === 'string' ? state.refreshTokens.get(refreshToken) : undefined;
  return actor && !state.faults.refreshFails ? actor : undefined;
}

/** Every access token issued so far stops verifying; refresh tokens still work, as after a real expiry. */
export function revokeAllTokens(state: MockState): void {
  for (const info of state.tokens.values()) info.revoked = true;
}
