/**
 * The REST side: login and refresh, the catalogue's writes (each broadcasts its
 * event to the caller's tenant), and GET /api/events with its faults. Control
 * requests are handed to the handler given, after the body is read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { matchRoute } from './catalogue.ts';
import { emitEvent, eventsSince, isoNow } from './events.ts';
import { takeReplayFault } from './faults.ts';
import { cors, json, jsonHeaders, readBody } from './http.ts';
import type { MockState, TokenInfo } from './state.ts';
import { issueTokens, logIn, redeemRefreshToken, verifyBearer } from './tokens.ts';
import { render, verifyCookie } from './dialect.ts';
import { handleSse } from './sse.ts';

type Body = Record<string, unknown>;

/** Answers a `/__control/<action>` request. */
export type ControlHandler = (action: string, body: Body, res: ServerResponse) => Promise<void>;

const CONTROL_PREFIX = '/__control/';

export async function handleRequest(state: MockState, control: ControlHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (await handleSse(state, req, res)) return;
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (state.settings.dialect === 'events') allowCredentials(req, res);
  if (req.method === 'OPTIONS') {
    res.writeHead(204, cors);
    return void res.end();
  }
  let body: Body = {};
  try {
    if (req.method === 'POST' || req.method === 'PATCH') body = await readBody(req);
  } catch {
    return json(res, 400, { error: 'body must be JSON', code: 'VALIDATION_ERROR' });
  }
  if (url.pathname.startsWith(CONTROL_PREFIX)) return control(url.pathname.slice(CONTROL_PREFIX.length), body, res);
  if (req.method === 'GET' && url.pathname === '/health') return json(res, 200, { ok: true });
  if (req.method === 'POST' && url.pathname === '/auth/login') return login(state, body, res);
  if (req.method === 'POST' && url.pathname === '/auth/refresh') return refresh(state, body, res);
  const cookieSession = state.settings.dialect === 'events';
  const caller = cookieSession ? verifyCookie(state, req) : verifyBearer(state, req);
  if (!caller) return json(res, 401, { error: 'Invalid authentication token', code: 'UNAUTHORIZED' });
  // The events dialect has no tenant on the wire: the session is the account.
  if (!cookieSession && req.headers['x-tenant-id'] !== tenantHeader(caller.tenantId)) return json(res, 403, { error: 'tenant mismatch', code: 'FORBIDDEN' });
  if (req.method === 'GET' && url.pathname === '/api/events') return replayEvents(state, caller, url, res);
  return catalogueWrite(state, caller, req.method ?? 'GET', url.pathname, body, res);
}

/** X-Tenant-Id as docs/protocol.md has clients send it: as it is when a header carries it, else percent-encoded UTF-8. */
function tenantHeader(tenantId: string): string {
  const carried = /^[\x20-\x7e\xa0-\xff]*$/.test(tenantId) && tenantId.trim() === tenantId;
  return carried ? tenantId : encodeURIComponent(tenantId);
}

/**
 * The events dialect's session is a cookie: a page of another origin sends it only with
 * `credentials: 'include'`, which CORS allows only for a named origin, with credentials allowed.
 */
function allowCredentials(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  if (!origin) return;
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: Record<string, string>) => ServerResponse;
  res.writeHead = ((status: number, headers: Record<string, string> = {}) =>
    writeHead(status, { ...headers, 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' })) as typeof res.writeHead;
}

function login(state: MockState, body: Body, res: ServerResponse): void {
  json(res, 200, logIn(state, { tenantId: String(body.tenantId ?? 'tenant-123'), userId: String(body.userId ?? 'user-456') }));
}

function refresh(state: MockState, body: Body, res: ServerResponse): void {
  state.counters.refreshes++;
  const actor = redeemRefreshToken(state, body.refreshToken);
  if (!actor) return json(res, 401, { error: 'Invalid refresh token', code: 'UNAUTHORIZED' });
  json(res, 200, issueTokens(state, actor));
}

/** GET /api/events?since=: the faults apply in the order 401, delay, stall, 503. */
async function replayEvents(state: MockState, caller: TokenInfo, url: URL, res: ServerResponse): Promise<void> {
  state.counters.replayRequests++;
  if (takeReplayFault(state.faults, 'replayUnauthorized')) return json(res, 401, { error: 'Invalid authentication token', code: 'UNAUTHORIZED' });
  const since = Date.parse(url.searchParams.get('since') ?? '');
  if (Number.isNaN(since)) return json(res, 400, { error: 'since must be ISO 8601', code: 'VALIDATION_ERROR' });
  const events = eventsSince(state, caller.tenantId, since);
  // A slow answer is slow on the wire: what it contains was decided when asked.
  const { replayDelayMs } = state.faults;
  if (replayDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, replayDelayMs));
  if (takeReplayFault(state.faults, 'replayStalls')) {
    // Headers and a first chunk, then silence: the socket stays open until the client gives up.
    res.writeHead(200, jsonHeaders);
    res.write(JSON.stringify(events).slice(0, 16) || '[');
    return;
  }
  if (takeReplayFault(state.faults, 'replayFailures')) return json(res, 503, { error: 'replay unavailable', code: 'INTERNAL_ERROR' });
  // The events dialect wraps its answer, in its own envelope.
  json(res, 200, state.settings.dialect === 'events' ? { items: events.map((event) => render(state, event)) } : events);
}

/** A catalogue write: its event goes to the caller's tenant, and the answer is the event's payload. */
function catalogueWrite(state: MockState, caller: TokenInfo, method: string, pathname: string, body: Body, res: ServerResponse): void {
  const found = matchRoute(method, pathname);
  if (!found) return json(res, 404, { error: `no route ${method} ${pathname}`, code: 'NOT_FOUND' });
  const envelope = emitEvent(state, caller.tenantId, found.route.type, found.route.payload(caller, body, found.id, isoNow(state)));
  json(res, 201, envelope.data);
}
