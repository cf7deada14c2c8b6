/**
 * Server-Sent Events on the mock backend, beside its WebSocket (docs/protocols.md "Server-Sent
 * Events"): `GET` or `POST /sse` streams the caller's tenant's events in the backend's dialect,
 * each with `id: <its timestamp in ms>` (strictly increasing, see events.ts), after the dialect's
 * acceptance event. The caller is the `session` cookie, an `Authorization: Bearer` header, or an
 * `access_token` query parameter; none live: 401. A `Last-Event-ID` header (or `lastEventId`
 * parameter) replays the tenant's kept events after that id first.
 *
 * `/__control/sse/<action>` for tests and the demo: `stats`; `settings` (`retryMs`, the `retry:`
 * sent on each new stream; `heartbeatMs`; `heartbeat`, `'comment'` or `'event'`); `drop` (ends every
 * stream); `buffer` (every open stream stops getting bytes, as behind a proxy that buffers;
 * streams opened later are not).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { render, verifyCookie } from './dialect.ts';
import { json } from './http.ts';
import type { MockState, StoredEnvelope, TokenInfo } from './state.ts';
import { verifyBearer, verifyToken } from './tokens.ts';

interface SseClient {
  res: ServerResponse;
  tenantId: string;
  /** Behind a buffering proxy: nothing reaches the client. */
  buffered: boolean;
}

export interface SseStats {
  /** Streams open now. */
  open: number;
  /** Streams ever opened. */
  streams: number;
  /** Stream requests refused (no live credential). */
  refused: number;
  /** How each accepted stream authenticated. */
  auth: Array<'cookie' | 'bearer' | 'query'>;
  /** The Last-Event-ID each stream resumed from ('' for none). */
  lastEventIds: string[];
  methods: string[];
  eventsSent: number;
}

interface SseState {
  clients: Set<SseClient>;
  stats: Omit<SseStats, 'open'>;
  retryMs: number | undefined;
  heartbeatMs: number;
  heartbeat: 'comment' | 'event';
}

const states = new WeakMap<MockState, SseState>();

function sseOf(state: MockState): SseState {
  let sse = states.get(state);
  if (!sse) {
    sse = { clients: new Set(), stats: { streams: 0, refused: 0, auth: [], lastEventIds: [], methods: [], eventsSent: 0 }, retryMs: undefined, heartbeatMs: 15_000, heartbeat: 'comment' };
    states.set(state, sse);
  }
  return sse;
}

/** The id of an event: its timestamp in ms, strictly increasing on this backend. */
const idOf = (envelope: StoredEnvelope) => String(Date.parse(String(envelope.timestamp)));

const eventText = (id: string, text: string) => `id: ${id}\ndata: ${text}\n\n`;

/** Who calls, and how they proved it. */
function caller(state: MockState, req: IncomingMessage, url: URL): { actor: TokenInfo; auth: SseStats['auth'][number] } | undefined {
  const byCookie = verifyCookie(state, req);
  if (byCookie) return { actor: byCookie, auth: 'cookie' };
  const byHeader = verifyBearer(state, req);
  if (byHeader) return { actor: byHeader, auth: 'bearer' };
  const byQuery = verifyToken(state, url.searchParams.get('access_token'));
  return byQuery ? { actor: byQuery, auth: 'query' } : undefined;
}

/** A page of another origin reads the stream with its cookies, or with a header (preflighted). */
function corsFor(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  return {
    'Access-Control-Allow-Origin': origin ?? '*',
    ...(origin ? { 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' } : {}),
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Last-Event-ID, Content-Type, Cache-Control',
    'Access-Control-Max-Age': '600',
  };
}

function acceptance(state: MockState, actor: TokenInfo): string {
  const now = new Date().toISOString();
  const frame =
    state.settings.dialect === 'events'
      ? { event: 'session.ready', ts: Date.now(), payload: { userId: actor.userId } }
      : { type: 'auth.success', timestamp: now, data: { tenantId: actor.tenantId, userId: actor.userId, connectionId: 'sse' } };
  return `data: ${JSON.stringify(frame)}\n\n`;
}

function openStream(state: MockState, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const sse = sseOf(state);
  // A POST's body (the app's subscription, say) is not read here.
  req.resume();
  const who = caller(state, req, url);
  if (!who) {
    sse.stats.refused++;
    res.writeHead(401, { 'Content-Type': 'application/json', ...corsFor(req) });
    return void res.end(JSON.stringify({ error: 'Invalid authentication token', code: 'UNAUTHORIZED' }));
  }
  const from = String(req.headers['last-event-id'] ?? url.searchParams.get('lastEventId') ?? '');
  sse.stats.streams++;
  sse.stats.auth.push(who.auth);
  sse.stats.lastEventIds.push(from);
  sse.stats.methods.push(req.method ?? 'GET');
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', ...corsFor(req) });
  res.flushHeaders();
  const client: SseClient = { res, tenantId: who.actor.tenantId, buffered: false };
  let head = (sse.retryMs !== undefined ? `retry: ${sse.retryMs}\n\n` : '') + acceptance(state, who.actor);
  if (from !== '' && /^\d+$/.test(from)) {
    for (const envelope of state.history.get(client.tenantId) ?? []) {
      if (Number(idOf(envelope)) <= Number(from)) continue;
      head += eventText(idOf(envelope), JSON.stringify(render(state, envelope)));
      sse.stats.eventsSent++;
    }
  }
  res.write(head);
  sse.clients.add(client);
  const beat = setInterval(() => write(client, sse.heartbeat === 'event' ? 'event: ping\ndata:\n\n' : ': ping\n\n'), sse.heartbeatMs);
  res.on('close', () => {
    clearInterval(beat);
    sse.clients.delete(client);
  });
}

function write(client: SseClient, text: string): void {
  if (!client.buffered && !client.res.writableEnded) client.res.write(text);
}

/** An event kept for the tenant goes to its streams too (events.ts calls this beside its sockets). */
export function deliverSse(state: MockState, tenantId: string, envelope: StoredEnvelope, text: string): void {
  const sse = states.get(state);
  if (!sse) return;
  for (const client of sse.clients) {
    if (client.tenantId !== tenantId) continue;
    write(client, eventText(idOf(envelope), text));
    sse.stats.eventsSent++;
  }
}

function control(state: MockState, action: string, body: Record<string, unknown>, res: ServerResponse): void {
  const sse = sseOf(state);
  switch (action) {
    case 'stats':
      return json(res, 200, { ...sse.stats, open: sse.clients.size } satisfies SseStats);
    case 'settings':
      if (typeof body.retryMs === 'number' || body.retryMs === null) sse.retryMs = body.retryMs ?? undefined;
      if (typeof body.heartbeatMs === 'number') sse.heartbeatMs = body.heartbeatMs;
      if (body.heartbeat === 'comment' || body.heartbeat === 'event') sse.heartbeat = body.heartbeat;
      return json(res, 200, { ok: true });
    case 'drop':
      for (const client of sse.clients) client.res.destroy();
      return json(res, 200, { ok: true });
    case 'buffer':
      for (const client of sse.clients) client.buffered = true;
      return json(res, 200, { ok: true });
    default:
      return json(res, 404, { error: `unknown control sse/${action}` });
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  try {
    const value = JSON.parse(text || '{}') as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Answers the request when it is the stream or its control; false for anything else. */
export async function handleSse(state: MockState, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/sse') {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, corsFor(req));
      res.end();
    } else openStream(state, req, res, url);
    return true;
  }
  if (!url.pathname.startsWith('/__control/sse/')) return false;
  const body = req.method === 'POST' ? await readJson(req) : {};
  control(state, url.pathname.slice('/__control/sse/'.length), body, res);
  return true;
}
