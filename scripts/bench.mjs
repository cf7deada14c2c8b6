/**
 * `npm run bench`: set up what is missing, build the library and the pages,
 * then run the benchmarks (bench/run.ts) in real Chromium.
 */
import { execFileSync } from 'node:child_process';
import { ensureChromium } from './chromium.mjs';
import { ensureDependencies } from './setup.mjs';

ensureDependencies();
const chromium = ensureChromium();
const node = process.execPath;
const run = (args, env = {}) => execFileSync(node, args, { stdio: 'inherit', env: { ...process.env, CHROMIUM_PATH: chromium, ...env } });
run(['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn']);
run(['scripts/build-types.mjs']);
run(['node_modules/vite/bin/vite.js', 'build', '--mode', 'demo', '--logLevel', 'warn']);
run(['node_modules/tsx/dist/cli.mjs', 'bench/run.ts']);
