/**
 * A benchmark tab. `?mode=` picks the client: tabwire (SharedWorker), leader
 * (tabwire's leader-tab fallback), socket (a plain WebSocket per tab), peer
 * (broadcast-channel leader election + relay), relay (the bare relay, a
 * reference for latency and CPU), eventsource (an EventSource per tab; tabwire
 * over Server-Sent Events is `tabwire` with the transport in `options`). It records, for every event it
 * handles, when it arrived — on the server's clock, corrected by an offset
 * measured against the mock's /__control/clock — so the runner can compute
 * server → handler latency, losses and duplicates.
 */
import { connectBroker } from '../../src/index.ts';
import { BareRelay } from './bare-relay.ts';
import type { BenchClient, BenchEvent, ClientContext } from './client.ts';
import { PerTabEventSource } from './event-source.ts';
import { bareRate, logRate, makeEvents } from './idb-ceiling.ts';
import { PeerRelay } from './peer-relay.ts';
import { PlainSocket } from './plain-socket.ts';

const params = new URLSearchParams(location.search);
const mode = params.get('mode') ?? 'tabwire';
const httpUrl = params.get('backend')!;
const options = JSON.parse(params.get('options') ?? '{}') as Record<string, unknown>;
const tenantId = 'tenant-123';
const now = () => performance.timeOrigin + performance.now();

/** Received events: seq → arrival (server clock, ms), and how many arrived. */
const capacity = 1 << 20;
const arrivals = new Float64Array(capacity);
let count = 0;
let duplicates = 0;
let offsetMs = 0;

const handler = (event: BenchEvent) => {
  const seq = event.data.seq as number | undefined;
  if (typeof seq !== 'number') return;
  if (arrivals[seq] !== 0) duplicates++;
  else arrivals[seq] = now() + offsetMs;
  count++;
};

async function token(): Promise<string> {
  const key = `bench-session:${httpUrl}`;
  const stored = localStorage.getItem(key);
  if (stored) return (JSON.parse(stored) as { accessToken: string }).accessToken;
  const response = await fetch(`${httpUrl}/auth/login`, { method: 'POST', body: JSON.stringify({ tenantId }) });
  const session = await response.json();
  localStorage.setItem(key, JSON.stringify(session));
  return session.accessToken as string;
}

/**
 * Offset from this page's clock to the server's, NTP-style: of many round
 * trips, the one with the shortest round trip bounds the error best (±half of it).
 */
async function measureOffset(): Promise<number> {
  let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
  for (let i = 0; i < 40; i++) {
    const sent = now();
    const { now: server } = (await (await fetch(`${httpUrl}/__control/clock`, { cache: 'no-store' })).json()) as { now: number };
    const received = now();
    if (received - sent < best.rtt) best = { rtt: received - sent, offset: server - (sent + received) / 2 };
  }
  return best.offset;
}

function tabwire(sharing: 'worker' | 'leader'): BenchClient {
  let resyncs = 0;
  const broker = connectBroker({
    url: `${httpUrl.replace(/^http/, 'ws')}/realtime`,
    getToken: token,
    sharing,
    resync: { eventsSinceUrl: `${httpUrl}/api/events` },
    ...options,
    // The bench's options name the delays as every client here takes them; tabwire's are a group.
    reconnect: { minDelayMs: context.minDelayMs, maxDelayMs: context.maxDelayMs },
  });
  broker.on('measure.reading.created', (event) => handler(event as BenchEvent));
  broker.onResync(() => resyncs++);
  (window as unknown as { broker: unknown }).broker = broker;
  return {
    async start() {
      await broker.ready;
      if (broker.state !== 'open') await new Promise<void>((resolve) => broker.onState((next) => next === 'open' && resolve()));
    },
    state: () => broker.state,
    resyncs: () => resyncs,
  };
}

const context: ClientContext = {
  wsUrl: `${httpUrl.replace(/^http/, 'ws')}/realtime`,
  httpUrl,
  tenantId,
  token,
  handler,
  minDelayMs: Number(options.minDelayMs ?? 1000),
  maxDelayMs: Number(options.maxDelayMs ?? 30_000),
};

const client: BenchClient =
  mode === 'eventsource' ? new PerTabEventSource(context) : mode === 'socket' ? new PlainSocket(context) : mode === 'relay' ? new BareRelay(context) : mode === 'peer' ? new PeerRelay(context) : tabwire(mode === 'leader' ? 'leader' : 'worker');

let busyTimer: ReturnType<typeof setInterval> | undefined;
const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy on purpose
  }
};

const bench = {
  mode,
  ready: false,
  state: () => client.state(),
  resyncs: () => client.resyncs(),
  count: () => count,
  duplicates: () => duplicates,
  reset() {
    arrivals.fill(0);
    count = 0;
    duplicates = 0;
  },
  /** The worker's event log alone on this profile's IndexedDB (events/s), bound 500, bursts of 250. */
  logRate: (total: number) => logRate(makeEvents(total)),
  /** The bare IndexedDB writer on the same events: 250 puts and one key-range delete per transaction. */
  bareIdbRate: (total: number) => bareRate(makeEvents(total)),
  /** Measure the clock offset again (the runner calls it while the tabs are idle). */
  async calibrate() {
    offsetMs = await measureOffset();
    return offsetMs;
  },
  /**
   * Keep this tab's main thread busy `busyMs` in every `everyMs` (a slow tab: heavy rendering, a
   * long script); `busy(0)` stops it.
   */
  busy(busyMs: number, everyMs = 1000) {
    clearInterval(busyTimer);
    if (busyMs > 0) busyTimer = setInterval(() => spin(busyMs), everyMs);
  },
  /** Arrival times of events `from` … `to` (exclusive), 0 for those that never came. */
  arrivals: (from: number, to: number) => Array.from(arrivals.subarray(from, to)),
};
(window as unknown as { bench: typeof bench }).bench = bench;

offsetMs = await measureOffset();
await client.start();
bench.ready = true;
document.getElementById('state')!.textContent = 'ready';
