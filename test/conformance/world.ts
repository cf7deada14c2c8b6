/**
 * What a conformance scenario runs in: an isolated session of one engine, a fresh mock
 * backend and the built harness served on a fresh origin (so nothing of an earlier scenario
 * — storage, workers, locks — can be reached), plus helpers that read the harness in tabs.
 * Every helper goes through the driver (driver.ts), so scenarios read the same in every engine.
 */
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { type MockBackend, startMockBackend } from '../../demo/server/mock-backend.ts';
import type { BrokerStats } from '../../src/index.ts';
import { type StaticServer, startStaticServer } from '../support/static-server.ts';
import type { Engine, Session, Tab } from './driver.ts';

export interface World {
  engine: Engine;
  session: Session;
  backend: MockBackend;
  /** The harness page's URL with these query parameters (backend filled in); `path` '/next/' is the second build. */
  url(query?: Record<string, string>, path?: string): string;
  /** Opens `count` harness tabs, one after another, and waits until each attached (unless connect=0). */
  open(count: number, query?: Record<string, string>, path?: string): Promise<Tab[]>;
  /** Records (and prints) a difference the engine showed, for the results and the support table in docs/deploys.md. */
  note(observation: string): void;
  /** Records the sharing mode the engine's tabs ended up in ('worker', 'leader', 'none'). */
  sharing(mode: string): void;
  /** Records a measurement under `key` for the results file (figures vary run to run, so they stay out of notes). */
  measured(key: string, value: Record<string, string | number | boolean>): void;
}

/** What the scenarios of one engine observed, gathered for the results file. */
export interface Observations {
  sharing?: string;
  notes: string[];
  measured?: Record<string, Record<string, string | number | boolean>>;
}

export async function openWorld(engine: Engine, observed: Observations = { notes: [] }): Promise<World & { close(): Promise<void> }> {
  const backend = await startMockBackend();
  const mounts: Record<string, string> = { '/': 'dist-demo' };
  if (existsSync('dist-demo-next/harness.html')) mounts['/next/'] = 'dist-demo-next';
  let site: StaticServer | undefined;
  let session: Session | undefined;
  try {
    site = await startStaticServer(mounts);
    session = await engine.newSession();
  } catch (error) {
    await site?.close();
    await backend.close();
    throw error;
  }
  const origin = site.url;
  const url = (query: Record<string, string> = {}, path = '/') =>
    `${origin}${path}harness.html?${new URLSearchParams({ backend: backend.httpUrl, ...query })}`;
  const world = {
    engine,
    session,
    backend,
    url,
    async open(count: number, query: Record<string, string> = {}, path = '/') {
      const tabs: Tab[] = [];
      for (let i = 0; i < count; i++) {
        const tab = await session.open(url(query, path));
        if (query.connect !== '0') await attached(tab);
        tabs.push(tab);
      }
      return tabs;
    },
    note(observation: string) {
      console.log(`  [${engine.name}] ${observation}`);
      if (!observed.notes.includes(observation)) observed.notes.push(observation);
    },
    sharing(mode: string) {
      observed.sharing = mode;
    },
    measured(key: string, value: Record<string, string | number | boolean>) {
      console.log(`  [${engine.name}] ${key}: ${JSON.stringify(value)}`);
      observed.measured = { ...observed.measured, [key]: value };
    },
    async close() {
      // Each step is tried even if one before it failed: nothing is left running.
      await session.close().catch(() => undefined);
      await site.close().catch(() => undefined);
      await backend.close().catch(() => undefined);
    },
  };
  return world;
}

/**
 * Waits until the tab's harness created its broker and the broker attached. Bounded, and saying
 * where the tab stood when it gave up: an attach that never ends must fail as itself, not as the
 * scenario's timeout.
 */
export function attached(tab: Tab, timeoutMs = 15_000): Promise<void> {
  return tab.evaluate(async (timeout) => {
    const until = Date.now() + timeout;
    while (!window.harness?.broker) {
      if (Date.now() > until) throw new Error('the harness never created its broker');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const broker = window.harness.broker;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const errors = window.harness.errors.map((e) => e.code).join(', ') || 'none';
        reject(new Error(`the tab did not attach in ${timeout} ms: state ${broker.state} (${broker.reason}), sharing ${broker.sharing}, errors ${errors}`));
      }, Math.max(0, until - Date.now()));
    });
    try {
      await Promise.race([broker.ready, late]);
    } finally {
      clearTimeout(timer);
    }
  }, timeoutMs);
}

/** Waits until every tab's broker is in `state`. */
export async function allInState(tabs: Tab[], state: string, timeoutMs = 15_000): Promise<void> {
  for (const tab of tabs) await tab.evaluate(([s, t]) => window.harness.waitForState(s, t), [state, timeoutMs] as [string, number]);
}

/** The event types each tab received, in order. */
export async function received(tabs: Tab[]): Promise<string[][]> {
  const all: string[][] = [];
  for (const tab of tabs) all.push(await tab.evaluate(() => window.harness.types()));
  return all;
}

/** The goalId of each event a tab received, marked `*` when it came from a replay. */
export function goalIds(tab: Tab): Promise<string[]> {
  return tab.evaluate(() => window.harness.events.map((e) => `${String(e.data.goalId)}${e.replayed ? '*' : ''}`));
}

export function stats(tab: Tab): Promise<BrokerStats> {
  return tab.evaluate(() => window.harness.broker!.stats());
}

/** "next:reason" of every state change the tab saw. */
export function transitions(tab: Tab): Promise<string[]> {
  return tab.evaluate(() => window.harness.states.map((s) => `${s.next}:${s.reason}`));
}

export async function sum(tabs: Tab[], read: (tab: Tab) => Promise<number>): Promise<number> {
  let total = 0;
  for (const tab of tabs) total += await read(tab);
  return total;
}

/** Polls until `check` stops throwing (or rethrows its last error after `timeoutMs`). */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await pause(50);
    }
  }
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connect options carrying the replay endpoint of this world's backend. */
export const withReplay = (world: World, extra: Record<string, unknown> = {}) => ({
  options: JSON.stringify({ resync: { eventsSinceUrl: `${world.backend.httpUrl}/api/events` }, ...extra }),
});

export { expect };
