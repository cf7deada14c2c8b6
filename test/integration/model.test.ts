/**
 * Model-based test of the broker's promises, over the real Broker, the real
 * WebSocket adapter and the mock backend (see test/support/model-world.ts).
 *
 * fast-check generates short sequences of things that happen to a running app —
 * events (valid, malformed, skewed in time, prototype-named, duplicated, of
 * another tenant), server drops and outages with events written meanwhile,
 * token expiry, tabs opening, leaving and crashing, the SharedWorker killed (its
 * tabs re-attach to the next one by themselves), send(), recent(), logout and another
 * user's login — and this file plays them against the world of real tabs
 * (`connectTab`, the code a browser tab runs), keeping a model of
 * what was owed to whom. After the sequence the world is healed (server back,
 * someone logged in, a tab open) and the invariants are checked:
 *
 *  1. delivery: every event owed to a tab reached it exactly once, or the tab got
 *     a resync with complete: false whose [since, until] holds the instant the
 *     server emitted it;
 *  2. isolation: no event, recent() row, send() message or token of one session
 *     reaches another session's tabs or connection, and no tab or token of one app
 *     another app's broker;
 *  3. liveness and bounds: the broker recovers once the world is healed, every
 *     call from a tab settles (but a crashed tab's; a tab that left hears CLOSED, a send
 *     in flight when the worker died WORKER_LOST), the outbox, the log and what waits for
 *     a tab that stopped reading stay within their bounds.
 *
 * Besides those, fault classes of the browser and the page, each switchable with
 * TABWIRE_MODEL_FAULTS (a comma list of the names below; default all, `none` for the
 * base model alone), so a run shows which class finds what:
 *
 *  - storage (a group): logOff (`log: { enabled: false }`), noIndexedDB (every open fails),
 *    storageFails (IndexedDB fails mid-run: the log degrades to memory), logTrimmed (a tab
 *    away, between brokers, while more events than the log holds go by);
 *  - clock: the browser's clock 5 min ahead of or behind the server's, and handshakes
 *    with or without the server's timestamp;
 *  - frames: control-shaped and timestamp-less frames (`{"type":"auth.revoked"}`,
 *    `{"type":"x"}`) live and in replay answers;
 *  - replayLoad: the broker's replay chunk (`import('./replay.ts')`) fails to load once;
 *  - stopReading: a tab stops reading its stream for a while (a frozen page that keeps
 *    its lock), while a burst goes by: what waits for it unread stays bounded;
 *  - brokerBurst: the worker dies right after relaying more events than a tab's handoff
 *    window (64) holds;
 *  - twoApps: another app on the origin with the same socket URL but its own build, replay
 *    URL and user, one tab of it open throughout: no tab reaches the other app's broker, no
 *    token the other app's connections.
 *
 * TABWIRE_MODEL_RUNS sets the number of sequences (default 100: under a minute when they
 * pass, a short sequence takes ~0.3 s); TABWIRE_MODEL_SEED picks them (a fixed seed by default,
 * `random` to explore new ones) and with TABWIRE_MODEL_PATH replays a reported failure.
 * docs/testing.md lists the fault classes.
 */
import fc from 'fast-check';
import { describe, it, vi } from 'vitest';
import { defaultTabBacklogBatches, tabBacklogHardFactor } from '../../src/broker/tab-backlog.ts';
import { streamAckEvery } from '../../src/link/messages.ts';
import { type Identity, type ModelTab, type ModelWorld, type StorageMode, createModelWorld, modelConfig, sameIdentity } from '../support/model-world.ts';

// ---- the replay chunk, which can fail to load -------------------------------

/** How many of the next loads of the broker's replay chunk fail, as a chunk a deploy deleted does. */
const replayChunk = vi.hoisted(() => ({ failures: 0 }));

// A module exporting `then` is a thenable: `import()` of it settles through that `then`, so the
// broker's own `await import('./replay.ts')` rejects while `failures` lasts. The test loads it once
// before any sequence, so Vitest has it cached and each later import reads `then` once.
vi.mock('../../src/broker/replay.ts', (importOriginal) =>
  importOriginal<Record<string, unknown>>().then(
    (actual): Record<string, unknown> => ({
      ...actual,
      get then() {
        if (replayChunk.failures === 0) return undefined;
        replayChunk.failures--;
        return (_resolve: unknown, reject: (error: Error) => void) => reject(new TypeError('Failed to fetch dynamically imported module: replay.js (model fault)'));
      },
    }),
  ),
);

// ---- the fault classes ------------------------------------------------------

const faultClasses = ['logOff', 'noIndexedDB', 'storageFails', 'logTrimmed', 'clock', 'frames', 'replayLoad', 'stopReading', 'brokerBurst', 'twoApps'] as const;
type FaultClass = (typeof faultClasses)[number];
/** Names for several classes at once. */
const faultGroups: Record<string, readonly FaultClass[]> = {
  all: faultClasses,
  none: [],
  storage: ['logOff', 'noIndexedDB', 'storageFails', 'logTrimmed'],
};

const faultsAsked = new Set(
  (process.env.TABWIRE_MODEL_FAULTS ?? 'all').split(',').filter(Boolean).flatMap((name) => {
    if (name in faultGroups) return faultGroups[name]!;
    if ((faultClasses as readonly string[]).includes(name)) return [name as FaultClass];
    throw new Error(`TABWIRE_MODEL_FAULTS: no fault class ${name} (${[...faultClasses, ...Object.keys(faultGroups)].join(', ')})`);
  }),
);
const faultsOn = (which: FaultClass) => faultsAsked.has(which);

/**
 * Most stream messages a tab that stopped reading may have waiting for it: the broker's hard bound
 * in batches (a stall cuts it off sooner, after `tabStallMs`), plus the acknowledgements' granularity
 * and the state and resync messages that are not batches.
 */
const unreadMessagesBound = defaultTabBacklogBatches * tabBacklogHardFactor + 2 * streamAckEvery;
/** The `stopReading` action's burst: in waves small enough that the broker posts a batch for each, past the bound. */
const unreadBurst = 1_500;
const unreadWave = 3;

// ---- the actions --------------------------------------------------------

/** After an action the world settles (connection open, no gap open, tabs quiet), or the next action races it. */
type Then = 'settle' | 'race';

type Action =
  | { kind: 'emit'; type: 'goal.created' | 'note.pinned'; count: number; then: Then }
  | { kind: 'prototypeNamed'; type: string; then: Then }
  | { kind: 'skewed'; stamp: 'year2099' | 'hourAhead' | 'hourBehind'; then: Then }
  | { kind: 'duplicate'; then: Then }
  | { kind: 'malformed'; frame: string; then: Then }
  | { kind: 'otherTenant'; then: Then }
  | { kind: 'serverDrop'; emitAfter: number; then: Then }
  | { kind: 'outage'; written: number; sendWhileDown: boolean; then: Then }
  | { kind: 'expireTokens'; refreshDelayMs: number; refreshFails: boolean; then: Then }
  | { kind: 'stallNextReplay'; then: Then }
  | { kind: 'openTab'; patterns: string[]; then: Then }
  | { kind: 'closeTab'; which: number; how: 'leave' | 'crash'; then: Then }
  /** The SharedWorker is killed: every tab re-attaches to the next one, with what it last saw; `written` events go by meanwhile. */
  | { kind: 'workerDies'; written: number; then: Then }
  | { kind: 'send'; which: number; then: Then }
  | { kind: 'recent'; which: number; then: Then }
  | { kind: 'logout'; which: number; then: Then }
  /** `afterMs`: the user takes a moment to log in again (a refresh started before the logout may finish meanwhile). */
  | { kind: 'login'; who: UserName; afterMs: number; then: Then }
  /** IndexedDB fails from now on: the log degrades to memory; then the worker may die while `written` events go by (storageFails). */
  | { kind: 'storageFails'; workerDies: boolean; written: number; then: Then }
  /**
   * A tab stays between brokers while the worker is replaced and `written` events go by, more than the
   * log holds; `sawOne`: an event reached it before it went (logTrimmed).
   */
  | { kind: 'tabAway'; which: number; sawOne: boolean; written: number; then: Then }
  /** A control-shaped or timestamp-less frame, live or in the next replay answer (after a drop) (frames). */
  | { kind: 'oddFrame'; frame: string; where: 'live' | 'replay'; then: Then }
  /** The next load of the replay chunk fails, and the server drops the socket while an event is written (replayLoad). */
  | { kind: 'replayChunkFails'; then: Then }
  /** A tab stops reading its stream while a burst goes by, then reads again (stopReading). */
  | { kind: 'stopReading'; which: number; then: Then }
  /** `count` events relayed, then at once the worker dies (brokerBurst). */
  | { kind: 'burstThenWorkerDies'; count: number; then: Then };

type UserName = 'alice' | 'bob' | 'carol';

const users: Record<UserName | 'healer', Identity> = {
  alice: { tenantId: 'tenant-123', userId: 'user-alice' },
  // Same tenant, another user: only the session separates them.
  bob: { tenantId: 'tenant-123', userId: 'user-bob' },
  carol: { tenantId: 'tenant-777', userId: 'user-carol' },
  // Who logs in when a sequence ended logged out, so the checks run against a live broker.
  healer: { tenantId: 'tenant-123', userId: 'user-healer' },
};

const malformedFrames = [
  'not json {',
  '[1,2,3]',
  '{"type":"goal.created"}',
  '{"type":"","timestamp":"2024-01-01T00:00:00.000Z","data":{}}',
  '{"type":"goal.created","timestamp":"yesterday","data":{}}',
  '{"type":"goal.created","timestamp":"2024-01-01T00:00:00.000Z","data":null}',
];

/** Control-shaped (a control type, no timestamp) and timestamp-less frames: neither is an event. */
const oddFrames = ['{"type":"auth.revoked"}', '{"type":"auth.refreshed","data":{}}', '{"type":"x"}', '{"type":"x","data":{}}'];

const then = fc.constantFrom<Then>('settle', 'settle', 'settle', 'race');
const which = fc.nat({ max: 3 });
const excluded = new Set((process.env.TABWIRE_MODEL_EXCLUDE ?? '').split(',').filter(Boolean));
const actionArbs: Array<{ kind: Action['kind']; weight: number; arbitrary: fc.Arbitrary<Action>; fault?: FaultClass }> = [
  { kind: 'emit', weight: 4, arbitrary: fc.record({ kind: fc.constant('emit' as const), type: fc.constantFrom('goal.created' as const, 'note.pinned' as const), count: fc.integer({ min: 1, max: 3 }), then }) },
  { kind: 'prototypeNamed', weight: 1, arbitrary: fc.record({ kind: fc.constant('prototypeNamed' as const), type: fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'), then }) },
  { kind: 'skewed', weight: 1, arbitrary: fc.record({ kind: fc.constant('skewed' as const), stamp: fc.constantFrom('year2099' as const, 'hourAhead' as const, 'hourBehind' as const), then }) },
  { kind: 'duplicate', weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), then }) },
  { kind: 'malformed', weight: 1, arbitrary: fc.record({ kind: fc.constant('malformed' as const), frame: fc.constantFrom(...malformedFrames), then }) },
  { kind: 'otherTenant', weight: 1, arbitrary: fc.record({ kind: fc.constant('otherTenant' as const), then }) },
  { kind: 'serverDrop', weight: 2, arbitrary: fc.record({ kind: fc.constant('serverDrop' as const), emitAfter: fc.integer({ min: 0, max: 2 }), then }) },
  { kind: 'outage', weight: 2, arbitrary: fc.record({ kind: fc.constant('outage' as const), written: fc.integer({ min: 0, max: 3 }), sendWhileDown: fc.boolean(), then }) },
  { kind: 'expireTokens', weight: 1, arbitrary: fc.record({ kind: fc.constant('expireTokens' as const), refreshDelayMs: fc.constantFrom(0, 80), refreshFails: fc.boolean(), then }) },
  { kind: 'stallNextReplay', weight: 1, arbitrary: fc.record({ kind: fc.constant('stallNextReplay' as const), then }) },
  { kind: 'openTab', weight: 1, arbitrary: fc.record({ kind: fc.constant('openTab' as const), patterns: fc.constantFrom<string[]>(['*'], ['goal.*']), then }) },
  { kind: 'closeTab', weight: 1, arbitrary: fc.record({ kind: fc.constant('closeTab' as const), which, how: fc.constantFrom('leave' as const, 'crash' as const), then }) },
  { kind: 'workerDies', weight: 1, arbitrary: fc.record({ kind: fc.constant('workerDies' as const), written: fc.integer({ min: 0, max: 2 }), then }) },
  { kind: 'send', weight: 2, arbitrary: fc.record({ kind: fc.constant('send' as const), which, then }) },
  { kind: 'recent', weight: 1, arbitrary: fc.record({ kind: fc.constant('recent' as const), which, then }) },
  { kind: 'logout', weight: 2, arbitrary: fc.record({ kind: fc.constant('logout' as const), which, then }) },
  { kind: 'login', weight: 2, arbitrary: fc.record({ kind: fc.constant('login' as const), who: fc.constantFrom<UserName>('alice', 'bob', 'carol'), afterMs: fc.constantFrom(0, 100), then }) },
  { kind: 'storageFails', weight: 1, fault: 'storageFails', arbitrary: fc.record({ kind: fc.constant('storageFails' as const), workerDies: fc.boolean(), written: fc.integer({ min: 0, max: 2 }), then }) },
  {
    kind: 'tabAway',
    weight: 1,
    fault: 'logTrimmed',
    arbitrary: fc.record({ kind: fc.constant('tabAway' as const), which, sawOne: fc.boolean(), written: fc.integer({ min: modelConfig.log!.maxEvents! + 1, max: modelConfig.log!.maxEvents! + 6 }), then }),
  },
  { kind: 'oddFrame', weight: 2, fault: 'frames', arbitrary: fc.record({ kind: fc.constant('oddFrame' as const), frame: fc.constantFrom(...oddFrames), where: fc.constantFrom('live' as const, 'replay' as const), then }) },
  { kind: 'replayChunkFails', weight: 1, fault: 'replayLoad', arbitrary: fc.record({ kind: fc.constant('replayChunkFails' as const), then }) },
  { kind: 'stopReading', weight: 1, fault: 'stopReading', arbitrary: fc.record({ kind: fc.constant('stopReading' as const), which, then }) },
  { kind: 'burstThenWorkerDies', weight: 1, fault: 'brokerBurst', arbitrary: fc.record({ kind: fc.constant('burstThenWorkerDies' as const), count: fc.integer({ min: 70, max: 100 }), then }) },
];
/** TABWIRE_MODEL_EXCLUDE=stallNextReplay,skewed leaves kinds of action out, to look past a known failure. */
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  ...actionArbs.filter(({ kind, fault }) => !excluded.has(kind) && (fault === undefined || faultsOn(fault))).map(({ weight, arbitrary }) => ({ weight, arbitrary })),
);

const scenarioArb = fc.record({
  replay: fc.boolean(),
  storage: fc.constantFrom<StorageMode>('on', ...(faultsOn('logOff') ? ['off' as const] : []), ...(faultsOn('noIndexedDB') ? ['unavailable' as const] : [])),
  clockSkewMs: faultsOn('clock') ? fc.constantFrom(0, 300_000, -300_000) : fc.constant(0),
  handshakeTimestamp: faultsOn('clock') ? fc.boolean() : fc.constant(true),
  secondApp: faultsOn('twoApps') ? fc.boolean() : fc.constant(false),
  actions: fc.array(actionArb, { minLength: 1, maxLength: 8 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

// ---- the model ----------------------------------------------------------

interface Session {
  index: number;
  identity: Identity;
  loginAt: number;
  /** When the logout call came back. */
  endAt: number | undefined;
}

interface EmittedEvent {
  mid: string;
  type: string;
  tenantId: string;
  /** The wall clock when the server emitted the event (not its timestamp, which may be skewed). */
  emittedAt: number;
  /**
   * Its timestamp, where the server stamped it as it sent it (by its clock, `backend.now()`): a few
   * ms past `emittedAt` when the server's strictly increasing stamps ran ahead after a burst. A resync
   * covers the event if it holds either.
   */
  stampedAt?: number;
  session: Session | undefined;
  /** Pushed to our sockets with another tenant's id: must reach nobody. */
  otherTenant: boolean;
  /**
   * Stamped long before the server sent it. A replay asks by timestamp from just before the gap,
   * so such an event missed in a gap cannot come back: the contract (docs/protocol.md,
   * "Timestamps") asks servers to stamp events when they send them, within the replay overlap.
   * It is owed only where it is sent on a live connection.
   */
  stampedInThePast?: boolean;
  /** A later settle found the broker healthy in the same session: it had to be delivered or covered by then. */
  committed: boolean;
}

interface SentMessage {
  marker: string;
  at: number;
  /** The session that sent it: the current one, or the last one when the app was logged out. */
  owner: Session | undefined;
  outcome: 'pending' | 'sent' | 'rejected';
}

interface Call {
  what: string;
  /** A tab that died cannot hear the answer: its calls are not waited for. */
  from: ModelTab | undefined;
  at: number;
  settled: boolean;
  /** An error no caller should ever get. */
  failure?: string;
  /** The code it failed with. */
  code?: string;
}

class Model {
  readonly sessions: Session[] = [];
  readonly events: EmittedEvent[] = [];
  readonly sent: SentMessage[] = [];
  readonly calls: Call[] = [];
  readonly recentRows: Array<{ at: number; session: Session | undefined; mids: string[] }> = [];
  readonly violations: string[] = [];
  /** When workers were killed: a send in flight then may fail WORKER_LOST, as `send()` documents. */
  readonly workerDeaths: number[] = [];
  #next = 0;

  constructor(readonly world: ModelWorld) {}

  get session(): Session | undefined {
    const last = this.sessions.at(-1);
    return last && last.endAt === undefined ? last : undefined;
  }

  sessionAt(at: number): Session | undefined {
    return this.sessions.find((s) => s.loginAt <= at && (s.endAt === undefined || at < s.endAt));
  }

  nextMid(): string {
    return `m${++this.#next}`;
  }

  login(identity: Identity): void {
    this.sessions.push({ index: this.sessions.length, identity, loginAt: Date.now(), endAt: undefined });
    this.world.login(identity);
  }

  record(event: Omit<EmittedEvent, 'session' | 'committed' | 'emittedAt'>): EmittedEvent {
    const emitted = { ...event, emittedAt: Date.now(), session: this.session, committed: false };
    this.events.push(emitted);
    return emitted;
  }

  /** Track a call from a tab: it must settle, and some errors are never acceptable. */
  track<T>(what: string, from: ModelTab | undefined, promise: Promise<T>, acceptable: (code: string | undefined) => boolean = () => true): Promise<T | undefined> {
    const call: Call = { what, from, at: Date.now(), settled: false };
    this.calls.push(call);
    return promise.then(
      (value) => {
        call.settled = true;
        return value;
      },
      (error: { code?: string; message?: string }) => {
        call.settled = true;
        call.code = error?.code;
        if (!acceptable(error?.code)) call.failure = `${what} failed: ${error?.code ?? ''} ${error?.message ?? String(error)}`;
        return undefined;
      },
    );
  }
}

// ---- playing the actions against the world ------------------------------

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const openTabs = (world: ModelWorld) => world.tabs.filter((tab) => !tab.closed);
const pickTab = (world: ModelWorld, which: number): ModelTab | undefined => {
  const tabs = openTabs(world);
  return tabs.length === 0 ? undefined : tabs[which % tabs.length];
};

/** Wait until the connection is open, no gap is open and the tabs stopped receiving; false when that did not happen in time. */
async function settle(model: Model, timeoutMs: number): Promise<boolean> {
  const { world } = model;
  const deadline = Date.now() + timeoutMs;
  const settleStartedAt = Date.now();
  let quietSince = Number.POSITIVE_INFINITY;
  let lastCount = -1;
  while (Date.now() < deadline) {
    const status = world.broker.status.status;
    // Halted (refused, logged out, no tabs): it will not reconnect by itself, waiting would only cost time.
    // A broker that just replaced a dead one is idle until its tabs re-attach: that is worth waiting for.
    const reattaching = status === 'idle' && world.broker.tabs.size < openTabs(world).length;
    if (halted.has(status) && !reattaching) return false;
    const healthy = status === 'open' && (await gapPhase(model)) === 'live';
    const count = world.tabs.reduce((sum, tab) => sum + tab.received.length + tab.resyncs.length, 0);
    if (!healthy || count !== lastCount) quietSince = Number.POSITIVE_INFINITY;
    else if (quietSince === Number.POSITIVE_INFINITY) quietSince = Date.now();
    lastCount = count;
    if (Date.now() - quietSince >= 15) {
      // Healthy and quiet: whatever the current session emitted before now was owed by now.
      const session = model.session;
      for (const event of model.events) if (event.emittedAt < settleStartedAt && event.session === session) event.committed = true;
      return true;
    }
    await pause(5);
  }
  return false;
}

const halted = new Set(['idle', 'unauthorized', 'forbidden', 'closed']);

/** The broker's gap phase from `debug()`; a `debug()` that throws is a violation, and the phase unknown. */
async function gapPhase(model: Model): Promise<string> {
  try {
    return ((await model.world.broker.debug()) as { gap: { phase: string } }).gap.phase;
  } catch (error) {
    model.violations.push(`calls: the broker's debug() threw ${String(error)}`);
    return 'unknown';
  }
}

async function checkBounds(model: Model, after: string): Promise<void> {
  // Sampled here, after every step: a tab of one app attached to the other app's broker.
  for (const crossing of model.world.crossings()) model.violations.push(`apps: ${crossing}`);
  for (const tab of model.world.tabs) {
    if (tab.tab.unreadPeak > unreadMessagesBound) model.violations.push(`bounds: ${tab.tab.id} stopped reading and had up to ${tab.tab.unreadPeak} messages waiting for it > ${unreadMessagesBound}`);
  }
  const stats = await model.world.broker.stats().catch((error: unknown) => {
    model.violations.push(`calls: the broker's stats() threw ${String(error)} after ${after}`);
    return undefined;
  });
  if (!stats) return;
  const { config } = model.world;
  if (stats.outbox > config.maxBufferedMessages) model.violations.push(`bounds: outbox holds ${stats.outbox} > maxBufferedMessages ${config.maxBufferedMessages} after ${after}`);
  if (stats.log.size > config.logMaxEvents) model.violations.push(`bounds: log holds ${stats.log.size} > logMaxEvents ${config.logMaxEvents} after ${after}`);
}

function sendFrom(model: Model, tab: ModelTab): void {
  const marker = model.nextMid();
  const message: SentMessage = { marker, at: Date.now(), owner: model.session ?? model.sessions.at(-1), outcome: 'pending' };
  model.sent.push(message);
  const diedSince = () => model.workerDeaths.some((at) => at >= message.at);
  void model
    .track(`send ${marker}`, tab, tab.tab.broker.send({ action: 'broadcast', data: { marker } }), (code) => code === 'CLOSED' || code === 'BUFFER_FULL' || (code === 'WORKER_LOST' && diedSince()))
    .then((sent) => {
      message.outcome = sent === true ? 'sent' : 'rejected';
    });
}

/** A catalogue event written on the server (stamped by it), recorded as owed to the current session. */
function emitOne(model: Model, tenantId: string, type = 'goal.created'): string {
  const mid = model.nextMid();
  const event = model.record({ mid, type, tenantId, otherTenant: false });
  event.stampedAt = Date.parse(String(model.world.backend.emit(tenantId, type, { mid }).timestamp));
  return mid;
}

/**
 * An event broadcast as given, stamped now by the server's clock (`backend.now()`), recorded as owed
 * to the current session. That clock, not the wall clock: the server's strictly increasing stamps run
 * ahead of the wall clock after a burst, and its `auth.success` is stamped by them too. An event
 * stamped from the wall clock right after such a handshake would be stamped before the server's
 * clock as that handshake told it — a server whose stamps go back, which the broker measures gaps
 * against (docs/protocol.md, "Timestamps") and the contract does not promise to place.
 */
function broadcastOne(model: Model, tenantId: string, type = 'note.pinned'): string {
  const mid = model.nextMid();
  const event = model.record({ mid, type, tenantId, otherTenant: false });
  const timestamp = model.world.backend.now();
  event.stampedAt = Date.parse(timestamp);
  model.world.backend.broadcast(tenantId, { type, timestamp, data: { tenantId, mid } });
  return mid;
}

async function play(model: Model, action: Action): Promise<void> {
  const { world } = model;
  const { backend } = world;
  const tenantId = (model.session ?? model.sessions.at(-1))!.identity.tenantId;
  const envelope = (type: string, mid: string, timestamp = backend.now(), tenant = tenantId) => ({ type, timestamp, data: { tenantId: tenant, mid } });
  switch (action.kind) {
    case 'emit':
      for (let i = 0; i < action.count; i++) {
        if (action.type === 'goal.created') emitOne(model, tenantId);
        else broadcastOne(model, tenantId, action.type);
      }
      return;
    case 'prototypeNamed':
      broadcastOne(model, tenantId, action.type);
      return;
    case 'skewed': {
      const mid = model.nextMid();
      const offset = { year2099: Date.parse('2099-01-01T00:00:00.000Z') - Date.now(), hourAhead: 3_600_000, hourBehind: -3_600_000 }[action.stamp];
      model.record({ mid, type: 'note.pinned', tenantId, otherTenant: false, stampedInThePast: offset < 0 });
      backend.broadcast(tenantId, envelope('note.pinned', mid, new Date(Date.now() + offset).toISOString()));
      return;
    }
    case 'duplicate': {
      const mid = model.nextMid();
      const event = model.record({ mid, type: 'note.pinned', tenantId, otherTenant: false });
      const twice = envelope('note.pinned', mid);
      event.stampedAt = Date.parse(twice.timestamp);
      backend.push(twice, tenantId);
      backend.broadcast(tenantId, twice);
      return;
    }
    case 'malformed':
      backend.push(action.frame);
      return;
    case 'otherTenant': {
      const mid = model.nextMid();
      model.record({ mid, type: 'goal.created', tenantId: 'tenant-other', otherTenant: true });
      backend.push(envelope('goal.created', mid, undefined, 'tenant-other'));
      return;
    }
    case 'serverDrop':
      backend.drop();
      for (let i = 0; i < action.emitAfter; i++) broadcastOne(model, tenantId);
      return;
    case 'outage': {
      backend.setAccepting(false);
      backend.drop();
      const deadline = Date.now() + 500;
      while (world.broker.status.status === 'open' && Date.now() < deadline) await pause(5);
      const tab = pickTab(world, 0);
      if (action.sendWhileDown && tab) sendFrom(model, tab);
      for (let i = 0; i < action.written; i++) emitOne(model, tenantId);
      await pause(20);
      backend.setAccepting(true);
      return;
    }
    case 'expireTokens':
      world.setRefreshDelay(action.refreshDelayMs);
      backend.setRefreshFails(action.refreshFails);
      backend.expireTokens();
      if (action.refreshFails) {
        await pause(60);
        backend.setRefreshFails(false);
      }
      return;
    case 'stallNextReplay':
      world.stallNextReplay();
      return;
    case 'openTab':
      await model.track('attach', undefined, world.openTab(action.patterns));
      return;
    case 'closeTab': {
      const tab = pickTab(world, action.which);
      if (tab) world.closeTab(tab, action.how);
      return;
    }
    case 'workerDies':
      return workerDies(model, action.written, tenantId);
    case 'send': {
      const tab = pickTab(world, action.which);
      if (tab) sendFrom(model, tab);
      return;
    }
    case 'recent': {
      const tab = pickTab(world, action.which);
      if (!tab) return;
      const session = model.session;
      const askedAt = Date.now();
      // A call is repeated once on the next broker: one that outlives two brokers fails WORKER_LOST.
      const workersDied = () => model.workerDeaths.filter((at) => at >= askedAt).length >= 2;
      const accepted = (code: string | undefined) => code === 'NOT_READY' || (code === 'WORKER_LOST' && workersDied());
      void model.track('recent', tab, tab.tab.broker.recent({}) as Promise<Array<{ data: { mid?: unknown } }>>, accepted).then((rows) => {
        if (!rows || model.session !== session) return;
        model.recentRows.push({ at: Date.now(), session, mids: rows.map((row) => String(row.data.mid)) });
      });
      return;
    }
    case 'logout': {
      const tab = pickTab(world, action.which);
      const session = model.session;
      if (!tab || !session) return;
      world.loggedOut();
      await model.track('logout', tab, tab.tab.broker.logout());
      session.endAt = Date.now();
      return;
    }
    case 'login': {
      if (model.session) return;
      await pause(action.afterMs);
      model.login(users[action.who]);
      const tab = pickTab(world, 0);
      if (tab) await model.track('reconnect', tab, tab.tab.broker.reconnect());
      return;
    }
    case 'storageFails':
      world.storageFails();
      if (action.workerDies) await workerDies(model, action.written, tenantId);
      return;
    case 'tabAway':
      return tabAway(model, action, tenantId);
    case 'oddFrame':
      if (action.where === 'live') backend.push(action.frame);
      else {
        world.addToNextReplay([JSON.parse(action.frame)]);
        backend.drop();
      }
      return;
    case 'replayChunkFails': {
      replayChunk.failures = 1;
      backend.drop();
      broadcastOne(model, tenantId);
      return;
    }
    case 'stopReading': {
      const tab = pickTab(world, action.which);
      if (tab) await stopReading(model, tab, tenantId);
      return;
    }
    case 'burstThenWorkerDies':
      return burstThenWorkerDies(model, action.count, tenantId);
  }
}

/** `tab` stops reading its stream while more batches than `unreadMessagesBound` go by, then reads again. */
async function stopReading(model: Model, tab: ModelTab, tenantId: string): Promise<void> {
  tab.tab.stopReading();
  for (let i = 0; i < unreadBurst; i++) {
    broadcastOne(model, tenantId);
    // In waves, as a busy server sends them: the broker relays each before the next.
    if (i % unreadWave === unreadWave - 1) await pause(0);
  }
  await pause(50);
  tab.tab.resumeReading();
}

/** `count` events relayed to the tabs (not necessarily written to the log yet), then the worker dies at once. */
async function burstThenWorkerDies(model: Model, count: number, tenantId: string): Promise<void> {
  let last = '';
  for (let i = 0; i < count; i++) last = broadcastOne(model, tenantId);
  await until(() => openTabs(model.world).some((tab) => tab.received.some((r) => midOf(r.event.data) === last)), 300);
  model.workerDeaths.push(Date.now());
  await model.world.workerDies();
}

/**
 * The worker is killed, and `written` events go by while its tabs re-attach to the next one.
 * Written once it is gone: a killed worker relays nothing more, while the harness's dying broker
 * would still take frames for a tick after its lock went.
 */
async function workerDies(model: Model, written: number, tenantId: string): Promise<void> {
  model.workerDeaths.push(Date.now());
  await model.world.workerDies();
  for (let i = 0; i < written; i++) emitOne(model, tenantId);
}

/**
 * One tab stays between brokers (its re-attach finds no host) while the worker is replaced and
 * `written` events go by, more than the log keeps; then it attaches to the new broker, which
 * catches it up from the log. Another tab stays, so the new broker has a tab to connect for.
 */
async function tabAway(model: Model, { which, sawOne, written }: Extract<Action, { kind: 'tabAway' }>, tenantId: string): Promise<void> {
  const { world } = model;
  if (openTabs(world).length < 2) await model.track('attach', undefined, world.openTab(['*']));
  const away = pickTab(world, which);
  if (!away) return;
  if (sawOne) {
    emitOne(model, tenantId);
    await settle(model, 600);
  }
  const back = away.tab.holdHosts();
  model.workerDeaths.push(Date.now());
  await world.workerDies();
  await settle(model, 600);
  for (let i = 0; i < written; i++) emitOne(model, tenantId);
  await settle(model, 600);
  back();
}

/** Bring everything back: server accepting, someone logged in, a tab open and asking to connect. */
async function heal(model: Model): Promise<void> {
  const { world } = model;
  world.backend.setAccepting(true);
  world.backend.setAuthMode('ok');
  world.backend.setRefreshFails(false);
  world.setRefreshDelay(0);
  for (const tab of openTabs(world)) tab.tab.resumeReading();
  if (!model.session) model.login(users.healer);
  const tab = pickTab(world, 0) ?? (await world.openTab(['*']));
  if (world.broker.status.status !== 'open') await model.track('reconnect', tab, tab.tab.broker.reconnect());
  if (!(await settle(model, 2500))) {
    model.violations.push(`liveness: healed, the broker did not settle (status ${world.broker.status.status}, gap ${await gapPhase(model)})`);
  }
  await pause(10);
}

// ---- the invariants -----------------------------------------------------

const matches = (patterns: string[], type: string) => patterns.some((p) => p === '*' || (p.endsWith('.*') ? type.startsWith(p.slice(0, -1)) : p === type));
const midOf = (data: unknown) => (typeof data === 'object' && data !== null ? (data as { mid?: unknown }).mid : undefined);

function checkDelivery(model: Model): void {
  for (const tab of model.world.tabs) {
    if (tab.closed) continue;
    const copiesOf = new Map<unknown, number>();
    for (const r of tab.received) {
      const mid = midOf(r.event.data);
      copiesOf.set(mid, (copiesOf.get(mid) ?? 0) + 1);
    }
    for (const event of model.events) {
      const owed =
        !event.otherTenant &&
        event.session !== undefined &&
        event.committed &&
        tab.attachedAt < event.emittedAt &&
        matches(tab.patterns, event.type) &&
        connectedBefore(model, event.session, event.emittedAt);
      if (!owed) continue;
      const copies = copiesOf.get(event.mid) ?? 0;
      if (event.stampedInThePast && copies === 0) continue;
      if (copies === 1) continue;
      if (copies > 1) {
        model.violations.push(`delivery: ${tab.tab.id} received ${event.type} ${event.mid} ${copies} times`);
        continue;
      }
      const instants = event.stampedAt === undefined ? [event.emittedAt] : [event.emittedAt, event.stampedAt];
      const covered = tab.resyncs.some(({ signal }) => !signal.complete && instants.some((at) => Date.parse(signal.since) <= at && at <= Date.parse(signal.until)));
      if (!covered) {
        const told = tab.resyncs.map(({ signal }) => `${signal.reason} ${signal.since}..${signal.until} complete=${signal.complete} replayed=${signal.replayed}`).join('; ') || 'none';
        model.violations.push(`delivery: ${tab.tab.id} never received ${event.type} ${event.mid} (emitted ${new Date(event.emittedAt).toISOString()}), no incomplete resync covers it (resyncs: ${told})`);
      }
    }
  }
}

/** The session had an authenticated connection before `at`: from then on the broker answers for what the server emits. */
function connectedBefore(model: Model, session: Session, at: number): boolean {
  return model.world.connections.some((c) => c.acceptedAt !== undefined && c.acceptedAt >= session.loginAt && c.acceptedAt < at && sameIdentity(c.accepted, session.identity));
}

function checkIsolation(model: Model): void {
  const byMid = new Map(model.events.map((event) => [event.mid, event]));
  const name = (s: Session | undefined) => (s ? `session ${s.index} (${s.identity.userId}@${s.identity.tenantId})` : 'no session (logged out)');
  // Events reaching tabs: of the session current when they arrive, or replayed by the server to that session's own token.
  for (const tab of model.world.tabs) {
    for (const { at, event } of tab.received) {
      const emitted = byMid.get(String(midOf(event.data)));
      if (!emitted) continue;
      const session = model.sessionAt(at);
      if (emitted.otherTenant) model.violations.push(`isolation: ${tab.tab.id} received ${emitted.mid} of another tenant`);
      else if (!session) model.violations.push(`isolation: ${tab.tab.id} received ${emitted.type} ${emitted.mid} of ${name(emitted.session)} while logged out`);
      else if (emitted.session !== session && !(event.replayed && emitted.tenantId === session.identity.tenantId)) {
        model.violations.push(`isolation: ${tab.tab.id} received ${emitted.type} ${emitted.mid} of ${name(emitted.session)} during ${name(session)}`);
      }
    }
  }
  // recent() rows: this session's events, or its tenant's that the server replayed to it.
  for (const { session, mids } of model.recentRows) {
    for (const mid of mids) {
      const emitted = byMid.get(mid);
      if (!emitted || emitted.session === session) continue;
      const replayedHere = model.world.tabs.some((tab) => tab.received.some((r) => r.event.replayed && midOf(r.event.data) === mid && model.sessionAt(r.at) === session));
      if (emitted.otherTenant || !replayedHere) model.violations.push(`isolation: recent() during ${name(session)} returned ${emitted.mid} of ${name(emitted.session)}`);
    }
  }
  // Tokens: every handshake uses a token of the session current when it is written.
  for (const connection of model.world.connections) {
    for (const auth of connection.auths) {
      const session = model.sessionAt(auth.at);
      if (!sameIdentity(auth.identity, session?.identity)) {
        model.violations.push(`isolation: connection ${connection.index} authenticated with a token of ${auth.identity?.userId ?? 'nobody'} during ${name(session)}`);
      }
    }
    // send() messages: only on a connection of the session that sent them.
    for (const { at, frame } of connection.upstream) {
      const marker = typeof frame.data === 'object' && frame.data !== null ? (frame.data as { marker?: unknown }).marker : undefined;
      const message = model.sent.find((m) => m.marker === marker);
      if (!message) continue;
      const auth = connection.auths.filter((a) => a.at <= at).at(-1);
      if (!sameIdentity(auth?.identity, message.owner?.identity)) {
        model.violations.push(`isolation: send() ${message.marker} of ${name(message.owner)} went out on connection ${connection.index} authenticated as ${auth?.identity?.userId ?? 'nobody'}`);
      }
      if (message.outcome === 'rejected') model.violations.push(`send: ${message.marker} was rejected yet went out on connection ${connection.index}`);
    }
  }
}

/** Two apps on one origin with one socket URL: neither's tabs reach the other's broker, nor its tokens the other's connections. */
function checkApps(model: Model): void {
  const { otherApp } = model.world;
  for (const connection of otherApp?.connections ?? []) {
    for (const auth of connection.auths) {
      if (!sameIdentity(auth.identity, otherApp!.identity)) model.violations.push(`apps: the other app's connection ${connection.index} authenticated with a token of ${auth.identity?.userId ?? 'nobody'}`);
    }
  }
}

function checkCalls(model: Model): void {
  for (const call of model.calls) {
    // A crashed tab hears nothing more; one that left hears CLOSED for whatever it still waited for.
    if (!call.settled && call.from?.closedHow !== 'crash') model.violations.push(`liveness: ${call.what} (called ${Date.now() - call.at} ms ago) never settled`);
    if (call.failure && !(call.code === 'CLOSED' && call.from?.closedHow === 'leave')) model.violations.push(`calls: ${call.failure}`);
  }
}

// ---- the property -------------------------------------------------------

async function runScenario(scenario: Scenario): Promise<void> {
  const startedAt = Date.now();
  replayChunk.failures = 0;
  const { replay, storage, clockSkewMs, handshakeTimestamp, secondApp } = scenario;
  const world = await createModelWorld({ replay, storage, clockSkewMs, handshakeTimestamp, secondApp });
  const model = new Model(world);
  // The broker throwing where nothing catches it (a timer, a microtask) is a failure of this sequence too.
  const thrown = (error: unknown) => model.violations.push(`crash: the broker threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  process.on('uncaughtException', thrown);
  process.on('unhandledRejection', thrown);
  try {
    model.login(users.alice);
    await model.track('attach', undefined, world.openTab(['*']));
    await settle(model, 1500);
    for (const action of scenario.actions) {
      const actionStartedAt = Date.now();
      await play(model, action);
      if (action.then === 'settle') await settle(model, 600);
      else await pause(5);
      await checkBounds(model, action.kind);
      if (process.env.TABWIRE_MODEL_VERBOSE) console.log(`  ${action.kind} ${action.then}: ${Date.now() - actionStartedAt} ms`);
    }
    await heal(model);
    await checkBounds(model, 'heal');
    await until(() => model.calls.every((call) => call.settled || call.from?.closedHow === 'crash'), 500);
    checkDelivery(model);
    checkIsolation(model);
    checkApps(model);
    checkCalls(model);
  } finally {
    process.off('uncaughtException', thrown);
    process.off('unhandledRejection', thrown);
    replayChunk.failures = 0;
    await world.dispose();
    if (process.env.TABWIRE_MODEL_VERBOSE) console.log(`${Date.now() - startedAt} ms, ${scenario.actions.length} actions`);
  }
  if (model.violations.length > 0) {
    throw new Error(`${[...new Set(model.violations)].join('\n')}`);
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await pause(10);
}

const runs = Number(process.env.TABWIRE_MODEL_RUNS ?? 100);
// `npm test` draws the same sequences every run, so a rare counterexample found by exploring is
// reported by whoever explores (TABWIRE_MODEL_SEED=random) rather than failing CI by chance.
const seedSetting = process.env.TABWIRE_MODEL_SEED ?? '20261206';
const seed = seedSetting === 'random' ? undefined : Number(seedSetting);
const path = process.env.TABWIRE_MODEL_PATH;

describe('broker model', () => {
  it(
    'delivers every owed event exactly once or says it may be missing, keeps sessions apart, and stays live and bounded',
    async () => {
      await import('../../src/broker/replay.ts');
      await fc.assert(fc.asyncProperty(scenarioArb, runScenario), {
        numRuns: runs,
        ...(seed !== undefined ? { seed } : {}),
        ...(path ? { path, endOnFailure: true } : {}),
        // Shrinking real sockets is slow: cap the whole run so a failure is still reported in
        // reasonable time, with room for every sequence asked for to run first (~0.3–1 s each).
        interruptAfterTimeLimit: Number(process.env.TABWIRE_MODEL_BUDGET_MS ?? runs * 2_000 + 60_000),
        markInterruptAsFailure: false,
      });
    },
    Math.max(60_000, runs * 3_000 + 180_000),
  );
});
