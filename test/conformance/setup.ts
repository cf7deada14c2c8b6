/**
 * Once before the conformance suite: the harness must be built (dist-demo), and a second
 * build with another build id (dist-demo-next) is made for the deploy scenario unless one
 * newer than dist-demo is there already (the end-to-end deploy test makes the same).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

export default function setup(): void {
  if (!existsSync('dist-demo/harness.html')) {
    throw new Error('the harness is not built: run `npx vite build --mode demo --logLevel warn` first');
  }
  const next = 'dist-demo-next/harness.html';
  if (existsSync(next) && statSync(next).mtimeMs >= statSync('dist-demo/harness.html').mtimeMs) return;
  const built = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--mode', 'demo', '--logLevel', 'error'], {
    env: { ...process.env, TABWIRE_BUILD_ID: `next-${Date.now()}`, DEMO_OUT_DIR: 'dist-demo-next' },
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`the second build failed: ${built.stderr}`);
}
