/**
 * Find Debian's Chromium for Playwright (test tools cannot download browsers
 * here). Order: $CHROMIUM_PATH, /usr/bin/chromium, then install it with
 * apt-get when we can (root or passwordless sudo); otherwise fail with the
 * exact command to run. Prints the path on stdout when run directly.
 */
import { aptInstall } from './apt.mjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function works(path) {
  if (!path || !existsSync(path)) return false;
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return result.status === 0 && /chrom/i.test(result.stdout);
}

function install() {
  return aptInstall(['chromium'], "Chromium not found; installing Debian's chromium with apt-get (about 30 s)…");
}

/** The path of a working Chromium; installs it if needed and possible, else throws with the fix. */
export function ensureChromium() {
  for (const candidate of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (works(candidate)) return candidate;
  }
  if (install() && works('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error(
    'tabwire: no Chromium found. Install Debian\'s package and run again:\n' +
      '  sudo apt-get update && sudo apt-get install -y chromium\n' +
      'or point CHROMIUM_PATH at a Chromium binary.',
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(ensureChromium());
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
