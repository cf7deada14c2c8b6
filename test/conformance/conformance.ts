/**
 * Registers the conformance scenarios for one engine with Vitest: one browser for the
 * whole file, a fresh isolated session per scenario, always disposed. A scenario the
 * engine cannot run is registered as skipped with the reason in its name, so the output
 * says which and why; so is every scenario of an engine that is not installed.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { findEngines } from '../../scripts/engines.mjs';
import type { Engine, EngineName } from './driver.ts';
import { cannotByEngine, launchers } from './engines.ts';
import { type Scenario, engineSpecific, scenarios } from './scenarios.ts';
import { openWorld } from './world.ts';

const titles: Record<EngineName, string> = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'WebKitGTK' };

/** Paths and skip reasons: as npm test found them (in the environment), else looked up now, without installing. */
function environment(): Record<string, string | undefined> {
  if (process.env.TABWIRE_ENGINES_FOUND) return process.env;
  const { env } = findEngines() as { env: Record<string, string> };
  Object.assign(process.env, env);
  return process.env;
}

export function conformance(name: EngineName): void {
  const notInstalled = name === 'chromium' ? undefined : environment()[`TABWIRE_SKIP_${name.toUpperCase()}`];
  let engine: Engine | undefined;

  describe(titles[name], () => {
    beforeAll(async () => {
      if (notInstalled) return;
      const started = Date.now();
      engine = await launchers[name]();
      console.log(`${engine.label} started in ${Date.now() - started} ms`);
    }, 60_000);
    afterAll(async () => {
      await engine?.dispose();
    }, 30_000);

    const register = (scenario: Scenario) => {
      const reason = notInstalled ?? (scenario.needs && cannotByEngine[name][scenario.needs]);
      if (reason) {
        it.skip(`${scenario.name} — skip: '${reason}'`, () => {});
        return;
      }
      it(scenario.name, async () => {
        const world = await openWorld(engine!);
        try {
          await scenario.run(world);
        } finally {
          await world.close();
        }
      });
    };
    describe('the multi-tab contract', () => scenarios.forEach(register));
    describe('how the engine runs the worker and its storage', () => engineSpecific.forEach(register));
  });
}
