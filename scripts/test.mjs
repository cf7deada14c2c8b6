/**
 * `npm test`: set up what is missing, then run every test in one go —
 * type checks (including the public types' tests), unit and integration tests
 * (Vitest, Node), the library build with its size budget, and end-to-end tests
 * in real Chromium (Playwright), the multi-tab conformance scenarios in Chromium,
 * Firefox and WebKitGTK, and consumer apps (Vite, webpack 5, Next.js) built
 * against the packed package. Ends with one plain line: `N passed, N failed`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ensureChromium } from './chromium.mjs';
import { ensureEngines } from './engines.mjs';
import { ensureRedisServer } from './redis.mjs';
import { ensureDependencies } from './setup.mjs';

const started = Date.now();
let passed = 0;
let failed = 0;
const failures = [];

/** Each step's wall time, for the summary. */
const stepTimes = [];

function run(label, command, args, env = {}) {
  console.log(`\n▶ ${label}`);
  const stepStarted = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  stepTimes.push([label, Math.round((Date.now() - stepStarted) / 1000)]);
  return result.status === 0;
}

function count(label, ok, numbers) {
  if (numbers) {
    passed += numbers.passed;
    failed += numbers.failed;
    if (numbers.failed > 0 || !ok) failures.push(label);
    if (!ok && numbers.failed === 0) failed++;
  } else if (ok) {
    passed++;
  } else {
    failed++;
    failures.push(label);
  }
}

/** Each failed test's name and the start of its error, so the summary at the end names them. */
const failedTests = [];

function firstLines(text) {
  return String(text ?? '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').slice(0, 4).join(' | ').slice(0, 400);
}

function noteVitestFailures(report) {
  for (const file of report?.testResults ?? []) {
    for (const test of file.assertionResults ?? []) {
      if (test.status === 'failed') failedTests.push(`${file.name.replace(process.cwd() + '/', '')} › ${test.fullName}: ${firstLines(test.failureMessages?.[0])}`);
    }
  }
}

function notePlaywrightFailures(report) {
  const walk = (suite) => {
    for (const child of suite.suites ?? []) walk(child);
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests) {
        const last = test.results.at(-1);
        if (last && last.status !== 'passed' && last.status !== 'skipped') {
          failedTests.push(`[${test.projectName}] ${spec.file} › ${spec.title}: ${last.status} ${firstLines(last.error?.message)}`);
        }
      }
    }
  };
  if (report) walk(report);
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

ensureDependencies();
const chromium = ensureChromium();
console.log(`tabwire: Chromium at ${chromium}`);
// Firefox and WebKitGTK for the conformance step; an engine that cannot be had is skipped, by name.
const engines = ensureEngines();
for (const reason of Object.values(engines.skipped)) console.log(`tabwire: conformance skips ${reason}`);
// Redis for the Socket.IO two-node tests; without it they skip, by name.
const redisServer = ensureRedisServer();
if (redisServer) process.env.REDIS_SERVER_PATH = redisServer;
else console.log('tabwire: the Socket.IO two-node tests skip: no redis-server (sudo apt-get install -y redis-server)');
rmSync('.tmp', { recursive: true, force: true });
mkdirSync('.tmp', { recursive: true });

const node = process.execPath;
const bin = (pkg, file) => `node_modules/${pkg}/${file}`;

count('typecheck', run('type check (tsc, strict, including type tests)', node, [bin('typescript', 'bin/tsc'), '--noEmit', '-p', '.']));

/**
 * `workers`: Vitest's default here is one fewer than the cores, one on this 2-core machine. The Node
 * tests mostly wait on real timers and sockets (about 50 s of CPU in 150 s of tests), so four run
 * side by side in about 60 s instead of 150.
 */
function vitest(label, projects, output, workers) {
  const ok = run(label, node, [
    bin('vitest', 'vitest.mjs'), 'run', ...projects.flatMap((p) => ['--project', p]), ...(workers ? [`--maxWorkers=${workers}`] : []),
    '--reporter=default', '--reporter=json', `--outputFile.json=${output}`,
  ]);
  const report = readJson(output);
  noteVitestFailures(report);
  count(label, ok, report ? { passed: report.numPassedTests, failed: report.numFailedTests } : undefined);
}

vitest('unit, integration and React tests (Vitest)', ['unit', 'integration', 'react'], '.tmp/vitest.json', 4);

const built =
  run('library build (vite build + declarations)', node, [bin('vite', 'bin/vite.js'), 'build', '--logLevel', 'warn']) &&
  run('declarations', node, ['scripts/build-types.mjs']) &&
  run('demo and harness build (vite build --mode demo)', node, [bin('vite', 'bin/vite.js'), 'build', '--mode', 'demo', '--logLevel', 'warn']);
count('build', built);

if (built) vitest('the built package: exports, consumer types, size budget (Vitest)', ['package'], '.tmp/vitest-package.json');

if (built) {
  const ok = run('end-to-end tests in Chromium (Playwright)', node, [bin('@playwright/test', 'cli.js'), 'test'], { CI: '1', CHROMIUM_PATH: chromium });
  const report = readJson('.tmp/e2e-results.json');
  notePlaywrightFailures(report);
  const stats = report?.stats;
  count('e2e', ok, stats ? { passed: stats.expected + (stats.flaky ?? 0), failed: stats.unexpected } : undefined);
}

if (built) {
  // The multi-tab scenarios once per engine: Chromium (Playwright), Firefox (WebDriver BiDi), WebKitGTK (WebDriver);
  // TABWIRE_ENGINES=firefox,webkit (passed through in the environment) runs only those.
  const stepStarted = Date.now();
  const output = '.tmp/vitest-conformance.json';
  const ok = run('cross-engine conformance: Chromium, Firefox, WebKitGTK (Vitest)', node, [
    bin('vitest', 'vitest.mjs'), 'run', '--project', 'conformance',
    '--reporter=verbose', '--reporter=json', `--outputFile.json=${output}`,
  ], { ...engines.env, CHROMIUM_PATH: chromium });
  console.log(`conformance took ${Math.round((Date.now() - stepStarted) / 1000)} s`);
  const report = readJson(output);
  noteVitestFailures(report);
  if (report) console.log(`conformance: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped (each named above with its reason)`);
  // Each engine that ran in full rewrote test/conformance/results/<engine>.json; the README table is rendered from them on request.
  console.log('conformance results: test/conformance/results/ (docs/deploys.md table: npm run browser-support)');
  count('conformance', ok, report ? { passed: report.numPassedTests, failed: report.numFailedTests } : undefined);
}

if (built) {
  // Real apps (Vite, webpack 5, Next.js) built against the packed tarball; bundlers come from the npm
  // registry once, then from ~/.cache/tabwire-consumers.
  const stepStarted = Date.now();
  const ok = run('consumer apps: Vite, webpack 5, Next.js (Playwright)', node, [bin('@playwright/test', 'cli.js'), 'test', '-c', 'test/consumers/playwright.config.ts'], {
    CI: '1',
    CHROMIUM_PATH: chromium,
    NEXT_TELEMETRY_DISABLED: '1',
  });
  console.log(`consumer apps took ${Math.round((Date.now() - stepStarted) / 1000)} s`);
  const consumers = readJson('.tmp/consumers-results.json');
  notePlaywrightFailures(consumers);
  const stats = consumers?.stats;
  count('consumers', ok, stats ? { passed: stats.expected + (stats.flaky ?? 0), failed: stats.unexpected } : undefined);
}

const seconds = Math.round((Date.now() - started) / 1000);
if (failures.length > 0) console.log(`\nfailed steps: ${failures.join(', ')}`);
for (const test of failedTests) console.log(`  ✘ ${test}`);
console.log('\nsteps:');
for (const [label, stepSeconds] of stepTimes) console.log(`  ${String(stepSeconds).padStart(4)} s  ${label}`);
console.log(`\ntook ${seconds} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
