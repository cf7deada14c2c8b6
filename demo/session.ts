/**
 * The demo's side of the app's auth and REST: the backend named by the query
 * (`backend`, `tenant`, `user`), login and refresh against the mock backend,
 * writes through REST, and the connect options tabwire is given.
 */
import type { ConnectOptions } from '../src/index.ts';

const params = new URLSearchParams(location.search);
export const backend = params.get('backend') ?? 'http://127.0.0.1:8787';
export const tenantId = params.get('tenant') ?? 'tenant-123';
export const userId = params.get('user') ?? 'user-456';
const sessionKey = `tabwire-demo:${backend}:${tenantId}:${userId}`;

interface Session {
  accessToken: string;
  refreshToken: string;
}

async function login(): Promise<Session> {
  const response = await fetch(`${backend}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ tenantId, userId }),
  });
  const session = (await response.json()) as Session;
  localStorage.setItem(sessionKey, JSON.stringify(session));
  return session;
}

async function session(): Promise<Session> {
  const stored = localStorage.getItem(sessionKey);
  return stored ? (JSON.parse(stored) as Session) : login();
}

async function refresh(): Promise<string> {
  const current = await session();
  const response = await fetch(`${backend}/auth/refresh`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refreshToken: current.refreshToken }),
  });
  if (!response.ok) return (await login()).accessToken;
  const next = (await response.json()) as Session;
  localStorage.setItem(sessionKey, JSON.stringify(next));
  return next.accessToken;
}

/** A write through the app's REST API: the server then pushes its event to every tab. */
export async function rest(method: string, path: string, body: unknown = {}): Promise<void> {
  const { accessToken } = await session();
  await fetch(`${backend}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}`, 'X-Tenant-Id': tenantId },
    body: JSON.stringify(body),
  });
}

/** `?transport=sse`: the mock's Server-Sent Events stream instead of its socket, still one per browser. */
export const overSse = params.get('transport') === 'sse';

export const connectOptions: ConnectOptions = {
  url: overSse ? `${backend}/sse` : `${backend.replace(/^http/, 'ws')}/realtime`,
  ...(overSse ? { transport: { type: 'sse', auth: 'bearer', resume: true } } : {}),
  getToken: async () => (await session()).accessToken,
  refreshToken: refresh,
  resync: { eventsSinceUrl: `${backend}/api/events` },
};
