/**
 * Registers the conformance scenarios for one engine with Vitest: one browser for the
 * whole file, a fresh isolated session per scenario, always disposed. A scenario the
 * engine cannot run is registered as skipped with the reason in its name, so the output
 * says which and why; so is every scenario of an engine that is not installed, or not
 * selected by TABWIRE_ENGINES.
 *
 * After a full run of an engine its results (browser and version, sharing mode, each
 * scenario's outcome, what the engine did differently) go to results/<engine>.json, which
 * scripts/browser-support.mjs renders into the support table of docs/deploys.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, it, onTestFailed, onTestFinished } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { findEngines } from '../../scripts/engines.mjs';
import type { Engine, EngineName } from './driver.ts';
import { cannotByEngine, launchers } from './engines.ts';
import { type Scenario, engineSpecific, scenarios } from './scenarios.ts';
import { type Observations, openWorld } from './world.ts';

const titles: Record<EngineName, string> = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'WebKitGTK' };
const drivers: Record<EngineName, string> = {
  chromium: 'Playwright',
  firefox: 'puppeteer-core over WebDriver BiDi',
  webkit: 'selenium-webdriver and WebKitWebDriver (MiniBrowser on Xvfb)',
};
const resultsDir = new URL('./results/', import.meta.url);

/** Paths and skip reasons: as npm test found them (in the environment), else looked up now, without installing. */
function environment(): Record<string, string | undefined> {
  if (process.env.TABWIRE_ENGINES_FOUND) return process.env;
  const { env } = findEngines() as { env: Record<string, string> };
  Object.assign(process.env, env);
  return process.env;
}

/** Why this engine does not run at all in this run, if it does not. */
function notRunning(name: EngineName): string | undefined {
  const selected = process.env.TABWIRE_ENGINES?.split(',').map((engine) => engine.trim()).filter(Boolean);
  if (selected?.length && !selected.includes(name)) return `${titles[name]}: not selected (TABWIRE_ENGINES=${process.env.TABWIRE_ENGINES})`;
  return name === 'chromium' ? undefined : environment()[`TABWIRE_SKIP_${name.toUpperCase()}`];
}

interface Outcome {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  reason?: string;
}

export function conformance(name: EngineName): void {
  const absent = notRunning(name);
  let engine: Engine | undefined;
  const observed: Observations = { notes: [] };
  const outcomes = new Map<string, Outcome>();
  const all = [...scenarios, ...engineSpecific];

  describe(titles[name], () => {
    beforeAll(async () => {
      if (absent) return;
      const started = Date.now();
      engine = await launchers[name]();
      console.log(`${engine.label} started in ${Date.now() - started} ms`);
    }, 60_000);
    afterAll(async () => {
      const label = engine?.label;
      await engine?.dispose();
      // Only a run of every scenario describes the engine: not one cut short by a filter, nor an engine that did not run.
      if (absent || !label || outcomes.size < all.length) return;
      const counts = { passed: 0, failed: 0, skipped: 0 };
      for (const outcome of outcomes.values()) counts[outcome.status]++;
      const results = {
        engine: name,
        browser: label,
        driver: drivers[name],
        ranAt: new Date().toISOString(),
        sharing: observed.sharing ?? 'unknown',
        ...counts,
        scenarios: all.map((scenario) => outcomes.get(scenario.name)),
        notes: observed.notes,
        measured: observed.measured ?? {},
      };
      mkdirSync(resultsDir, { recursive: true });
      writeFileSync(new URL(`${name}.json`, resultsDir), `${JSON.stringify(results, null, 2)}\n`);
    }, 30_000);

    const register = (scenario: Scenario) => {
      const reason = absent ?? (scenario.needs && cannotByEngine[name][scenario.needs]);
      if (reason) {
        outcomes.set(scenario.name, { name: scenario.name, status: 'skipped', reason });
        it.skip(`${scenario.name} — skip: '${reason}'`, () => {});
        return;
      }
      it(scenario.name, async () => {
        // Failed unless it finishes passing: a timeout counts as a failure too.
        outcomes.set(scenario.name, { name: scenario.name, status: 'failed' });
        onTestFailed(() => void outcomes.set(scenario.name, { name: scenario.name, status: 'failed' }));
        onTestFinished(({ task }) => {
          if (task.result?.state !== 'fail') outcomes.set(scenario.name, { name: scenario.name, status: 'passed' });
        });
        // Said when slow: where a scenario that ran past its time limit stood.
        const slow = (what: string, since: number) => Date.now() - since > 5000 && console.log(`  [${name}] ${what} took ${Date.now() - since} ms`);
        const opening = Date.now();
        const world = await openWorld(engine!, observed);
        slow('opening the session', opening);
        try {
          await scenario.run(world);
        } finally {
          const closing = Date.now();
          await world.close();
          slow('closing the session', closing);
        }
      });
    };
    describe('the multi-tab contract', () => scenarios.forEach(register));
    describe('how the engine runs the worker, its timers and storage', () => engineSpecific.forEach(register));
  });
}
