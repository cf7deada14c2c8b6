/**
 * `npm run bench`: the same workloads, side by side in one run, through
 *   tabwire   tabwire with its SharedWorker            (a)
 *   socket    one plain WebSocket per tab               (b, the baseline)
 *   leader    tabwire's leader-tab fallback             (c)
 *   peer      broadcast-channel leader election + relay (a peer from npm, for reference)
 * in real headless Chromium against the mock backend on loopback. Several
 * rounds, medians, ratios against (b). Writes bench/results/*.json, the
 * chart, and BENCHMARKS.md. BENCH_QUICK=1 runs a short version.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright';
import { completePayload } from '../demo/server/catalogue.ts';
import { type MockBackend, startMockBackend } from '../demo/server/mock-backend.ts';
// @ts-expect-error plain ESM helpers without types
import { chromiumArgs, ensureChromium } from '../scripts/chromium.mjs';
// @ts-expect-error plain ESM helpers without types
import { bundleSizes, targets } from '../scripts/sizes.mjs';
import { startStaticServer } from '../test/support/static-server.ts';
import { cpuSeconds, pssBytes } from './procs.ts';
import { writeReport } from './report.ts';
import { type SseResults, type SseRunner, measureSse } from './sse.ts';
import { median, percentile, round } from './stats.ts';
import { type Storm, stormShape } from './storm.ts';
import { type TailSession, tailOnly } from './tail.ts';

export type Mode = 'tabwire' | 'socket' | 'leader' | 'peer';
export const modes: Mode[] = ['tabwire', 'socket', 'leader', 'peer'];
/**
 * The bare relay (demo/bench/bare-relay.worker.ts): a reference column for latency and CPU only,
 * the least a shared connection can cost, measured in the same run as the clients.
 */
export type Column = Mode | 'relay';
/** BENCH_MODES=tabwire,socket runs a subset (for working on one thing; the report needs all four). */
const runModes = (process.env.BENCH_MODES?.split(',') as Mode[] | undefined) ?? modes;
/** The clients and the reference take turns in the latency rounds. */
const latencyColumns: Column[] = [...runModes, 'relay'];

const quick = process.env.BENCH_QUICK === '1';
/** 64 tabs in full runs only: a 64-tab session holds ~1.3 GiB of the machine's memory (see the notes) and takes a minute to open. */
const tabCounts = quick ? [1, 4, 16] : [1, 4, 16, 32, 64];
// 32 too in full runs: issue 15 asks CPU at 4, 16, 32 and 64 tabs against the other clients.
const cpuTabCounts = quick ? [4, 16] : [4, 16, 32, 64];
/** The deploy storm runs in full runs, or in a short one with BENCH_STORM=1. */
const storm = !quick || process.env.BENCH_STORM === '1';
const rounds = quick ? 2 : 3;
const tenant = 'tenant-123';
const hrNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

declare global {
  interface Window {
    bench: {
      ready: boolean;
      state(): string;
      resyncs(): number;
      count(): number;
      duplicates(): number;
      reset(): void;
      calibrate(): Promise<number>;
      logRate(total: number): Promise<number>;
      bareIdbRate(total: number): Promise<number>;
      arrivals(from: number, to: number): number[];
      busy(busyMs: number, everyMs?: number): void;
    };
  }
}

// ---- events --------------------------------------------------------------

const base = completePayload('measure.reading.created', { tenantId: tenant, userId: 'user-456' }, { kpiId: 'kpi-bench' }, new Date().toISOString());
const kilobyteNote = 'x'.repeat(1024 - JSON.stringify(base).length - 120);

function send(backend: MockBackend, seq: number, big = false): number {
  const sentAt = hrNow();
  backend.broadcast(tenant, {
    type: 'measure.reading.created',
    timestamp: new Date().toISOString(),
    data: { ...base, readingId: `r${seq}`, value: seq, seq, sentAt, ...(big ? { note: kilobyteNote } : {}) },
  });
  return sentAt;
}

// ---- sessions: N tabs of one mode in one browser profile -------------------

interface Session {
  mode: Column;
  context: BrowserContext;
  pages: Page[];
}

async function poll(check: () => Promise<boolean>, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return false;
}

const everyPage = async (pages: Page[], fn: () => boolean) => (await Promise.all(pages.map((page) => page.evaluate(fn)))).every(Boolean);

async function openSession(browser: Browser, site: string, backend: MockBackend, mode: Column, tabs: number, options: Record<string, unknown> = {}): Promise<Session> {
  const context = await browser.newContext();
  const url = `${site}/bench.html?${new URLSearchParams({ backend: backend.httpUrl, mode, options: JSON.stringify(options) })}`;
  const pages: Page[] = [];
  // Up to 16 tabs one after the other; beyond, eight at a time, as a browser restoring a session does.
  const together = tabs > 16 ? 8 : 1;
  for (let i = 0; i < tabs; i += together) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(together, tabs - i) }, async () => {
        const page = await context.newPage();
        await page.goto(url);
        return page;
      }),
    );
    pages.push(...opened);
  }
  const ready = await poll(() => everyPage(pages, () => window.bench?.ready === true), 30_000, 100);
  if (!ready) throw new Error(`${mode} × ${tabs}: tabs did not connect`);
  await sleep(300);
  return { mode, context, pages };
}

// ---- workloads ---------------------------------------------------------------

interface Latency {
  p50: number;
  p99: number;
  /** Median over events of the time until the last tab had it. */
  lastTab: number;
  lost: number;
  duplicates: number;
}

async function latencyRound(backend: MockBackend, session: Session, events = 100, ratePerSecond = 100): Promise<Latency> {
  await Promise.all(session.pages.map((page) => page.evaluate(() => window.bench.reset())));
  const sent: number[] = [];
  const start = hrNow();
  for (let seq = 0; seq < events; seq++) {
    const due = start + (seq * 1000) / ratePerSecond;
    const wait = due - hrNow();
    if (wait > 0) await sleep(wait);
    sent[seq] = send(backend, seq);
  }
  await poll(async () => (await Promise.all(session.pages.map((page) => page.evaluate(() => window.bench.count())))).every((n) => n >= events), 10_000);
  const perPage = await Promise.all(session.pages.map((page) => page.evaluate((n) => window.bench.arrivals(0, n), events)));
  const duplicates = (await Promise.all(session.pages.map((page) => page.evaluate(() => window.bench.duplicates())))).reduce((a, b) => a + b, 0);
  const deliveries: number[] = [];
  const lastTab: number[] = [];
  let lost = 0;
  for (let seq = 0; seq < events; seq++) {
    let last = 0;
    for (const arrivals of perPage) {
      const at = arrivals[seq]!;
      if (at === 0) {
        lost++;
        continue;
      }
      deliveries.push(at - sent[seq]!);
      last = Math.max(last, at - sent[seq]!);
    }
    lastTab.push(last);
  }
  return { p50: percentile(deliveries, 50), p99: percentile(deliveries, 99), lastTab: median(lastTab), lost, duplicates };
}

/** The highest rate (events/s, 1 kB each) every tab received in full within 2 s of the end: no loss, bounded queues. */
async function throughput(backend: MockBackend, session: Session): Promise<{ eventsPerSecond: number; deliveriesPerSecond: number; tried: Array<{ rate: number; ok: boolean }> }> {
  const rates = quick ? [1000, 2000, 4000] : [1000, 2000, 3000, 4000, 6000, 8000, 12_000];
  const tried: Array<{ rate: number; ok: boolean }> = [];
  let best = 0;
  for (const rate of rates) {
    await Promise.all(session.pages.map((page) => page.evaluate(() => window.bench.reset())));
    const durationMs = 2000;
    const total = (rate * durationMs) / 1000;
    const perTick = rate / 200; // every 5 ms
    const start = hrNow();
    let seq = 0;
    while (seq < total) {
      const due = start + (seq / perTick) * 5;
      const wait = due - hrNow();
      if (wait > 1) await sleep(wait);
      for (let i = 0; i < perTick && seq < total; i++) send(backend, seq++, true);
    }
    const ok = await poll(
      async () => (await Promise.all(session.pages.map((page) => page.evaluate(() => window.bench.count())))).every((n) => n >= total),
      2000,
      100,
    );
    const duplicates = (await Promise.all(session.pages.map((page) => page.evaluate(() => window.bench.duplicates())))).reduce((a, b) => a + b, 0);
    const passed = ok && duplicates === 0;
    tried.push({ rate, ok: passed });
    if (!passed) break;
    best = rate;
    // Let every tab drain fully before the next step.
    await sleep(300);
  }
  return { eventsPerSecond: best, deliveriesPerSecond: best * session.pages.length, tried };
}

/** Cores used by every browser process together while events arrive at a steady 500/s. */
async function cpuAtSteadyRate(browser: Browser, backend: MockBackend): Promise<number> {
  const pid = browserPid(browser);
  const seconds = quick ? 3 : 5;
  let seq = 0;
  const before = cpuSeconds(pid);
  const start = hrNow();
  while (hrNow() - start < seconds * 1000) {
    for (let i = 0; i < 5; i++) send(backend, seq++ % 100_000);
    await sleep(10);
  }
  const elapsed = (hrNow() - start) / 1000;
  return (cpuSeconds(pid) - before) / elapsed;
}

/**
 * From the server accepting again to every tab live with the events written
 * during the outage (tabwire: replayed by the worker; the others: their own
 * refetch); then until every tab was told it resynced (tabwire's onResync comes
 * after the settle time). And what the server had to serve meanwhile.
 */
async function recovery(
  backend: MockBackend,
  session: Session,
): Promise<{ ms: number; signalledMs: number; handshakes: number; refetches: number }> {
  const pages = session.pages;
  await Promise.all(pages.map((page) => page.evaluate(() => window.bench.reset())));
  backend.setAccepting(false);
  backend.drop();
  await poll(() => everyPage(pages, () => window.bench.state() !== 'open'), 10_000);
  await sleep(1000);
  for (let i = 0; i < 5; i++) send(backend, i);
  const resyncsBefore = await Promise.all(pages.map((page) => page.evaluate(() => window.bench.resyncs())));
  const { handshakes, replayRequests } = backend.stats();
  const start = hrNow();
  backend.setAccepting(true);
  const caughtUp = await poll(() => everyPage(pages, () => window.bench.state() === 'open' && window.bench.count() >= 5), 30_000, 10);
  const ms = caughtUp ? hrNow() - start : Number.NaN;
  const signalled = await poll(
    async () => (await Promise.all(pages.map((page, i) => page.evaluate((before) => window.bench.resyncs() > before, resyncsBefore[i]!)))).every(Boolean),
    30_000,
    10,
  );
  const signalledMs = signalled ? hrNow() - start : Number.NaN;
  const after = backend.stats();
  await sleep(1200);
  return { ms, signalledMs, handshakes: after.handshakes - handshakes, refetches: after.replayRequests - replayRequests };
}

/**
 * A deploy: `browsers` browser contexts of `tabsEach` tabs each, every client with its default
 * backoff (1 s doubling to 30 s, random within), connected; the server drops every socket and refuses
 * upgrades for `downMs` (it restarts), then accepts again. Counted from the drop, for `windowMs`.
 */
async function deployStorm(browser: Browser, site: string, backend: MockBackend, mode: Mode): Promise<Storm> {
  const { browsers, tabsEach, downMs, windowMs } = stormShape;
  const sessions: Session[] = [];
  try {
    backend.reset();
    for (let b = 0; b < browsers; b++) sessions.push(await openSession(browser, site, backend, mode, tabsEach));
    const pages = sessions.flatMap((session) => session.pages);
    await sleep(1000);
    const before = backend.stats();
    const dropped = Date.now();
    backend.setAccepting(false);
    backend.drop();
    await sleep(downMs);
    backend.setAccepting(true);
    const accepting = hrNow();
    const allLive = await poll(() => everyPage(pages, () => window.bench.state() === 'open'), windowMs - downMs, 50);
    const allLiveMs = allLive ? hrNow() - accepting : Number.NaN;
    await sleep(Math.max(0, dropped + windowMs - Date.now()));
    const after = backend.stats();
    const live = (await Promise.all(pages.map((page) => page.evaluate(() => window.bench.state() === 'open')))).filter(Boolean).length;
    return { upgrades: after.upgrades - before.upgrades, handshakes: after.authSuccesses - before.authSuccesses, live, allLiveMs: round(allLiveMs, 0) };
  } finally {
    for (const session of sessions) await session.context.close();
  }
}

/** Cores at 500 events/s with `session` warmed and calibrated: the median of one or two windows. */
async function cpuOf(browser: Browser, backend: MockBackend, session: Session): Promise<number> {
  await latencyRound(backend, session, 30); // warm up
  for (const page of session.pages) await page.evaluate(() => window.bench.calibrate());
  const cpu: number[] = [];
  for (let r = 0; r < (quick ? 1 : 2); r++) cpu.push(await cpuAtSteadyRate(browser, backend));
  return round(median(cpu), 3);
}

let browserRoot = 0;

/** The browser's root process (from launchServer); every Chromium process descends from it. */
function browserPid(_browser: Browser): number {
  if (!browserRoot) throw new Error('no browser process id');
  return browserRoot;
}

/** The JS heap of the SharedWorker (tabwire) after a GC, through CDP. */
async function workerHeap(browser: Browser): Promise<number | undefined> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: Array<{ targetId: string; type: string }> };
    const worker = targetInfos.find((target) => target.type === 'shared_worker');
    if (!worker) return undefined;
    const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false })) as { sessionId: string };
    const answers = new Map<number, (value: unknown) => void>();
    cdp.on('Target.receivedMessageFromTarget', (event: { sessionId: string; message: string }) => {
      if (event.sessionId !== sessionId) return;
      const message = JSON.parse(event.message) as { id: number; result: unknown };
      answers.get(message.id)?.(message.result);
    });
    const ask = (id: number, method: string) =>
      new Promise<unknown>((resolve) => {
        answers.set(id, resolve);
        void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) });
      });
    await ask(1, 'HeapProfiler.collectGarbage');
    const usage = (await ask(2, 'Runtime.getHeapUsage')) as { usedSize: number };
    return usage.usedSize;
  } finally {
    await cdp.detach();
  }
}

// ---- the run -----------------------------------------------------------------

export interface Results {
  environment: Record<string, string | number>;
  /** `relay` is absent from results of runs before it was measured. */
  sockets: Record<Column, Record<number, { sockets: number; handshakes: number }>>;
  latency: Record<Column, Record<number, Latency>>;
  cpu: Record<Column, Record<number, number>>;
  throughput: Record<Mode, Record<number, { eventsPerSecond: number; deliveriesPerSecond: number; tried: Array<{ rate: number; ok: boolean }> }>>;
  memory: Record<Mode, { oneTab: number; perExtraTab: number; workerHeap?: number }>;
  recovery: Record<Mode, { ms: number; signalledMs: number; handshakes: number; refetches: number }>;
  /** Absent from results of runs before it was measured (and from short runs without BENCH_STORM=1). */
  storm?: Record<Mode, Storm>;
  log: {
    /** The log alone, persistent profile (median of rounds). */
    persistedPerSecond: number;
    /** The bare IndexedDB writer, same page, same events, alternating with the log round by round. */
    bareIdbPerSecond: number;
    logRounds: number[];
    bareIdbRounds: number[];
    endToEndPerSecond: number;
    p99LogOn: number;
    p99LogOff: number;
    p50LogOn: number;
    p50LogOff: number;
    /** Each round's p99, on and off, in the order run. */
    p99OnRounds: number[];
    p99OffRounds: number[];
  };
  sizes: Record<string, { gzip: number; brotli: number; minified: number }>;
  /** Server-Sent Events (bench/sse.ts); absent from results before it was measured. */
  sse?: SseResults;
  targets: { client: number; worker: number };
}

/** The list started at position `by` (mod its length) and wrapped around. */
const rotate = <T>(list: readonly T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length]!);

const medianOf = (values: Latency[]): Latency => ({
  p50: round(median(values.map((v) => v.p50))),
  p99: round(median(values.map((v) => v.p99))),
  lastTab: round(median(values.map((v) => v.lastTab))),
  lost: values.reduce((sum, v) => sum + v.lost, 0),
  duplicates: values.reduce((sum, v) => sum + v.duplicates, 0),
});

/** tabwire's fan-out counters (deliveries and batches, over all tabs), read through the first tab; undefined for the other clients. */
async function fanoutCounts(session: Session): Promise<{ deliveries: number; batches: number } | undefined> {
  if (session.mode !== 'tabwire') return undefined;
  return session.pages[0]!.evaluate(async () => {
    const stats = await (window as unknown as { broker: { stats(): Promise<{ deliveries: number; batches: number }> } }).broker.stats();
    return { deliveries: stats.deliveries, batches: stats.batches };
  });
}

/**
 * BENCH_ONLY=levers: a few minutes' side-by-side of builds of the demo, for trying a change (issue
 * 15, part 1). BENCH_VARIANTS=name=dir,name=dir names the builds (default: this build alone, as
 * `tabwire`); each is measured as tabwire with the SharedWorker, beside the bare relay and a socket
 * per tab, the columns taking turns in rotating order, BENCH_ROUNDS rounds (default 3), each round a
 * fresh context per column and tab count: latency (300 warm-up events, then 100 at 100 events/s) at
 * 1, 4 and 16 tabs (BENCH_TABS=1,4 for fewer), and CPU at 500 events/s (one 3 s window) at more than 1.
 * Prints every round and the medians; writes no results file and no report.
 */
async function levers(): Promise<void> {
  const variants = (process.env.BENCH_VARIANTS ?? 'tabwire=dist-demo').split(',').map((pair) => pair.split('=') as [string, string]);
  const leverRounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const mounts: Record<string, string> = { '/': variants[0]![1].split('@')[0]! };
  for (const [name, dir] of variants) mounts[`/${name}/`] = dir.split('@')[0]!;
  const table = new Map<string, Array<{ p50: number; p99: number; cpu?: number }>>();
  await withBench(async ({ browser, backend, web }) => {
    const columns: Array<{ name: string; mode: Column; site: string }> = [
      // `name=dir@relay`: a build measured as another client than tabwire (a variant of the bare relay, say).
      ...variants.map(([name, dir]) => ({ name, mode: (dir.split('@')[1] ?? 'tabwire') as Column, site: `${web.url}/${name}` })),
      { name: 'relay', mode: 'relay', site: web.url },
      { name: 'socket', mode: 'socket', site: web.url },
    ];
    for (const tabs of (process.env.BENCH_TABS ?? '1,4,16').split(',').map(Number)) {
      for (let r = 0; r < leverRounds; r++) {
        for (const column of rotate(columns, r)) {
          backend.reset();
          const session = await openSession(browser, column.site, backend, column.mode, tabs, { minDelayMs: 250, maxDelayMs: 1000 });
          await latencyRound(backend, session, 300, 300);
          for (const page of session.pages) await page.evaluate(() => window.bench.calibrate());
          const latency = await latencyRound(backend, session);
          const before = await fanoutCounts(session);
          const cpu = tabs === 1 ? undefined : await cpuAtSteadyRate(browser, backend);
          const after = await fanoutCounts(session);
          await session.context.close();
          const key = `${column.name} × ${tabs}`;
          table.set(key, [...(table.get(key) ?? []), { p50: latency.p50, p99: latency.p99, ...(cpu !== undefined ? { cpu } : {}) }]);
          // tabwire's own count of events per batch (per tab) during the CPU window: what the flush policy achieved.
          const perBatch = after && before && after.batches > before.batches ? ` ${round((after.deliveries - before.deliveries) / (after.batches - before.batches))} events per batch,` : '';
          console.log(`round ${r + 1} ${key}: p50 ${round(latency.p50)} ms, p99 ${round(latency.p99)} ms${cpu !== undefined ? `, CPU ${round(cpu, 3)} cores,${perBatch}` : ','} lost ${latency.lost}, duplicates ${latency.duplicates}`);
          await sleep(300);
        }
      }
    }
  }, mounts);
  console.log('\n| column × tabs | p50 ms (rounds) | p99 ms | CPU cores (rounds) | CPU vs relay |');
  console.log('|---|---|---|---|---|');
  for (const [key, samples] of table) {
    const tabs = key.split(' × ')[1];
    const cpus = samples.flatMap((s) => (s.cpu === undefined ? [] : [s.cpu]));
    const relay = table.get(`relay × ${tabs}`)!.flatMap((s) => (s.cpu === undefined ? [] : [s.cpu]));
    const p50s = samples.map((s) => round(s.p50));
    console.log(
      `| ${key} | ${round(median(p50s))} (${p50s.join(', ')}) | ${round(median(samples.map((s) => s.p99)))} | ${cpus.length ? `${round(median(cpus), 3)} (${cpus.map((c) => round(c, 3)).join(', ')})` : '—'} | ${cpus.length ? `${(median(cpus) / median(relay)).toFixed(2)}×` : '—'} |`,
    );
  }
}

/**
 * BENCH_ONLY=memory64: whether this machine holds 64 tabs (issue 15, part 5, asks before adding them to
 * the tables). The whole browser's proportional set size with 64 tabs of tabwire, then of a socket per tab,
 * each in one context, idle and then while 500 events/s arrive; and how long the 64 took to open.
 */
async function memory64(): Promise<void> {
  return withBench(async ({ browser, backend, web }) => {
    console.log(`browser alone: ${(pssBytes(browserRoot) / 2 ** 20).toFixed(0)} MiB`);
    // BENCH_MODES=leader,peer,relay checks the others open 64 tabs too (the full run measures them all).
    const which = (process.env.BENCH_MODES?.split(',') as Column[] | undefined) ?? ['tabwire', 'socket'];
    for (const mode of which) {
      const started = Date.now();
      const session = await openSession(browser, web.url, backend, mode, 64);
      const openedS = (Date.now() - started) / 1000;
      await sleep(1500);
      const idle = pssBytes(browserRoot);
      const cpu = await cpuAtSteadyRate(browser, backend);
      const busy = pssBytes(browserRoot);
      console.log(
        `${mode} × 64: opened in ${openedS.toFixed(0)} s; ${(idle / 2 ** 20).toFixed(0)} MiB idle, ${(busy / 2 ** 20).toFixed(0)} MiB after 500 events/s (${round(cpu, 3)} cores)`,
      );
      await session.context.close();
      await sleep(1000);
    }
  });
}

/**
 * Delivery latency at 4 tabs with the log on and off. On and off alternate round by round (in
 * alternating order) so that the machine's drift over the minute this takes falls on both alike.
 */
async function logOnOff(browser: Browser, site: string, backend: MockBackend, count: number): Promise<{ logOn: Latency[]; logOff: Latency[] }> {
  const logOn: Latency[] = [];
  const logOff: Latency[] = [];
  const variants = [
    [logOn, {}],
    [logOff, { log: { enabled: false } }],
  ] as const;
  for (let r = 0; r < count; r++) {
    for (const [target, options] of r % 2 === 0 ? variants : [...variants].reverse()) {
      const session = await openSession(browser, site, backend, 'tabwire', 4, options);
      await latencyRound(backend, session, 30);
      for (const page of session.pages) await page.evaluate(() => window.bench.calibrate());
      target.push(await latencyRound(backend, session, 200, 200));
      await session.context.close();
    }
  }
  return { logOn, logOff };
}

/** BENCH_ONLY=log: the log on/off rounds alone (BENCH_ROUNDS pairs, default 5); prints each round's p99 and the medians. */
async function logOnly(): Promise<void> {
  return withBench(async ({ browser, backend, web }) => {
    const { logOn, logOff } = await logOnOff(browser, web.url, backend, Number(process.env.BENCH_ROUNDS ?? 5));
    const p99 = (list: Latency[]) => list.map((l) => round(l.p99));
    console.log(`p99 on ${p99(logOn).join(', ')}; off ${p99(logOff).join(', ')}; medians ${medianOf(logOn).p99} / ${medianOf(logOff).p99} = ${(medianOf(logOn).p99 / medianOf(logOff).p99).toFixed(2)}x`);
  });
}

/** BENCH_ONLY=storm: the deploy storm alone, for each client of BENCH_MODES (all four by default); prints, writes nothing. */
async function stormOnly(): Promise<void> {
  return withBench(async ({ browser, backend, web }) => {
    for (const mode of runModes) console.log(mode, JSON.stringify(await deployStorm(browser, web.url, backend, mode)));
  });
}

/** What every part of a full run shares: the browser, the servers, and the run's log line. */
interface Bench {
  browser: Browser;
  backend: MockBackend;
  web: { url: string };
  executablePath: string;
  log: (line: string) => void;
}

/**
 * The mock backend, the pages (`mounts`: the demo build by default) and Chromium as a browser
 * server, so its process id is known for /proc; `run` gets them, and they stop after it.
 */
async function withBench<T>(run: (bench: Bench) => Promise<T>, mounts: Record<string, string> = { '/': 'dist-demo' }): Promise<T> {
  const executablePath = ensureChromium() as string;
  const backend = await startMockBackend();
  const web = await startStaticServer(mounts);
  const server = await chromium.launchServer({ executablePath, args: chromiumArgs, headless: true });
  browserRoot = server.process().pid!;
  const browser = await chromium.connect(server.wsEndpoint());
  const started = Date.now();
  const log = (line: string) => console.log(`[${Math.round((Date.now() - started) / 1000)} s] ${line}`);
  try {
    return await run({ browser, backend, web, executablePath, log });
  } finally {
    await browser.close();
    await server.close();
    await web.close();
    await backend.close();
  }
}

/**
 * Sockets and latency: the clients take turns round by round (in rotating order, a fresh browser
 * context each time), so the machine's drift and a lucky or unlucky session fall on all of them alike.
 */
async function measureLatency({ browser, backend, web, log }: Bench, results: Results): Promise<void> {
  for (const mode of latencyColumns) {
    results.sockets[mode] = {};
    results.latency[mode] = {};
  }
  for (const tabs of tabCounts) {
    const samples = new Map<Column, Latency[]>(latencyColumns.map((mode) => [mode, []]));
    for (let r = 0; r < rounds; r++) {
      for (const mode of rotate(latencyColumns, r)) {
        backend.reset();
        const session = await openSession(browser, web.url, backend, mode, tabs, { minDelayMs: 250, maxDelayMs: 1000 });
        const stats = backend.stats();
        const worst = results.sockets[mode][tabs];
        if (!worst || stats.openSockets > worst.sockets) results.sockets[mode][tabs] = { sockets: stats.openSockets, handshakes: stats.handshakes };
        // Warm up: a fresh context starts a fresh worker, and a broker that has just started runs
        // cold code (seen: p50 at 16 tabs 0.85x after 30 events, 0.78x after 300). Apps keep theirs for hours.
        await latencyRound(backend, session, 300, 300);
        // One tab at a time, while all are idle, so round trips are short and symmetric.
        for (const page of session.pages) await page.evaluate(() => window.bench.calibrate());
        samples.get(mode)!.push(await latencyRound(backend, session));
        await session.context.close();
        await sleep(300);
      }
    }
    for (const mode of latencyColumns) {
      const latency = (results.latency[mode][tabs] = medianOf(samples.get(mode)!));
      log(`${mode} × ${tabs}: ${results.sockets[mode][tabs]!.sockets} socket(s), latency p50 ${latency.p50} ms, p99 ${latency.p99} ms, last tab ${latency.lastTab} ms`);
    }
  }
}

/** CPU, throughput, recovery and memory: one client at a time. */
async function measureClients({ browser, backend, web, log }: Bench, results: Results): Promise<void> {
  for (const mode of runModes) {
    results.cpu[mode] = {};
    results.throughput[mode] = {};
    for (const tabs of cpuTabCounts) {
      backend.reset();
      const session = await openSession(browser, web.url, backend, mode, tabs, { minDelayMs: 250, maxDelayMs: 1000 });
      results.cpu[mode][tabs] = await cpuOf(browser, backend, session);
      log(`${mode} × ${tabs}: CPU at 500 events/s ${results.cpu[mode][tabs]} cores`);
      if (tabs === 16) {
        results.throughput[mode][tabs] = await throughput(backend, session);
        log(`${mode} × ${tabs}: zero-loss ${results.throughput[mode][tabs].eventsPerSecond} events/s = ${results.throughput[mode][tabs].deliveriesPerSecond} deliveries/s`);
        const recoveries = [];
        for (let r = 0; r < rounds; r++) recoveries.push(await recovery(backend, session));
        results.recovery[mode] = {
          ms: round(median(recoveries.map((r) => r.ms)), 0),
          signalledMs: round(median(recoveries.map((r) => r.signalledMs)), 0),
          handshakes: median(recoveries.map((r) => r.handshakes)),
          refetches: median(recoveries.map((r) => r.refetches)),
        };
        log(
          `${mode} × ${tabs}: every tab live with the missed events in ${results.recovery[mode].ms} ms (told: ${results.recovery[mode].signalledMs} ms), ${results.recovery[mode].handshakes} handshakes, ${results.recovery[mode].refetches} refetches`,
        );
      }
      await session.context.close();
      await sleep(500);
    }
    // Memory: the whole browser with 1 tab, then with 16, of this mode alone.
    const pid = browserPid(browser);
    const one = await openSession(browser, web.url, backend, mode, 1);
    await sleep(1500);
    const oneTab = pssBytes(pid);
    const heap = mode === 'tabwire' ? await workerHeap(browser) : undefined;
    await one.context.close();
    const sixteen = await openSession(browser, web.url, backend, mode, 16);
    await sleep(1500);
    const sixteenTabs = pssBytes(pid);
    await sixteen.context.close();
    results.memory[mode] = { oneTab, perExtraTab: Math.round((sixteenTabs - oneTab) / 15), ...(heap !== undefined ? { workerHeap: heap } : {}) };
    log(`${mode}: memory ${(oneTab / 2 ** 20).toFixed(0)} MiB with 1 tab, +${(results.memory[mode].perExtraTab / 2 ** 20).toFixed(1)} MiB per extra tab`);
  }
}

/** The bare relay's CPU, as the clients' above; and the deploy storm, where the run measures it. */
async function measureReferenceAndStorm({ browser, backend, web, log }: Bench, results: Results): Promise<void> {
  results.cpu.relay = {};
  for (const tabs of cpuTabCounts) {
    backend.reset();
    const session = await openSession(browser, web.url, backend, 'relay', tabs);
    results.cpu.relay[tabs] = await cpuOf(browser, backend, session);
    log(`bare relay × ${tabs}: CPU at 500 events/s ${results.cpu.relay[tabs]} cores`);
    await session.context.close();
    await sleep(500);
  }
  if (storm) {
    results.storm = {} as Record<Mode, Storm>;
    for (const mode of runModes) {
      results.storm[mode] = await deployStorm(browser, web.url, backend, mode);
      const s = results.storm[mode];
      log(`${mode}: deploy storm, ${s.upgrades} connection attempts and ${s.handshakes} handshakes in ${stormShape.windowMs / 1000} s; ${s.live} tabs live, all after ${s.allLiveMs} ms`);
    }
  }
}

/** The IndexedDB log: delivery latency with and without it, and how fast it persists. */
async function measureLog({ browser, backend, web, executablePath, log }: Bench, results: Results): Promise<void> {
  const { logOn, logOff } = await logOnOff(browser, web.url, backend, rounds + 2);
  const persisted = await persistenceRate(browser, web.url, backend);
  const storage = await storageRates(executablePath, web.url, backend);
  log(`log alone ${storage.log.map(Math.round).join(', ')} events/s; bare IndexedDB writer ${storage.bare.map(Math.round).join(', ')} events/s`);
  results.log = {
    persistedPerSecond: Math.round(median(storage.log)),
    bareIdbPerSecond: Math.round(median(storage.bare)),
    logRounds: storage.log.map(Math.round),
    bareIdbRounds: storage.bare.map(Math.round),
    p99OnRounds: logOn.map((l) => round(l.p99)),
    p99OffRounds: logOff.map((l) => round(l.p99)),
    endToEndPerSecond: Math.round(persisted),
    p50LogOn: medianOf(logOn).p50,
    p50LogOff: medianOf(logOff).p50,
    p99LogOn: medianOf(logOn).p99,
    p99LogOff: medianOf(logOff).p99,
  };
  log(
    `log: persists ${results.log.persistedPerSecond} events/s alone (bare IndexedDB ${results.log.bareIdbPerSecond}), ${results.log.endToEndPerSecond} events/s end to end; p99 ${results.log.p99LogOn} ms on, ${results.log.p99LogOff} ms off`,
  );
}

/** The SSE columns (bench/sse.ts) get this file's latency round (which does not read a session's mode) and CPU window. */
const sseRunner = ({ browser, backend }: Bench): SseRunner => ({
  rounds,
  cpuWindows: quick ? 1 : 2,
  latency: (context, pages, events, rate) => latencyRound(backend, { mode: 'tabwire', context, pages }, events, rate),
  cpuWindow: () => cpuAtSteadyRate(browser, backend),
});

/** BENCH_ONLY=sse: the SSE columns alone, put into the last results (with their own date) and the report written again. */
async function sseOnly(): Promise<void> {
  const last = JSON.parse(readFileSync('bench/results/bench-results.json', 'utf8')) as Results;
  last.sse = await withBench((bench) => measureSse(bench, sseRunner(bench)));
  writeFileSync('bench/results/bench-results.json', `${JSON.stringify(last, null, 2)}\n`);
  writeReport(last, Object.keys(last.latency.tabwire).map(Number));
}

/** When and where a run ran. */
const runEnvironment = () => ({ date: new Date().toISOString(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version });

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'levers') return levers();
  if (process.env.BENCH_ONLY === 'sse') return sseOnly();
  if (process.env.BENCH_ONLY === 'tail') {
    const warm = async (backend: MockBackend, session: TailSession) => void (await latencyRound(backend, session as Session, 300, 300));
    return tailOnly({ withBench, openSession, send, warm }, runEnvironment);
  }
  if (process.env.BENCH_ONLY === 'storm') return stormOnly();
  if (process.env.BENCH_ONLY === 'log') return logOnly();
  if (process.env.BENCH_ONLY === 'memory64') return memory64();
  // BENCH_REPORT_ONLY=1: write BENCHMARKS.md and the chart again from the last results (after editing notes.md).
  if (process.env.BENCH_REPORT_ONLY === '1') {
    const last = JSON.parse(readFileSync('bench/results/bench-results.json', 'utf8')) as Results;
    return writeReport(last, Object.keys(last.latency.tabwire).map(Number));
  }
  const results = { sockets: {}, latency: {}, cpu: {}, throughput: {}, memory: {}, recovery: {} } as Results;
  let chromiumVersion = '';
  let log: Bench['log'] = console.log;
  await withBench(async (bench) => {
    chromiumVersion = bench.browser.version();
    log = bench.log;
    await measureLatency(bench, results);
    await measureClients(bench, results);
    await measureReferenceAndStorm(bench, results);
    await measureLog(bench, results);
    results.sse = await measureSse(bench, sseRunner(bench));
  });
  results.sizes = bundleSizes();
  results.targets = targets;
  results.environment = { ...runEnvironment(), chromium: chromiumVersion, rounds, quick: quick ? 'yes' : 'no' };
  if (runModes.length < modes.length) return log('a subset of the clients ran: no report written');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/bench-results.json', `${JSON.stringify(results, null, 2)}\n`);
  writeReport(results, tabCounts);
  log('wrote bench/results/bench-results.json, bench/results/chart.svg and BENCHMARKS.md');
}

/**
 * The log alone and the bare IndexedDB writer, in one page of a persistent profile (on disk, as in a
 * user's browser; the other measurements' contexts keep IndexedDB in memory), the two alternating
 * round by round in alternating order so the machine's drift falls on both alike.
 */
async function storageRates(executablePath: string, site: string, backend: MockBackend): Promise<{ log: number[]; bare: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tabwire-bench-profile-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath, args: chromiumArgs, headless: true });
  try {
    const page = await context.newPage();
    await page.goto(`${site}/bench.html?${new URLSearchParams({ backend: backend.httpUrl, mode: 'socket' })}`);
    if (!(await poll(() => page.evaluate(() => window.bench?.ready === true), 30_000, 100))) throw new Error('storage page did not start');
    const total = quick ? 5000 : 20_000;
    const log = () => page.evaluate((n) => window.bench.logRate(n), total);
    const bare = () => page.evaluate((n) => window.bench.bareIdbRate(n), total);
    // Warm up both paths (code, and the profile's database files) before anything is timed.
    await page.evaluate(() => window.bench.logRate(1000));
    await page.evaluate(() => window.bench.bareIdbRate(1000));
    const rates = { log: [] as number[], bare: [] as number[] };
    for (let r = 0; r < rounds + 2; r++) {
      const order = r % 2 === 0 ? (['log', 'bare'] as const) : (['bare', 'log'] as const);
      for (const which of order) rates[which].push(await (which === 'log' ? log() : bare()));
    }
    return rates;
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** End to end: 20,000 events burst through the socket into the worker, until its log counted them all stored. */
async function persistenceRate(browser: Browser, site: string, backend: MockBackend): Promise<number> {
  const total = quick ? 5000 : 20_000;
  const session = await openSession(browser, site, backend, 'tabwire', 1, { log: { maxEvents: total } });
  const page = session.pages[0]!;
  const written = () => page.evaluate(async () => ((await (window as unknown as { broker: { stats(): Promise<{ log: { written: number } }> } }).broker.stats()).log.written));
  const before = await written();
  const start = hrNow();
  for (let seq = 0; seq < total; ) {
    for (let i = 0; i < 500 && seq < total; i++) send(backend, seq++);
    await sleep(0);
  }
  await poll(async () => (await written()) - before >= total, 60_000, 20);
  const elapsed = (hrNow() - start) / 1000;
  await session.context.close();
  return total / elapsed;
}

await main();
