/**
 * BENCHMARKS.md and the chart from a run's results: every table with ratios
 * against a socket per tab, and each target of issue 15 marked met or missed.
 * The notes (bench/notes.md) are appended with every `{{name}}` filled
 * from this run's results (see `figures`), so they cannot contradict the
 * tables; a figure of an earlier run is written there with its date.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Column, Mode, Results } from './run.ts';
import { sseFigures, sseSection } from './sse.ts';
import { stormShape } from './storm.ts';
import { tailFigures, tailTargetSection } from './report-tail.ts';
// @ts-expect-error plain ESM helpers without types
import { budgets } from '../scripts/sizes.mjs';

const label: Record<Column, string> = {
  tabwire: 'tabwire (SharedWorker)',
  socket: 'socket per tab',
  leader: 'tabwire (leader tab)',
  peer: 'broadcast-channel peer',
  relay: 'bare relay (reference)',
};
const colour: Record<Column, string> = { tabwire: '#2f6fdb', socket: '#d9822b', leader: '#4a9d5b', peer: '#8e5bb5', relay: '#888888' };
const modes: Mode[] = ['tabwire', 'socket', 'leader', 'peer'];
/** The tab counts the run measured CPU at (4 and 16; 64 too in full runs since issue 15's part 5). */
const cpuTabs = (r: Results): number[] => Object.keys(r.cpu.tabwire ?? {}).map(Number).sort((a, b) => a - b);

/** The deploy storm's table, or a line saying the run did not measure it. */
function stormSection(r: Results): string[] {
  const { browsers, tabsEach, downMs, windowMs } = stormShape;
  const head = [
    '## Deploy storm',
    '',
    `The server restarts under ${browsers} browsers (contexts) × ${tabsEach} tabs: it drops every socket and refuses upgrades for`,
    `${downMs / 1000} s, then accepts again. Every client keeps its default backoff (1 s doubling to 30 s, random within).`,
    `Counted by the server in the ${windowMs / 1000} s from the drop: WebSocket upgrade requests (every connection attempt`,
    'that reached it, refused or accepted) and completed handshakes (auth.success).',
    '',
  ];
  if (!r.storm) return [...head, 'Not measured in this run (short runs skip it unless `BENCH_STORM=1`).'];
  const all = browsers * tabsEach;
  return [
    ...head,
    '| client | connection attempts | handshakes | tabs live at the end | all live after accepting |',
    '|---|---|---|---|---|',
    ...modes.map((m) => {
      const x = r.storm?.[m];
      return `| ${label[m]} | ${x?.upgrades ?? 'not measured'} | ${x?.handshakes ?? '—'} | ${x ? `${x.live} of ${all}` : '—'} | ${x ? (x.allLiveMs === null || Number.isNaN(x.allLiveMs) ? 'not all' : `${x.allLiveMs} ms`) : '—'} |`;
    }),
  ];
}

/** The clients, then the bare relay where the run measured it (latency and CPU only). */
const withReference = (r: Results): Column[] => (r.latency.relay ? [...modes, 'relay'] : modes);

const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '—' : `${value.toFixed(2)} ms`);
const ratio = (value: number | undefined, baseline: number | undefined) =>
  value === undefined || baseline === undefined || !baseline ? '—' : `${(value / baseline).toFixed(2)}×`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} kB`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const verdict = (ok: boolean) => (ok ? '**met**' : '**missed**');
const perSecond = (value: number | undefined) => (value === undefined ? '—' : Math.round(value).toLocaleString('en'));
/** The log alone as a share of the bare IndexedDB writer; undefined for results from before the writer was measured. */
const logVsBare = (r: Results): number | undefined => (r.log.bareIdbPerSecond ? r.log.persistedPerSecond / r.log.bareIdbPerSecond : undefined);
const times = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(2)}×`);

/**
 * Every figure the notes may quote, by name, from this run's results: a note
 * writes `{{logVsBare}}`, never the number. Ratios are tabwire (SharedWorker)
 * against the named client.
 */
function figures(r: Results): Record<string, string> {
  const lat = (m: Mode, t: number) => r.latency[m]?.[t];
  const env = r.environment;
  return {
    date: String(env.date).slice(0, 10),
    quick: env.quick === 'yes' ? 'a short run (`BENCH_QUICK=1`)' : 'a full run',
    rounds: String(env.rounds),
    logRounds: String(r.log.logRounds?.length ?? '—'),
    p99Rounds: String(r.log.p99OnRounds?.length ?? '—'),
    cpuWindows: env.quick === 'yes' ? '1 window of 3 s' : '2 windows of 5 s',
    p50At1: ms(lat('tabwire', 1)?.p50),
    p50At1Socket: ms(lat('socket', 1)?.p50),
    p50Ratio4: times(lat('tabwire', 4)!.p50 / lat('socket', 4)!.p50),
    p50Ratio16: times(lat('tabwire', 16)!.p50 / lat('socket', 16)!.p50),
    lastRatio16: times(lat('tabwire', 16)!.lastTab / lat('socket', 16)!.lastTab),
    cpuRatio4: times(r.cpu.tabwire[4]! / r.cpu.socket[4]!),
    cpuRatio16: times(r.cpu.tabwire[16]! / r.cpu.socket[16]!),
    leaderCpuRatio16: times(r.cpu.leader?.[16]! / r.cpu.socket[16]!),
    peerCpuRatio16: times(r.cpu.peer?.[16]! / r.cpu.socket[16]!),
    zeroLoss16: perSecond(r.throughput.tabwire[16]?.deliveriesPerSecond),
    peerZeroLoss16: perSecond(r.throughput.peer?.[16]?.deliveriesPerSecond),
    socketZeroLoss16: perSecond(r.throughput.socket[16]?.deliveriesPerSecond),
    recoveryRatio: times(r.recovery.tabwire!.ms / r.recovery.socket!.ms),
    perExtraTab: `${mib(Math.min(...modes.map((m) => r.memory[m]?.perExtraTab ?? Infinity)))}–${mib(Math.max(...modes.map((m) => r.memory[m]?.perExtraTab ?? 0)))}`,
    workerHeap: r.memory.tabwire?.workerHeap ? mib(r.memory.tabwire.workerHeap) : '—',
    logAlone: perSecond(r.log.persistedPerSecond),
    bareIdb: perSecond(r.log.bareIdbPerSecond),
    logVsBare: times(logVsBare(r)),
    logRoundsList: r.log.logRounds?.map(perSecond).join(', ') ?? '—',
    bareRoundsList: r.log.bareIdbRounds?.map(perSecond).join(', ') ?? '—',
    endToEnd: perSecond(r.log.endToEndPerSecond),
    p99On: ms(r.log.p99LogOn),
    p99Off: ms(r.log.p99LogOff),
    p99Ratio: times(r.log.p99LogOn / r.log.p99LogOff),
    p99OnRoundsList: r.log.p99OnRounds?.map((v) => v.toFixed(2)).join(', ') ?? '—',
    p99OffRoundsList: r.log.p99OffRounds?.map((v) => v.toFixed(2)).join(', ') ?? '—',
    relayP50At1: ms(r.latency.relay?.[1]?.p50),
    cpuVsRelay4: times(r.cpu.relay?.[4] ? r.cpu.tabwire[4]! / r.cpu.relay[4] : undefined),
    cpuVsRelay16: times(r.cpu.relay?.[16] ? r.cpu.tabwire[16]! / r.cpu.relay[16] : undefined),
    relayCpu4: String(r.cpu.relay?.[4] ?? '—'),
    relayCpu16: String(r.cpu.relay?.[16] ?? '—'),
    at64: at64(r),
    cores: String(env.cores),
    leaderSockets16: String(r.sockets.leader?.[16]?.sockets ?? '—'),
    recoveryHandshakes: String(r.recovery.tabwire?.handshakes ?? '—'),
    recoveryRefetches: String(r.recovery.tabwire?.refetches ?? '—'),
    leaderRecoveryHandshakes: String(r.recovery.leader?.handshakes ?? '—'),
    leaderRecoveryRefetches: String(r.recovery.leader?.refetches ?? '—'),
    ...stormFigures(r),
    ...sseFigures(r),
    clientGzip: kb(r.sizes.client!.gzip),
    workerGzip: kb(r.sizes.worker!.gzip),
    clientTarget: kb(r.targets.client),
    workerTarget: kb(r.targets.worker),
    clientBudget: kb(budgets.client),
    workerBudget: kb(budgets.worker),
  };
}

/** tabwire at 64 tabs against a socket per tab and the bare relay, as a clause; runs without 64 tabs say so. */
function at64(r: Results): string {
  const tw = r.latency.tabwire?.[64];
  const sock = r.latency.socket?.[64];
  if (!tw || !sock || !r.cpu.tabwire?.[64]) return 'not measured (short runs, and runs before 64 tabs were added, skip them)';
  const cpuVsSocket = r.cpu.socket?.[64] ? `${times(r.cpu.tabwire[64] / r.cpu.socket[64])} a socket per tab` : 'a socket per tab not measured';
  const cpuVsRelay = r.cpu.relay?.[64] ? `${times(r.cpu.tabwire[64] / r.cpu.relay[64])} the bare relay` : 'the bare relay not measured';
  return `p50 ${times(tw.p50 / sock.p50)} a socket per tab, until the last tab ${times(tw.lastTab / sock.lastTab)}; CPU ${cpuVsSocket} and ${cpuVsRelay}`;
}

/** `{{stormAttempts_socket}}`, `{{stormHandshakes_tabwire}}`, …: the deploy storm's counts per client, or "not measured". */
function stormFigures(r: Results): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of modes) {
    out[`stormAttempts_${m}`] = String(r.storm?.[m]?.upgrades ?? 'not measured');
    out[`stormHandshakes_${m}`] = String(r.storm?.[m]?.handshakes ?? 'not measured');
  }
  return out;
}

/** The notes with every `{{name}}` filled; an unknown name fails the report rather than print a stale or empty figure. */
export function fillNotes(notes: string, r: Results): string {
  const known = { ...figures(r), ...tailFigures() };
  return notes.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    // The tail run's figures: a column or tab count it did not measure reads as not measured.
    const value = known[name] ?? (/^(tail|slow)_/.test(name) ? '—' : undefined);
    if (value === undefined) throw new Error(`notes.md: no figure named {{${name}}}`);
    return value;
  });
}

type TargetRow = [target: string, measured: string, ok: boolean | undefined];

const others = (m: Mode): Mode[] => modes.filter((o) => o !== m);

/** tabwire against the best of the other three clients at `tabs`, for one figure; undefined where not measured. */
function bestOtherRow(r: Results, tabs: number, figure: 'p50' | 'lastTab' | 'p99' | 'cpu'): TargetRow | undefined {
  const of = (m: Mode) => (figure === 'cpu' ? r.cpu[m]?.[tabs] : r.latency[m]?.[tabs]?.[figure]);
  const tw = of('tabwire');
  if (tw === undefined) return undefined;
  const rivals = others('tabwire').flatMap((m) => (of(m) === undefined ? [] : [{ m, v: of(m)! }]));
  if (rivals.length === 0) return undefined;
  const best = rivals.reduce((a, b) => (b.v < a.v ? b : a));
  const show = (v: number) => (figure === 'cpu' ? `${v} cores` : ms(v));
  const name = { p50: 'p50', lastTab: 'until the last tab', p99: 'p99', cpu: 'CPU' }[figure];
  return [`${name} at ${tabs} tabs ≤ the best other client`, `${show(tw)} vs ${show(best.v)} (${label[best.m]}): ${(tw / best.v).toFixed(2)}×`, tw <= best.v];
}

/** tabwire at 16 tabs against a socket per tab, for one figure, at most `limit`×. */
function socketRow(r: Results, figure: 'p50' | 'lastTab' | 'cpu', limit: number): TargetRow {
  const of = (m: Mode) => (figure === 'cpu' ? r.cpu[m]?.[16] : r.latency[m]?.[16]?.[figure]);
  const tw = of('tabwire');
  const sock = of('socket');
  const name = { p50: 'p50', lastTab: 'until the last tab', cpu: 'CPU at 500 events/s' }[figure];
  const show = (v: number | undefined) => (figure === 'cpu' ? `${v ?? '—'} cores` : ms(v));
  if (tw === undefined || !sock) return [`${name} at 16 tabs ≤ ${limit}× a socket per tab`, 'not measured', undefined];
  return [`${name} at 16 tabs ≤ ${limit}× a socket per tab`, `${(tw / sock).toFixed(2)}× (${show(tw)} vs ${show(sock)})`, tw / sock <= limit];
}

/** p50 at 1 tab ≤ a socket per tab + the bare hop (the relay over a socket, never below 0) + 0.1 ms. */
function oneTabRow(r: Results): TargetRow {
  const target = 'p50 at 1 tab ≤ a socket per tab + the measured bare hop + 0.1 ms';
  const tw = r.latency.tabwire?.[1]?.p50;
  const sock = r.latency.socket?.[1]?.p50;
  const relay = r.latency.relay?.[1]?.p50;
  if (tw === undefined || sock === undefined || relay === undefined) return [target, 'not measured', undefined];
  // A relay measured faster than a socket is the clock alignment's error, not a negative hop.
  const hop = Math.max(0, relay - sock);
  const limit = sock + hop + 0.1;
  return [target, `${ms(tw)} vs ${ms(limit)} (socket ${ms(sock)}, bare hop ${ms(relay - sock)}${relay < sock ? ', counted as 0' : ''})`, tw <= limit];
}

/** Zero-loss at 16 tabs ≥ 2× the best other client; a client that passed every step tried shows "≥". */
function zeroLossRow(r: Results): TargetRow {
  const target = 'zero-loss at 16 tabs ≥ 2× the best other client';
  const of = (m: Mode) => r.throughput[m]?.[16];
  const shown = (m: Mode) => {
    const x = of(m);
    if (!x) return '—';
    const passedAll = x.tried.length > 0 && x.tried.every((step) => step.ok);
    return `${passedAll ? '≥ ' : ''}${x.deliveriesPerSecond.toLocaleString('en')}`;
  };
  const tw = of('tabwire')?.deliveriesPerSecond;
  const rivals = others('tabwire').filter((m) => of(m));
  if (tw === undefined || rivals.length === 0) return [target, 'not measured', undefined];
  const best = rivals.reduce((a, b) => (of(b)!.deliveriesPerSecond > of(a)!.deliveriesPerSecond ? b : a));
  const bestValue = of(best)!.deliveriesPerSecond;
  const measured = `${shown('tabwire')} vs ${shown(best)} (${label[best]}) deliveries/s`;
  // Both passed every rate tried: the run only bounds them from below, and cannot tell them apart.
  if (shown('tabwire').startsWith('≥') && shown(best).startsWith('≥')) return [target, `${measured}: both passed every rate tried`, undefined];
  return [target, measured, tw >= 2 * bestValue];
}

/** Issue 15's targets, each a ratio within this run; "not measured" where the run lacks the figure. */
function targetRows(r: Results): string[] {
  const rows: TargetRow[] = [];
  const socketsOk = Object.values(r.sockets.tabwire ?? {}).every((s) => s.sockets === 1 && s.handshakes === 1);
  rows.push(['sockets: 1 for any number of tabs', Object.entries(r.sockets.tabwire ?? {}).map(([t, s]) => `${t} tabs: ${s.sockets}`).join(', '), socketsOk]);
  for (const tabs of [4, 16, 32, 64]) {
    for (const figure of ['p50', 'lastTab', 'p99', 'cpu'] as const) {
      const row = bestOtherRow(r, tabs, figure);
      if (row) rows.push(row);
      else if (r.latency.tabwire?.[tabs]) rows.push([`${figure === 'cpu' ? 'CPU' : figure} at ${tabs} tabs ≤ the best other client`, 'not measured at this tab count', undefined]);
    }
  }
  rows.push(socketRow(r, 'p50', 0.6), socketRow(r, 'lastTab', 0.4), socketRow(r, 'cpu', 0.5));
  rows.push(oneTabRow(r));
  for (const tabs of [4, 16]) {
    const bare = r.cpu.relay?.[tabs];
    const tw = r.cpu.tabwire?.[tabs];
    const target = `CPU at ${tabs} tabs ≤ 1.5× the bare relay`;
    rows.push(bare === undefined || tw === undefined ? [target, 'not measured', undefined] : [target, `${(tw / bare).toFixed(2)}× (${tw} vs ${bare} cores)`, tw / bare <= 1.5]);
  }
  const bareR = logVsBare(r);
  rows.push([
    'log alone ≥ 0.7× the bare IndexedDB writer (same page, same run)',
    bareR === undefined ? 'not measured' : `${bareR.toFixed(2)}× (${perSecond(r.log.persistedPerSecond)} vs ${perSecond(r.log.bareIdbPerSecond)} events/s)`,
    bareR === undefined ? undefined : bareR >= 0.7,
  ]);
  const logR = r.log.p99LogOn / r.log.p99LogOff;
  rows.push(['delivery p99 with the log on ≤ 1.1× off', `${logR.toFixed(2)}× (${ms(r.log.p99LogOn)} vs ${ms(r.log.p99LogOff)})`, logR <= 1.1]);
  rows.push(zeroLossRow(r));
  rows.push(['client ≤ its budget (scripts/sizes.mjs: what each raise measurably cost)', `${kb(r.sizes.client!.gzip)} of ${kb(budgets.client)}`, r.sizes.client!.gzip <= budgets.client]);
  rows.push(['worker ≤ its budget', `${kb(r.sizes.worker!.gzip)} of ${kb(budgets.worker)}`, r.sizes.worker!.gzip <= budgets.worker]);
  const shown = (ok: boolean | undefined) => (ok === undefined ? 'not decided by this run' : verdict(ok));
  return ['| target | measured | |', '|---|---|---|', ...rows.map(([target, measured, ok]) => `| ${target} | ${measured} | ${shown(ok)} |`)];
}

function chart(r: Results, tabCounts: number[]): string {
  const width = 1280;
  const height = 340;
  const panel = { w: 280, h: 220, top: 60 };
  const xs = (i: number, left: number) => left + 30 + (i * (panel.w - 50)) / Math.max(1, tabCounts.length - 1);
  const lines = (metric: 'p50' | 'p99' | 'lastTab', left: number, title: string) => {
    const max = Math.max(...withReference(r).flatMap((m) => tabCounts.map((t) => r.latency[m]?.[t]?.[metric] ?? 0))) * 1.1 || 1;
    const ys = (v: number) => panel.top + panel.h - (v / max) * panel.h;
    let svg = `<text x="${left}" y="${panel.top - 28}" font-size="14" font-weight="600">${title}</text>`;
    svg += `<line x1="${left + 30}" y1="${panel.top + panel.h}" x2="${left + panel.w}" y2="${panel.top + panel.h}" stroke="#999"/>`;
    for (const [i, t] of tabCounts.entries()) svg += `<text x="${xs(i, left)}" y="${panel.top + panel.h + 16}" font-size="11" text-anchor="middle">${t}</text>`;
    svg += `<text x="${left + panel.w / 2}" y="${panel.top + panel.h + 32}" font-size="11" text-anchor="middle">tabs</text>`;
    for (const tick of [0, 0.5, 1]) {
      svg += `<text x="${left + 24}" y="${ys(max * tick) + 4}" font-size="10" text-anchor="end">${(max * tick).toFixed(1)}</text>`;
    }
    for (const mode of withReference(r)) {
      const points = tabCounts.map((t, i) => `${xs(i, left)},${ys(r.latency[mode]?.[t]?.[metric] ?? 0)}`).join(' ');
      svg += `<polyline points="${points}" fill="none" stroke="${colour[mode]}" stroke-width="2"${mode === 'relay' ? ' stroke-dasharray="5 4"' : ''}/>`;
      for (const [i, t] of tabCounts.entries()) svg += `<circle cx="${xs(i, left)}" cy="${ys(r.latency[mode]?.[t]?.[metric] ?? 0)}" r="3" fill="${colour[mode]}"/>`;
    }
    return svg;
  };
  const bars = (left: number) => {
    const values = modes.map((m) => r.cpu[m]?.[16] ?? 0);
    const max = Math.max(...values) * 1.15 || 1;
    let svg = `<text x="${left}" y="${panel.top - 28}" font-size="14" font-weight="600">CPU at 500 events/s, 16 tabs (cores)</text>`;
    const barWidth = (panel.w - 60) / modes.length;
    for (const [i, mode] of modes.entries()) {
      const h = (values[i]! / max) * panel.h;
      const x = left + 30 + i * barWidth;
      svg += `<rect x="${x + 6}" y="${panel.top + panel.h - h}" width="${barWidth - 12}" height="${h}" fill="${colour[mode]}"/>`;
      svg += `<text x="${x + barWidth / 2}" y="${panel.top + panel.h - h - 4}" font-size="11" text-anchor="middle">${values[i]!.toFixed(2)}</text>`;
    }
    svg += `<line x1="${left + 30}" y1="${panel.top + panel.h}" x2="${left + panel.w}" y2="${panel.top + panel.h}" stroke="#999"/>`;
    return svg;
  };
  let legend = '';
  for (const [i, mode] of withReference(r).entries()) {
    legend += `<rect x="${20 + i * 230}" y="${height - 22}" width="12" height="12" fill="${colour[mode]}"/><text x="${38 + i * 230}" y="${height - 12}" font-size="12">${label[mode]}</text>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" viewBox="0 0 ${width} ${height}">
<rect width="100%" height="100%" fill="white"/>
${lines('p50', 20, 'Latency p50, server → handler (ms)')}
${lines('p99', 340, 'Latency p99 (ms)')}
${lines('lastTab', 660, 'Until the last tab has it (ms)')}
${bars(980)}
${legend}
</svg>
`;
}

export function writeReport(r: Results, tabCounts: number[]): void {
  writeFileSync('bench/results/chart.svg', chart(r, tabCounts));
  const env = r.environment;
  const out: string[] = [
    '# Benchmarks',
    '',
    'tabwire against one plain WebSocket per tab, in one run, in real headless Chromium against the',
    'mock backend on loopback. Reproduce with `npm run bench` (about 40 minutes with 64 tabs and the deploy storm; `BENCH_QUICK=1 npm run bench`',
    'for a short run). The runner is `bench/run.ts`; raw numbers are in',
    '`bench/results/bench-results.json`. These machines are noisy: read ratios and medians, not absolutes.',
    '',
    `Run: ${env.date}, ${env.cpu}, ${env.cores} cores, Node ${env.node}, Chromium ${env.chromium}, ${env.rounds} rounds per measurement.`,
    '',
    '- **(a) tabwire (SharedWorker)**: the library as shipped.',
    '- **(b) socket per tab**: the baseline, a minimal client per tab: docs/protocol.md handshake, JSON parse and dispatch, the same backoff, and its own REST refetch after a reconnect.',
    '- **(c) tabwire (leader tab)**: the fallback where SharedWorker is missing (`sharing: \'leader\'`).',
    '- **broadcast-channel peer**: a leader-election peer from npm (`broadcast-channel` 7): the leader tab holds a socket as in (b) and relays every frame over BroadcastChannel.',
    '- **bare relay (reference)**, latency and CPU only: a SharedWorker that holds one socket, parses each frame, batches the frames of a task and posts the batch to each tab\'s port; no validation, dedupe, filtering, log or reconnects. The least a shared connection can cost.',
    '',
    '![latency p50, p99 and until the last tab, by tab count, and CPU](bench/results/chart.svg)',
    '',
    '## Targets (issue 15: ratios to the other clients and the reference columns, all from this run)',
    '',
    ...targetRows(r),
    '',
    ...tailTargetSection(r),
    '',
    '## Server-side sockets and handshakes',
    '',
    `| tabs | ${modes.map((m) => label[m]).join(' | ')} |`,
    `|---|${modes.map(() => '---').join('|')}|`,
    ...tabCounts.map((t) => `| ${t} | ${modes.map((m) => `${r.sockets[m]?.[t]?.sockets ?? '—'} sockets, ${r.sockets[m]?.[t]?.handshakes ?? '—'} handshakes`).join(' | ')} |`),
    '',
    '## Latency, server send → handler in the tab',
    '',
    'Medians over rounds of 100 events at 100 events/s; the clients take turns round by round, in rotating order,',
    'each round in a fresh browser context. p50 and p99 over every delivery to every tab;',
    '"last tab": for each event, the time until the last tab had it (median over events).',
    'The page clock is aligned to the server clock by a round-trip measurement.',
    '',
    '| tabs | client | p50 | p99 | last tab | p50 vs (b) | last tab vs (b) | lost | duplicates |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const t of tabCounts) {
    for (const m of withReference(r)) {
      const l = r.latency[m]?.[t];
      const b = r.latency.socket?.[t];
      if (!l) continue;
      out.push(`| ${t} | ${label[m]} | ${ms(l.p50)} | ${ms(l.p99)} | ${ms(l.lastTab)} | ${ratio(l.p50, b?.p50)} | ${ratio(l.lastTab, b?.lastTab)} | ${l.lost} | ${l.duplicates} |`);
    }
  }
  out.push(
    '',
    '## CPU of all browser processes at a steady 500 events/s',
    '',
    'Cores used (CPU seconds per second, from /proc over the browser\'s process tree).',
    '',
    '| tabs | client | cores | vs (b) | vs bare relay |',
    '|---|---|---|---|---|',
    ...cpuTabs(r).flatMap((t) =>
      withReference(r).map((m) => `| ${t} | ${label[m]} | ${r.cpu[m]?.[t] ?? '—'} | ${ratio(r.cpu[m]?.[t], r.cpu.socket?.[t])} | ${ratio(r.cpu[m]?.[t], r.cpu.relay?.[t])} |`),
    ),
    '',
    '## Highest zero-loss rate, 16 tabs, 1 kB events',
    '',
    'Rates tried in steps for 2 s each; a step passes when every tab received every event, once, within 2 s',
    'of the last send (so queues stayed bounded). Deliveries/s = events/s × tabs.',
    '',
    '| client | events/s | deliveries/s | vs (b) | steps |',
    '|---|---|---|---|---|',
    ...modes.map((m) => {
      const x = r.throughput[m]?.[16];
      return `| ${label[m]} | ${x?.eventsPerSecond.toLocaleString('en') ?? '—'} | ${x?.deliveriesPerSecond.toLocaleString('en') ?? '—'} | ${ratio(x?.deliveriesPerSecond, r.throughput.socket?.[16]?.deliveriesPerSecond)} | ${x?.tried.map((s) => `${s.rate}${s.ok ? '✓' : '✗'}`).join(' ') ?? ''} |`;
    }),
    '',
    '## Memory',
    '',
    'Proportional set size of the whole browser with one tab of the client, and what each extra tab adds',
    '(16 tabs against 1). For tabwire, the SharedWorker\'s JS heap after a GC.',
    '',
    '| client | browser with 1 tab | per extra tab | worker heap |',
    '|---|---|---|---|',
    ...modes.map((m) => {
      const x = r.memory[m];
      return `| ${label[m]} | ${x ? mib(x.oneTab) : '—'} | ${x ? mib(x.perExtraTab) : '—'} | ${x?.workerHeap ? mib(x.workerHeap) : '—'} |`;
    }),
    '',
    '## After a server outage, 16 tabs',
    '',
    'The server refuses connections for a second while 5 events are written; then accepts again. Time from',
    'accepting to every tab live and holding the 5 missed events (tabwire: replayed once by the worker; the',
    'others: each tab\'s own refetch), then to every tab told it resynced (tabwire\'s `onResync` waits',
    '`resync.settleMs`, 1 s, so flaps coalesce), and what the server had to serve. Same backoff for all',
    '(250 ms–1 s here); the first retry after the server is back is random, so these vary.',
    '',
    '| client | live with missed events | resync signalled | handshakes | refetch requests |',
    '|---|---|---|---|---|',
    ...modes.map((m) => {
      const x = r.recovery[m];
      return `| ${label[m]} | ${x ? `${x.ms} ms` : '—'} | ${x ? `${x.signalledMs} ms` : '—'} | ${x?.handshakes ?? '—'} | ${x?.refetches ?? '—'} |`;
    }),
    '',
    ...stormSection(r),
    '',
    ...sseSection(r),
    '',
    '## The IndexedDB log',
    '',
    'The log alone and the bare IndexedDB writer run in one page of a persistent profile (on disk, as in a',
    "user's browser), on the same ~300-byte events made before the clock starts, alternating round by round.",
    '',
    `- The log alone (the worker's EventLog with its default bound of 500, events arriving in bursts of 250): **${perSecond(r.log.persistedPerSecond)} events/s** stored (rounds: ${r.log.logRounds?.map(perSecond).join(', ') ?? '—'}). Each transaction takes everything that piled up while the previous one committed: its puts, one key-range delete for age and count, and last-seen.`,
    `- The bare IndexedDB writer (250 puts per transaction under the log's key shape, one key-range delete keeping the newest 500, relaxed durability, one transaction at a time): **${perSecond(r.log.bareIdbPerSecond)} events/s** (rounds: ${r.log.bareIdbRounds?.map(perSecond).join(', ') ?? '—'}). The log reaches **${times(logVsBare(r))}** of it.`,
    `- End to end (a burst of events through the socket into the worker, until its log counted them stored): ${r.log.endToEndPerSecond.toLocaleString('en')} events/s. Not a measure of the log: the socket, the worker's ingest and the log share one thread here (in runs up to 2026-12-02 this figure tracked how many WebSocket messages per second this Chromium delivered on one connection).`,
    `- Delivery latency with the log on / off (4 tabs, 200 events/s, on and off in alternating rounds of 200 events, median over rounds): p50 ${ms(r.log.p50LogOn)} / ${ms(r.log.p50LogOff)}, p99 ${ms(r.log.p99LogOn)} / ${ms(r.log.p99LogOff)} (${times(r.log.p99LogOn / r.log.p99LogOff)}; each round's p99 on: ${r.log.p99OnRounds?.map((v) => v.toFixed(2)).join(', ') ?? '—'}, off: ${r.log.p99OffRounds?.map((v) => v.toFixed(2)).join(', ') ?? '—'} ms).`,
    '',
    '## Bundle sizes',
    '',
    'Minified as a consumer ships them, then compressed. The client is the `tabwire` entry with the chunks it',
    'imports statically; "on demand" is the leader-tab and tab-local host code only tabs without SharedWorker load.',
    '',
    '| bundle | minified | gzip | brotli |',
    '|---|---|---|---|',
    ...Object.entries(r.sizes).map(([name, s]) => `| ${name} | ${kb(s.minified)} | ${kb(s.gzip)} | ${kb(s.brotli)} |`),
    '',
  );
  const notes = 'bench/notes.md';
  if (existsSync(notes)) out.push(fillNotes(readFileSync(notes, 'utf8').trim(), r), '');
  writeFileSync('BENCHMARKS.md', out.join('\n'));
}
