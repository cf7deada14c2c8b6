/**
 * A Chromium trace (every process of the browser, through CDP's Tracing domain) reduced to what the
 * latency tail is made of, per kind of thread: the tabs' main threads and the workers (the
 * SharedWorker). Tasks are the scheduler's top-level ones; GC is V8's collections as DevTools shows
 * them (MinorGC: the young generation, scavenges; MajorGC: mark-compact).
 */

export const traceCategories = ['toplevel', 'devtools.timeline'];

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { name?: string };
}

export interface ThreadFigures {
  /** Threads of this kind seen with tasks in the window. */
  threads: number;
  /** Top-level task time summed over those threads, ms. */
  busyMs: number;
  tasksOver2Ms: number;
  maxTaskMs: number;
  gcCount: number;
  gcMs: number;
  maxGcMs: number;
  /** Time in the largest other named events (per thread kind), ms: where the busy time went. */
  top: Record<string, number>;
}

export interface TraceSummary {
  windowMs: number;
  threads: Record<string, ThreadFigures>;
}

const taskNames = new Set(['ThreadControllerImpl::RunTask', 'RunTask']);
const gcNames = new Set(['MinorGC', 'MajorGC']);
/** Events worth naming in `top`: what a task did. */
const workNames = new Set([
  'FunctionCall',
  'EventDispatch',
  'v8.run',
  'V8.Execute',
  'v8.compile',
  'ParseHTML',
  'UpdateLayoutTree',
  'Layout',
  'Paint',
  'TimerFire',
  'RunMicrotasks',
  'v8.callFunction',
  'MinorGC',
  'MajorGC',
]);

/** Thread names by `pid:tid`, and the SharedWorker's thread: the worker thread that ran the most JavaScript. */
function threadsOf(events: TraceEvent[]): { names: Map<string, string>; worker: string | undefined } {
  const names = new Map<string, string>();
  const js = new Map<string, number>();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name) names.set(`${e.pid}:${e.tid}`, e.args.name);
    if (e.ph === 'X' && e.name === 'FunctionCall') js.set(`${e.pid}:${e.tid}`, (js.get(`${e.pid}:${e.tid}`) ?? 0) + (e.dur ?? 0));
  }
  const worker = [...js.entries()].filter(([thread]) => /worker/i.test(names.get(thread) ?? '')).sort((a, b) => b[1] - a[1])[0]?.[0];
  return { names, worker };
}

export function summariseTrace(trace: { traceEvents: TraceEvent[] } | TraceEvent[]): TraceSummary {
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  const { names, worker } = threadsOf(events);
  const kindOf = (thread: string) => (thread === worker ? 'worker' : names.get(thread) === 'CrRendererMain' ? 'tab' : 'other');
  const complete = events.filter((e) => e.ph === 'X' && typeof e.dur === 'number').sort((a, b) => a.ts - b.ts);
  const figures = new Map<string, ThreadFigures>();
  const seen = new Map<string, Set<string>>();
  const openUntil = new Map<string, number>();
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const e of complete) {
    const thread = `${e.pid}:${e.tid}`;
    const kind = kindOf(thread);
    if (kind !== 'tab' && kind !== 'worker') continue;
    const f = figures.get(kind) ?? { threads: 0, busyMs: 0, tasksOver2Ms: 0, maxTaskMs: 0, gcCount: 0, gcMs: 0, maxGcMs: 0, top: {} };
    figures.set(kind, f);
    const ms = e.dur! / 1000;
    first = Math.min(first, e.ts);
    last = Math.max(last, e.ts + e.dur!);
    if (taskNames.has(e.name) && e.ts >= (openUntil.get(thread) ?? 0)) {
      openUntil.set(thread, e.ts + e.dur!);
      const threads = seen.get(kind) ?? new Set();
      seen.set(kind, threads.add(thread));
      f.threads = threads.size;
      f.busyMs += ms;
      if (ms > 2) f.tasksOver2Ms++;
      f.maxTaskMs = Math.max(f.maxTaskMs, ms);
    }
    if (gcNames.has(e.name)) {
      f.gcCount++;
      f.gcMs += ms;
      f.maxGcMs = Math.max(f.maxGcMs, ms);
    }
    if (workNames.has(e.name)) f.top[e.name] = (f.top[e.name] ?? 0) + ms;
  }
  const threads: Record<string, ThreadFigures> = {};
  for (const [kind, f] of figures) {
    const top = Object.entries(f.top).sort((a, b) => b[1] - a[1]).slice(0, 6);
    threads[kind] = {
      ...f,
      busyMs: r1(f.busyMs),
      maxTaskMs: r1(f.maxTaskMs),
      gcMs: r1(f.gcMs),
      maxGcMs: r1(f.maxGcMs),
      top: Object.fromEntries(top.map(([name, ms]) => [name, r1(ms)])),
    };
  }
  return { windowMs: r1((last - first) / 1000), threads };
}

const r1 = (value: number) => Math.round(value * 10) / 10;

/** A delivery past the round's p99, on the server's clock (ms). */
export interface LateDelivery {
  tab: number;
  sentMs: number;
  arrivedMs: number;
}

/** How many late deliveries overlap each kind of event (one delivery may overlap several, or none). */
export interface TailAttribution {
  late: number;
  /** Mapped onto the trace (their tab's clock mark was found). */
  placed: number;
  workerGc: number;
  /** A timer's task in the worker: the log's write, mostly. */
  workerTimer: number;
  /** Any other worker task over 2 ms. */
  workerLongTask: number;
  tabGc: number;
  tabLongTask: number;
  none: number;
}

interface Span {
  ts: number;
  end: number;
  name: string;
}

/**
 * Which of the worker's and the tab's events each late delivery overlapped, from send to arrival:
 * GC, a timer's task, a long task. The worker is the thread the SharedWorker's script ran on (its
 * trace names it `DedicatedWorker thread` in some builds): the worker thread that ran most JavaScript.
 */
export function attributeTail(trace: { traceEvents: TraceEvent[] }, late: LateDelivery[]): TailAttribution {
  const events = trace.traceEvents;
  const { worker } = threadsOf(events);
  const spans = new Map<string, Span[]>();
  const marks = new Map<number, { thread: string; ts: number; serverMs: number }>();
  for (const e of events) {
    const thread = `${e.pid}:${e.tid}`;
    const message = (e.args as { data?: { message?: string } } | undefined)?.data?.message;
    if (e.name === 'TimeStamp' && message?.startsWith('tail-align ')) {
      const [, tab, serverMs] = message.split(' ');
      marks.set(Number(tab), { thread, ts: e.ts, serverMs: Number(serverMs) });
    }
    if (e.ph !== 'X' || typeof e.dur !== 'number') continue;
    if (taskNames.has(e.name) || gcNames.has(e.name) || e.name === 'TimerFire') (spans.get(thread) ?? spans.set(thread, []).get(thread)!).push({ ts: e.ts, end: e.ts + e.dur, name: e.name });
  }
  const result: TailAttribution = { late: late.length, placed: 0, workerGc: 0, workerTimer: 0, workerLongTask: 0, tabGc: 0, tabLongTask: 0, none: 0 };
  for (const delivery of late) {
    const mark = marks.get(delivery.tab);
    if (!mark) continue;
    result.placed++;
    const from = mark.ts + (delivery.sentMs - mark.serverMs) * 1000;
    const to = mark.ts + (delivery.arrivedMs - mark.serverMs) * 1000;
    const overlapping = (thread: string | undefined, test: (span: Span) => boolean) => (spans.get(thread ?? '') ?? []).some((s) => s.ts < to && s.end > from && test(s));
    const found = {
      workerGc: overlapping(worker, (s) => gcNames.has(s.name)),
      workerTimer: overlapping(worker, (s) => s.name === 'TimerFire'),
      workerLongTask: overlapping(worker, (s) => taskNames.has(s.name) && s.end - s.ts > 2000),
      tabGc: overlapping(mark.thread, (s) => gcNames.has(s.name)),
      tabLongTask: overlapping(mark.thread, (s) => taskNames.has(s.name) && s.end - s.ts > 2000),
    };
    for (const [key, hit] of Object.entries(found)) if (hit) result[key as keyof typeof found]++;
    if (!Object.values(found).some(Boolean)) result.none++;
  }
  return result;
}
