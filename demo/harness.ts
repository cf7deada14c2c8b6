/// <reference types="vite/client" />
/**
 * The page end-to-end tests drive: it uses tabwire exactly as an app would
 * (connectBroker with a token provider backed by localStorage, shared by the
 * tabs like an app's session) and records what it receives on `window.harness`.
 *
 * Query parameters: backend (http URL of the mock), tenant, user, options (JSON
 * connect options), connect=0 to wait for an explicit `harness.connect(options)`.
 */
import { type Broker, type ConnectOptions, type RealtimeEvent, connectBroker } from '../src/index.ts';
// The worker bundled on its own, for tests of a `worker` factory that starts it the way the README shows.
import workerUrl from '../worker/broker.worker.ts?worker&url';

const params = new URLSearchParams(location.search);
const backend = params.get('backend') ?? 'http://127.0.0.1:8787';
const tenantId = params.get('tenant') ?? 'tenant-123';
const userId = params.get('user') ?? 'user-456';
const storageKey = `harness-session:${backend}:${tenantId}:${userId}`;
/**
 * `events`: the mock backend's second dialect (a session cookie, `{ event, ts, id, payload }`),
 * described to tabwire as data, the way docs/protocols.md tells an app to.
 */
const cookieSession = params.get('dialect') === 'events';
const dialectOptions: Partial<ConnectOptions> = cookieSession
  ? {
      protocol: {
        preset: 'json',
        envelope: { type: 'event', timestamp: 'ts', id: 'id', data: 'payload' },
        auth: 'cookie',
        control: { authSuccess: 'session.ready', authError: 'session.refused' },
      },
    }
  : {};

/** The session cookie for the mock's host (any port): what a login would set in a real app. */
function setCookie(accessToken: string): void {
  if (cookieSession) document.cookie = `session=${accessToken}; path=/; SameSite=Lax`;
}

type Mode = 'ok' | 'hang' | 'reject';

interface Session {
  accessToken: string;
  refreshToken: string;
}

const harness = {
  /** The public entry point itself, for tests that create brokers of their own. */
  connectBroker,
  workerUrl,
  backend,
  wsUrl: backend.replace(/^http/, 'ws') + '/realtime',
  /** Spread into connect options: the dialect of the backend this page runs against. */
  dialectOptions,
  events: [] as RealtimeEvent[],
  states: [] as Array<{ next: string; prev: string; reason: string; at: number }>,
  resyncs: [] as unknown[],
  errors: [] as Array<{ code: string; message: string; serverCode?: string }>,
  broker: undefined as Broker | undefined,
  tokenMode: 'ok' as Mode,
  refreshMode: 'ok' as Mode,
  tokenCalls: 0,
  refreshCalls: 0,

  session(): Session | undefined {
    const raw = localStorage.getItem(storageKey);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  },

  async login(): Promise<Session> {
    const response = await fetch(`${backend}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tenantId, userId }),
    });
    const session = (await response.json()) as Session;
    localStorage.setItem(storageKey, JSON.stringify(session));
    setCookie(session.accessToken);
    return session;
  },

  async ensureSession(): Promise<Session> {
    const session = harness.session();
    if (session) setCookie(session.accessToken);
    return session ?? harness.login();
  },

  async getToken(): Promise<string> {
    harness.tokenCalls++;
    if (harness.tokenMode === 'hang') return new Promise<string>(() => {});
    if (harness.tokenMode === 'reject') throw new Error('logged out');
    return (await harness.ensureSession()).accessToken;
  },

  async refreshToken(): Promise<string> {
    harness.refreshCalls++;
    if (harness.refreshMode === 'hang') return new Promise<string>(() => {});
    if (harness.refreshMode === 'reject') throw new Error('refresh refused');
    const current = await harness.ensureSession();
    const response = await fetch(`${backend}/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refreshToken: current.refreshToken }),
    });
    if (!response.ok) throw new Error(`refresh answered ${response.status}`);
    const session = (await response.json()) as Session;
    localStorage.setItem(storageKey, JSON.stringify(session));
    setCookie(session.accessToken);
    return session.accessToken;
  },

  /** Connect with test-chosen options; records everything under `patterns`. */
  async connect(options: Partial<ConnectOptions> & { patterns?: string[] } = {}): Promise<void> {
    await harness.ensureSession();
    const { patterns = ['*'], ...rest } = options;
    const broker = connectBroker({
      url: harness.wsUrl,
      getToken: () => harness.getToken(),
      refreshToken: () => harness.refreshToken(),
      ...dialectOptions,
      ...rest,
    });
    harness.broker = broker;
    for (const pattern of patterns) harness.subscribe(pattern);
    broker.onState((next, prev, reason) => harness.states.push({ next, prev, reason, at: Date.now() }));
    broker.onResync((signal) => harness.resyncs.push(signal));
    // Plain data: Playwright hands an Error back with its message and stack only.
    broker.onError((error) => harness.errors.push(error.toJSON()));
    broker.onUpgrade((notice) => harness.upgrades.push(notice));
    await broker.ready;
  },

  upgrades: [] as unknown[],

  /** Messages of the channel `connectChannel` holds. */
  channelMessages: [] as unknown[],

  /**
   * Connect through the channels worker entry (demo/channels.worker.ts) to the fake channel backend
   * at `url`, and hold one channel; resolves once the server took it.
   */
  async connectChannel(url: string, name: string, channelParams?: unknown): Promise<void> {
    const worker = (workerName: string) => new SharedWorker(new URL('./channels.worker.ts', import.meta.url), { type: 'module', name: workerName });
    await harness.connect({ url, worker, sharing: 'worker', patterns: [] });
    const handle = harness.broker!.channel(name, channelParams);
    handle.on((message) => harness.channelMessages.push(message));
    await new Promise<void>((resolve) => (handle.state === 'subscribed' ? resolve() : handle.onState((state) => state === 'subscribed' && resolve())));
  },

  /** Resyncs and message metadata of the channel `connectCentrifugo` holds. */
  channelResyncs: [] as unknown[],
  channelMetas: [] as unknown[],

  /**
   * Connect through the Centrifugo-like worker entry of docs/protocols.md (demo/centrifugo.worker.ts)
   * to the backend at `url`, and hold channel `name`; resolves once the server took it.
   */
  async connectCentrifugo(url: string, name: string): Promise<void> {
    const worker = (workerName: string) => new SharedWorker(new URL('./centrifugo.worker.ts', import.meta.url), { type: 'module', name: workerName });
    await harness.connect({ url, worker, sharing: 'worker', patterns: [] });
    const handle = harness.broker!.channel(name);
    handle.on((message, meta) => {
      harness.channelMessages.push(message);
      harness.channelMetas.push(meta);
    });
    handle.onResync((signal) => harness.channelResyncs.push(signal));
    await new Promise<void>((resolve) => (handle.state === 'subscribed' ? resolve() : handle.onState((state) => state === 'subscribed' && resolve())));
  },

  /** How many times this page's `pageProtocol` was called (`connectGraphqlInPage`). */
  pageProtocolLoads: 0,

  /**
   * Connect to the graphql-ws server at `url` with a broker in a page (a leader tab, or this tab's
   * own), given the GraphQL preset as `pageProtocol` with demo/graphql.worker.ts's options.
   */
  async connectGraphqlInPage(url: string, sharing: 'leader' | 'none'): Promise<void> {
    const pageProtocol = () => {
      harness.pageProtocolLoads++;
      return import('../src/graphql-ws.ts').then((m) => m.graphqlWsProtocol({ auth: 'cookie', connectionParams: { authorization: 'good-token' } }));
    };
    await harness.connect({ url, sharing, pageProtocol, patterns: [] });
  },

  /** Connect through the GraphQL worker entry (demo/graphql.worker.ts) to the graphql-ws server at `url`. */
  async connectGraphql(url: string): Promise<void> {
    const worker = (workerName: string) => new SharedWorker(new URL('./graphql.worker.ts', import.meta.url), { type: 'module', name: workerName });
    await harness.connect({ url, worker, sharing: 'worker', patterns: [] });
  },

  /** What each room `holdRoom` holds received: its messages (and which of them came replayed), gaps told and errors, by room name. */
  rooms: {} as Record<string, { messages: unknown[]; replayed: unknown[]; resyncs: boolean[]; errors: Array<{ code: string; serverCode?: string }> }>,

  /**
   * Connect through the Socket.IO worker entry (demo/socketio.worker.ts) to the socket.io server
   * at `url`, with `token` as the auth payload's token (and as the refreshed one).
   */
  async connectSocketIo(url: string, token: string): Promise<void> {
    const worker = (workerName: string) => new SharedWorker(new URL('./socketio.worker.ts', import.meta.url), { type: 'module', name: workerName });
    await harness.connect({ url, worker, sharing: 'worker', patterns: ['*'], getToken: async () => token, refreshToken: async () => token });
  },

  /** Hold the room `name` as a channel and record what it gets; resolves once the server took or refused it. */
  async holdRoom(name: string): Promise<string> {
    const room = (harness.rooms[name] = { messages: [] as unknown[], replayed: [] as unknown[], resyncs: [] as boolean[], errors: [] as Array<{ code: string; serverCode?: string }> });
    const handle = harness.broker!.channel(name);
    handle.on((message, meta) => {
      room.messages.push(message);
      if (meta.replayed) room.replayed.push(message);
    });
    handle.onResync((signal) => room.resyncs.push(signal.complete));
    handle.onError((error) => room.errors.push({ code: error.code, ...(error.serverCode ? { serverCode: error.serverCode } : {}) }));
    const settled = (state: string) => state === 'subscribed' || state === 'error';
    return new Promise<string>((resolve) =>
      settled(handle.state) ? resolve(handle.state) : handle.onState((state) => settled(state) && resolve(state)),
    );
  },

  /** Whether this page holds the leader lock (sharing: 'leader'). */
  async leads(): Promise<boolean> {
    // A page cannot see its own lock client id directly: take a lock of our own and look it up.
    const probe = `harness-whoami-${crypto.randomUUID()}`;
    let clientId: string | undefined;
    let leaderHolder: string | undefined;
    await navigator.locks.request(probe, async () => {
      const state = await navigator.locks.query();
      clientId = state.held?.find((lock) => lock.name === probe)?.clientId;
      leaderHolder = state.held?.find((lock) => lock.name?.endsWith('|leader'))?.clientId;
    });
    return clientId !== undefined && clientId === leaderHolder;
  },

  subscribe(pattern: string): () => void {
    return harness.broker!.on(pattern, (event) => {
      harness.events.push(event as RealtimeEvent);
    });
  },

  /** Resolves once the broker reaches `state` (or rejects after `timeoutMs`). */
  waitForState(state: string, timeoutMs = 15_000): Promise<void> {
    const broker = harness.broker!;
    if (broker.state === state) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`state ${broker.state}, waited for ${state}`));
      }, timeoutMs);
      const off = broker.onState((next) => {
        if (next !== state) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  },

  /** Authenticated REST call against the mock, like the app's own data layer. */
  async rest(method: string, path: string, body: unknown = {}): Promise<unknown> {
    const session = await harness.ensureSession();
    const response = await fetch(`${backend}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${session.accessToken}`, 'X-Tenant-Id': tenantId },
      body: JSON.stringify(body),
      // The events dialect's session is the cookie.
      ...(cookieSession ? { credentials: 'include' as const } : {}),
    });
    return response.json();
  },

  types(): string[] {
    return harness.events.map((event) => event.type);
  },
};

declare global {
  interface Window {
    harness: typeof harness;
  }
}
window.harness = harness;

if (params.get('connect') !== '0') {
  // `options` (JSON) carries connect options for tests that open many tabs alike.
  const options = JSON.parse(params.get('options') ?? '{}') as Partial<ConnectOptions> & { patterns?: string[] };
  void harness.connect(options).then(() => {
    document.getElementById('status')!.textContent = 'connected';
  });
}
