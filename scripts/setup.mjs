/**
 * Make a fresh clone runnable: install dependencies from the lock file when
 * node_modules is missing or older than the lock. Uses only Node built-ins, so
 * `npm test` and `npm start` work on a machine that has only Node and npm.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

export function ensureDependencies() {
  const marker = 'node_modules/.package-lock.json';
  const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync('package-lock.json').mtimeMs;
  if (fresh) return;
  console.log('tabwire: installing dependencies (npm ci)…');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
