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

/** The kind of a thread by its name: `tab` (a page's main thread), `worker`, or the name itself. */
function kindOf(threadName: string): string {
  if (threadName === 'CrRendererMain') return 'tab';
  if (/worker/i.test(threadName)) return 'worker';
  return threadName;
}

export function summariseTrace(trace: { traceEvents: TraceEvent[] } | TraceEvent[]): TraceSummary {
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  const names = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name) names.set(`${e.pid}:${e.tid}`, e.args.name);
  const complete = events.filter((e) => e.ph === 'X' && typeof e.dur === 'number').sort((a, b) => a.ts - b.ts);
  const figures = new Map<string, ThreadFigures>();
  const seen = new Map<string, Set<string>>();
  const openUntil = new Map<string, number>();
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const e of complete) {
    const thread = `${e.pid}:${e.tid}`;
    const kind = kindOf(names.get(thread) ?? 'unnamed');
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
