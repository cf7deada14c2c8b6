/**
 * BENCH_ONLY=tail (issue 26): the latency tail, taken apart, and a slow tab's effect on the others.
 *
 * Latency columns (BENCH_VARIANTS as for `levers`, else tabwire; BENCH_COLUMNS adds socket, leader,
 * peer; the bare relay always) take turns round by round in fresh contexts at BENCH_TABS (default
 * 4,16), BENCH_ROUNDS rounds (default 3): 300 warm-up events, then 200 at 100 events/s. Each
 * delivery's latency is split into the event's first tab (the shared path: server, worker, the first
 * post) and its spread (how much later this tab had it than the first). With BENCH_TRACE=1 each
 * measured round is traced in Chromium (GC, tasks per thread) and summarised beside it.
 *
 * The slow tab (BENCH_SLOW_TABS, default 4): one tab's main thread busy 200 ms in every second;
 * the other tabs' p99 with it and without it, the two alternating round by round.
 *
 * Writes bench/results/tail-results.json (BENCH_TAIL_OUT to write elsewhere).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright';
import type { MockBackend } from '../demo/server/mock-backend.ts';
import type { Column } from './run.ts';
import { median, percentile, round } from './stats.ts';
import { type LateDelivery, type TailAttribution, type TraceSummary, attributeTail, summariseTrace, traceCategories } from './trace.ts';

export interface TailSession {
  context: BrowserContext;
  pages: Page[];
}

/** What the tail run borrows from run.ts (passed in: run.ts runs itself when imported). */
export interface TailDeps {
  withBench(run: (bench: { browser: Browser; backend: MockBackend; web: { url: string }; log: (line: string) => void }) => Promise<void>, mounts?: Record<string, string>): Promise<void>;
  openSession(browser: Browser, site: string, backend: MockBackend, mode: Column, tabs: number, options?: Record<string, unknown>): Promise<TailSession>;
  send(backend: MockBackend, seq: number): number;
  /** 300 events at 300/s: a fresh worker runs cold code. */
  warm(backend: MockBackend, session: TailSession): Promise<void>;
}

/** One round's figures, in ms. */
export interface TailRound {
  p50: number;
  p99: number;
  /** p99 over events of the first tab to have it. */
  firstTabP99: number;
  /** p99 over deliveries of how much later than the event's first tab this tab had it. */
  spreadP99: number;
  lastTab: number;
  lost: number;
  trace?: TraceSummary;
  /** What the deliveries past the p99 overlapped on the trace. */
  attribution?: TailAttribution;
}

export interface TailResults {
  environment: Record<string, string | number>;
  /** column → tabs → rounds. */
  latency: Record<string, Record<number, TailRound[]>>;
  /** tabs → the other tabs' rounds without and with one busy tab, for each column measured. */
  slowTab: Record<string, Record<number, { without: TailRound[]; with: TailRound[] }>>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hrNow = () => performance.timeOrigin + performance.now();

/** `events` events at `rate`/s; every tab's arrival of each (0: never), and when each was sent. */
async function rawRound(deps: TailDeps, backend: MockBackend, pages: Page[], events: number, rate: number): Promise<{ sent: number[]; arrivals: number[][] }> {
  await Promise.all(pages.map((page) => page.evaluate(() => window.bench.reset())));
  const sent: number[] = [];
  const start = hrNow();
  for (let seq = 0; seq < events; seq++) {
    const wait = start + (seq * 1000) / rate - hrNow();
    if (wait > 0) await sleep(wait);
    sent[seq] = deps.send(backend, seq);
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const counts = await Promise.all(pages.map((page) => page.evaluate(() => window.bench.count())));
    if (counts.every((n) => n >= events)) break;
    await sleep(25);
  }
  const arrivals = await Promise.all(pages.map((page) => page.evaluate((n) => window.bench.arrivals(0, n), events)));
  return { sent, arrivals };
}

/** The figures of one round over the tabs numbered in `measured`. */
export function analyse(sent: number[], arrivals: number[][], measured: number[]): TailRound {
  const deliveries: number[] = [];
  const first: number[] = [];
  const spread: number[] = [];
  const last: number[] = [];
  let lost = 0;
  for (let seq = 0; seq < sent.length; seq++) {
    const latencies = measured.flatMap((tab) => (arrivals[tab]![seq] ? [arrivals[tab]![seq]! - sent[seq]!] : []));
    lost += measured.length - latencies.length;
    if (latencies.length === 0) continue;
    const earliest = Math.min(...latencies);
    deliveries.push(...latencies);
    first.push(earliest);
    last.push(Math.max(...latencies));
    for (const latency of latencies) spread.push(latency - earliest);
  }
  return {
    p50: round(percentile(deliveries, 50)),
    p99: round(percentile(deliveries, 99)),
    firstTabP99: round(percentile(first, 99)),
    spreadP99: round(percentile(spread, 99)),
    lastTab: round(median(last)),
    lost,
  };
}

const rotate = <T>(list: readonly T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length]!);
const numbers = (text: string) => text.split(',').map(Number);

/** The medians of a list of rounds, for printing. */
export function medianRound(rounds: TailRound[]): Omit<TailRound, 'trace' | 'attribution'> {
  const of = (key: 'p50' | 'p99' | 'firstTabP99' | 'spreadP99' | 'lastTab') => round(median(rounds.map((r) => r[key])));
  return { p50: of('p50'), p99: of('p99'), firstTabP99: of('firstTabP99'), spreadP99: of('spreadP99'), lastTab: of('lastTab'), lost: rounds.reduce((sum, r) => sum + r.lost, 0) };
}

/**
 * A measured round, traced when BENCH_TRACE=1: each tab marks the trace with its server clock
 * (`offsets`: from its calibration), so every delivery past the p99 is placed on the trace and
 * what overlapped it counted.
 */
async function measuredRound(deps: TailDeps, browser: Browser, backend: MockBackend, session: TailSession, offsets: number[], events: number): Promise<TailRound> {
  const trace = process.env.BENCH_TRACE === '1';
  if (trace) {
    await browser.startTracing(undefined, { categories: traceCategories });
    for (const [tab, page] of session.pages.entries()) {
      await page.evaluate(([i, offset]) => console.timeStamp(`tail-align ${i} ${performance.timeOrigin + performance.now() + offset!}`), [tab, offsets[tab]]);
    }
  }
  const { sent, arrivals } = await rawRound(deps, backend, session.pages, events, 100);
  const measured = analyse(sent, arrivals, [...session.pages.keys()]);
  if (trace) {
    const events = JSON.parse((await browser.stopTracing()).toString('utf8')) as Parameters<typeof attributeTail>[0];
    measured.trace = summariseTrace(events);
    measured.attribution = attributeTail(events, lateDeliveries(sent, arrivals, measured.p99));
  }
  return measured;
}

/** The deliveries at or past `p99`, for placing on a trace. */
function lateDeliveries(sent: number[], arrivals: number[][], p99: number): LateDelivery[] {
  const late: LateDelivery[] = [];
  for (const [tab, times] of arrivals.entries()) {
    for (const [seq, at] of times.entries()) if (at && at - sent[seq]! >= p99) late.push({ tab, sentMs: sent[seq]!, arrivedMs: at });
  }
  return late;
}

interface Column_ {
  name: string;
  mode: Column;
  site: string;
}

function columnsOf(url: string): { columns: Column_[]; mounts: Record<string, string> } {
  const variants = (process.env.BENCH_VARIANTS ?? 'tabwire=dist-demo').split(',').map((pair) => pair.split('=') as [string, string]);
  const mounts: Record<string, string> = { '/': variants[0]![1] };
  for (const [name, dir] of variants) mounts[`/${name}/`] = dir;
  const extra = (process.env.BENCH_COLUMNS?.split(',').filter(Boolean) ?? []) as Column[];
  return {
    columns: [
      ...variants.map(([name]) => ({ name, mode: 'tabwire' as Column, site: `${url}/${name}` })),
      ...extra.map((mode) => ({ name: mode, mode, site: url })),
      { name: 'relay', mode: 'relay', site: url },
    ],
    mounts,
  };
}

async function tailRounds(deps: TailDeps, bench: { browser: Browser; backend: MockBackend; log: (line: string) => void }, columns: Column_[], results: TailResults): Promise<void> {
  const { browser, backend, log } = bench;
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  for (const tabs of numbers(process.env.BENCH_TABS ?? '4,16')) {
    for (let r = 0; r < rounds; r++) {
      for (const column of rotate(columns, r)) {
        backend.reset();
        const session = await deps.openSession(browser, column.site, backend, column.mode, tabs, { minDelayMs: 250, maxDelayMs: 1000 });
        await deps.warm(backend, session);
        const offsets: number[] = [];
        for (const page of session.pages) offsets.push(await page.evaluate(() => window.bench.calibrate()));
        const measured = await measuredRound(deps, browser, backend, session, offsets, 200);
        await session.context.close();
        const byTabs = (results.latency[column.name] ??= {});
        (byTabs[tabs] ??= []).push(measured);
        log(`${column.name} × ${tabs}, round ${r + 1}: ${JSON.stringify(measured)}`);
        await sleep(300);
      }
    }
  }
}

/** One session of `tabs`, tab 0 busy 200 ms a second or not; the other tabs' figures. */
async function slowTabRound(deps: TailDeps, browser: Browser, backend: MockBackend, column: Column_, tabs: number, busy: boolean): Promise<TailRound> {
  backend.reset();
  const session = await deps.openSession(browser, column.site, backend, column.mode, tabs, { minDelayMs: 250, maxDelayMs: 1000 });
  try {
    await deps.warm(backend, session);
    for (const page of session.pages) await page.evaluate(() => window.bench.calibrate());
    if (busy) await session.pages[0]!.evaluate(() => window.bench.busy(200, 1000));
    await sleep(busy ? 500 : 0);
    // 400 events at 100/s: four busy periods of the slow tab.
    const { sent, arrivals } = await rawRound(deps, backend, session.pages, 400, 100);
    return analyse(sent, arrivals, [...session.pages.keys()].slice(1));
  } finally {
    await session.context.close();
  }
}

async function slowTabs(deps: TailDeps, bench: { browser: Browser; backend: MockBackend; log: (line: string) => void }, columns: Column_[], results: TailResults): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  for (const tabs of numbers(process.env.BENCH_SLOW_TABS ?? '4')) {
    for (let r = 0; r < rounds; r++) {
      for (const column of rotate(columns, r)) {
        const entry = ((results.slowTab[column.name] ??= {})[tabs] ??= { without: [], with: [] });
        for (const busy of r % 2 === 0 ? [false, true] : [true, false]) {
          const measured = await slowTabRound(deps, bench.browser, bench.backend, column, tabs, busy);
          (busy ? entry.with : entry.without).push(measured);
          bench.log(`${column.name} × ${tabs}, ${busy ? 'one tab busy' : 'no busy tab'}, round ${r + 1}: ${JSON.stringify(measured)}`);
          await sleep(300);
        }
      }
    }
  }
}

function printMedians(results: TailResults): void {
  for (const [name, byTabs] of Object.entries(results.latency)) {
    for (const [tabs, rounds] of Object.entries(byTabs)) console.log(`${name} × ${tabs}: ${JSON.stringify(medianRound(rounds))}`);
  }
  for (const [name, byTabs] of Object.entries(results.slowTab)) {
    for (const [tabs, { without, with: busy }] of Object.entries(byTabs)) {
      const a = medianRound(without);
      const b = medianRound(busy);
      console.log(`${name} × ${tabs}, the other tabs' p99: ${a.p99} ms without a busy tab, ${b.p99} ms with one (${(b.p99 / a.p99).toFixed(2)}×)`);
    }
  }
}

/** BENCH_TAIL_PARTS=latency,slow (default both). */
export async function tailOnly(deps: TailDeps, environment: () => Record<string, string | number>): Promise<void> {
  const parts = (process.env.BENCH_TAIL_PARTS ?? 'latency,slow').split(',');
  const results: TailResults = { environment: {}, latency: {}, slowTab: {} };
  let layout: ReturnType<typeof columnsOf> | undefined;
  const mounts = columnsOf('').mounts;
  await deps.withBench(async (bench) => {
    layout = columnsOf(bench.web.url);
    if (parts.includes('latency')) await tailRounds(deps, bench, layout.columns, results);
    // The slow tab: tabwire as built, against the bare relay.
    if (parts.includes('slow')) await slowTabs(deps, bench, [layout.columns[0]!, layout.columns.at(-1)!], results);
    results.environment = { ...environment(), chromium: bench.browser.version(), command: commandLine() };
  }, mounts);
  printMedians(results);
  const out = process.env.BENCH_TAIL_OUT ?? 'bench/results/tail-results.json';
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

/** The switches this run was started with, so the results file says how to make it again. */
function commandLine(): string {
  const env = Object.entries(process.env)
    .filter(([key]) => key.startsWith('BENCH_'))
    .map(([key, value]) => `${key}=${value}`)
    .sort();
  return `${env.join(' ')} node node_modules/tsx/dist/cli.mjs bench/run.ts`;
}
