/**
 * Server-Sent Events in the bench: tabwire over SSE (one `EventSource` in the SharedWorker) beside an
 * `EventSource` per tab, with tabwire over WebSocket measured in the same rounds for reference, at 4
 * and 16 tabs: streams (connections) at the server, tabs that got a stream, latency p50/p99 and until
 * the last tab, CPU of the browser at 500 events/s. Both SSE clients read the mock's stream with the
 * token in the `access_token` parameter, so they differ only in how many streams they hold.
 *
 * Chromium opens at most six HTTP/1.1 connections per host (per browser context): with an
 * `EventSource` per tab, the seventh tab's stream — and every other request it makes to the backend,
 * its clock calibration first — waits for one of the six to close, which never happens. Such tabs
 * are counted, not hidden: latency and CPU of that column are over the tabs that have a stream.
 * run.ts lends its latency round and CPU window (`SseRunner`), so every column is measured alike.
 */
import type { Browser, BrowserContext, Page } from 'playwright';
import type { MockBackend } from '../demo/server/mock-backend.ts';
import type { SseStats } from '../demo/server/sse.ts';
import type { Results } from './run.ts';
import { median, round } from './stats.ts';

export type SseColumn = 'sse' | 'eventsource' | 'websocket';
const columns: SseColumn[] = ['sse', 'eventsource', 'websocket'];
const label: Record<SseColumn, string> = {
  sse: 'tabwire over SSE (SharedWorker)',
  eventsource: 'EventSource per tab',
  websocket: 'tabwire over WebSocket (reference)',
};
const tabCounts = [4, 16];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the bench's latency rounds report (run.ts's `Latency`). */
interface Latency {
  p50: number;
  p99: number;
  lastTab: number;
  lost: number;
  duplicates: number;
}

/** run.ts's latency round over the given tabs of one browser context, and its CPU window (cores at 500 events/s). */
export interface SseRunner {
  rounds: number;
  /** CPU windows per measurement (their median is taken). */
  cpuWindows: number;
  latency(context: BrowserContext, pages: Page[], events?: number, ratePerSecond?: number): Promise<Latency>;
  cpuWindow(): Promise<number>;
}

export interface SseRow {
  /** The most streams (SSE) or sockets (WebSocket) the server held at once after the tabs opened, over rounds. */
  streams: number;
  /** The fewest tabs that got their stream and started, over rounds. */
  live: number;
  latency: Latency;
  /** Cores of the whole browser at 500 events/s (the tabs without a stream idle meanwhile). */
  cpu: number;
}

export interface SseResults {
  /** When this part ran: `BENCH_ONLY=sse` runs it alone, into the last results. */
  date: string;
  rounds: number;
  rows: Record<number, Record<SseColumn, SseRow>>;
}

interface SseBench {
  browser: Browser;
  backend: MockBackend;
  web: { url: string };
  log: (line: string) => void;
}

interface Session {
  context: BrowserContext;
  /** The tabs that got a stream and started. */
  live: Page[];
  streams: number;
}

async function sseStats(backend: MockBackend): Promise<SseStats> {
  return (await (await fetch(`${backend.httpUrl}/__control/sse/stats`, { method: 'POST' })).json()) as SseStats;
}

/** The bench page's URL for a column: tabwire with the SSE transport in its options, or the per-tab client. */
function pageUrl(site: string, backend: MockBackend, column: SseColumn): string {
  const delays = { minDelayMs: 250, maxDelayMs: 1000 };
  const options =
    column === 'sse' ? { ...delays, url: `${backend.httpUrl}/sse`, transport: { type: 'sse', auth: { queryParam: 'access_token' } } } : delays;
  const mode = column === 'eventsource' ? 'eventsource' : 'tabwire';
  return `${site}/bench.html?${new URLSearchParams({ backend: backend.httpUrl, mode, options: JSON.stringify(options) })}`;
}

const readiness = (pages: Page[]) => Promise.all(pages.map((page) => page.evaluate(() => window.bench?.ready === true)));

/** Tabs opened one after the other; then waits until all started or none more did for 5 s (30 s at most). */
async function openSession(bench: SseBench, column: SseColumn, tabs: number): Promise<Session> {
  const context = await bench.browser.newContext();
  const pages: Page[] = [];
  for (let i = 0; i < tabs; i++) {
    const page = await context.newPage();
    await page.goto(pageUrl(bench.web.url, bench.backend, column));
    pages.push(page);
  }
  const deadline = Date.now() + 30_000;
  let ready = await readiness(pages);
  let lastProgress = Date.now();
  while (!ready.every(Boolean) && Date.now() < deadline && Date.now() - lastProgress < 5000) {
    await sleep(100);
    const next = await readiness(pages);
    if (next.filter(Boolean).length > ready.filter(Boolean).length) lastProgress = Date.now();
    ready = next;
  }
  await sleep(300);
  const streams = column === 'websocket' ? bench.backend.stats().openSockets : (await sseStats(bench.backend)).open;
  return { context, live: pages.filter((_, i) => ready[i]), streams };
}

/** After a context closes, until the server let go of its streams (so the next session's count is its own). */
async function closeSession(bench: SseBench, session: Session): Promise<void> {
  await session.context.close();
  const deadline = Date.now() + 5000;
  while ((await sseStats(bench.backend)).open > 0 && Date.now() < deadline) await sleep(50);
  await sleep(300);
}

/** Per-host HTTP/1.1 connections Chromium opens in one browser context. */
const connectionsPerHost = 6;

/**
 * The live tabs' clocks measured again against the server's, while idle. Not where six streams hold
 * every connection to the host: no request gets through, and the offset each tab measured as it
 * started (before its stream opened) stands.
 */
async function calibrate(session: Session): Promise<void> {
  if (session.streams >= connectionsPerHost) return;
  for (const page of session.live) {
    const answered = await Promise.race([page.evaluate(() => window.bench.calibrate()).then(() => true), sleep(15_000).then(() => false)]);
    if (!answered) throw new Error('a tab could not reach the server to measure its clock');
  }
}

/** One round of one column: warm-up, clocks calibrated on the live tabs, 100 events at 100 events/s. */
async function latencyRound(bench: SseBench, runner: SseRunner, column: SseColumn, tabs: number) {
  bench.backend.reset();
  const session = await openSession(bench, column, tabs);
  try {
    await runner.latency(session.context, session.live, 300, 300);
    await calibrate(session);
    const latency = await runner.latency(session.context, session.live);
    return { latency, streams: session.streams, live: session.live.length };
  } finally {
    await closeSession(bench, session);
  }
}

async function cpuOf(bench: SseBench, runner: SseRunner, column: SseColumn, tabs: number): Promise<number> {
  bench.backend.reset();
  const session = await openSession(bench, column, tabs);
  try {
    await runner.latency(session.context, session.live, 30); // warm up
    const windows: number[] = [];
    for (let i = 0; i < runner.cpuWindows; i++) windows.push(await runner.cpuWindow());
    return median(windows);
  } finally {
    await closeSession(bench, session);
  }
}

const medianLatency = (values: Latency[]): Latency => ({
  p50: round(median(values.map((v) => v.p50))),
  p99: round(median(values.map((v) => v.p99))),
  lastTab: round(median(values.map((v) => v.lastTab))),
  lost: values.reduce((sum, v) => sum + v.lost, 0),
  duplicates: values.reduce((sum, v) => sum + v.duplicates, 0),
});

/** Every column at one tab count: latency rounds taking turns in rotating order, then CPU one column at a time. */
async function measureAt(bench: SseBench, runner: SseRunner, tabs: number): Promise<Record<SseColumn, SseRow>> {
  const samples = new Map(columns.map((column) => [column, [] as Array<Awaited<ReturnType<typeof latencyRound>>>]));
  for (let r = 0; r < runner.rounds; r++) {
    for (const column of columns.map((_, i) => columns[(i + r) % columns.length]!)) samples.get(column)!.push(await latencyRound(bench, runner, column, tabs));
  }
  const rows = {} as Record<SseColumn, SseRow>;
  for (const column of columns) {
    const rounds = samples.get(column)!;
    const cpu = round(await cpuOf(bench, runner, column, tabs), 3);
    const row = (rows[column] = {
      streams: Math.max(...rounds.map((s) => s.streams)),
      live: Math.min(...rounds.map((s) => s.live)),
      latency: medianLatency(rounds.map((s) => s.latency)),
      cpu,
    });
    bench.log(
      `${column} × ${tabs}: ${row.streams} stream(s) at the server, ${row.live} of ${tabs} tabs live, p50 ${row.latency.p50} ms, p99 ${row.latency.p99} ms, last tab ${row.latency.lastTab} ms, CPU ${cpu} cores`,
    );
  }
  return rows;
}

export async function measureSse(bench: SseBench, runner: SseRunner): Promise<SseResults> {
  const rows: SseResults['rows'] = {};
  for (const tabs of tabCounts) rows[tabs] = await measureAt(bench, runner, tabs);
  return { date: new Date().toISOString(), rounds: runner.rounds, rows };
}

/** A figure, or '—' for none (NaN is null once in JSON). */
const ms = (value: number | null) => (typeof value === 'number' && Number.isFinite(value) ? `${value.toFixed(2)} ms` : '—');

/** BENCHMARKS.md's section, or a line saying the results hold no SSE run. */
export function sseSection(r: Results): string[] {
  const head = [
    '## Server-Sent Events',
    '',
    'tabwire over SSE (one `EventSource` in the SharedWorker) against an `EventSource` per tab, on the mock\'s stream',
    'over HTTP/1.1, where Chromium opens at most six connections per host: a seventh tab\'s stream, and every other',
    'request it makes to the backend, waits and never starts. "live": the tabs that got a stream (the fewest over',
    'rounds); latency and CPU are over those only (where six streams hold every connection, the live tabs keep the clock',
    'offset they measured as they started). tabwire over WebSocket is measured in the same rounds, for reference.',
    '',
  ];
  const sse = r.sse;
  if (!sse) return [...head, 'Not measured in these results (`BENCH_ONLY=sse npx tsx bench/run.ts` adds it).'];
  return [
    ...head,
    `Run: ${sse.date}, ${sse.rounds} rounds per measurement${sse.date === r.environment.date ? '' : ' (`BENCH_ONLY=sse`, apart from the run above)'}.`,
    '',
    '| tabs | client | streams at the server | live tabs | p50 | p99 | last tab | CPU (cores) | lost | duplicates |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...Object.entries(sse.rows).flatMap(([tabs, row]) =>
      columns.map((c) => {
        const x = row[c];
        return `| ${tabs} | ${label[c]} | ${x.streams} | ${x.live} of ${tabs} | ${ms(x.latency.p50)} | ${ms(x.latency.p99)} | ${ms(x.latency.lastTab)} | ${x.cpu} | ${x.latency.lost} | ${x.latency.duplicates} |`;
      }),
    ),
  ];
}

/** `{{sseLive16_eventsource}}`, `{{sseStreams16_sse}}`, `{{sseP50_4_sse}}`, `{{sseCpu16_eventsource}}`, …, or "not measured". */
export function sseFigures(r: Results): Record<string, string> {
  const out: Record<string, string> = { sseDate: r.sse ? r.sse.date.slice(0, 10) : 'not measured' };
  for (const tabs of tabCounts) {
    for (const c of columns) {
      const x = r.sse?.rows[tabs]?.[c];
      out[`sseStreams${tabs}_${c}`] = x ? String(x.streams) : 'not measured';
      out[`sseLive${tabs}_${c}`] = x ? String(x.live) : 'not measured';
      out[`sseP50_${tabs}_${c}`] = x ? ms(x.latency.p50) : 'not measured';
      out[`sseP99_${tabs}_${c}`] = x ? ms(x.latency.p99) : 'not measured';
      out[`sseLastTab${tabs}_${c}`] = x ? ms(x.latency.lastTab) : 'not measured';
      out[`sseCpu${tabs}_${c}`] = x ? String(x.cpu) : 'not measured';
    }
  }
  return out;
}
