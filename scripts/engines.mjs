/**
 * Find the browsers of the cross-engine conformance suite, as chromium.mjs does for
 * Chromium: Debian's Firefox ESR (driven over WebDriver BiDi) and WebKitGTK's WebDriver
 * with its MiniBrowser, which needs a display (Xvfb). Paths come from $FIREFOX_PATH,
 * $WEBKIT_WEBDRIVER_PATH, $MINIBROWSER_PATH or Debian's locations; what is missing is
 * installed with apt-get when we can (root or passwordless sudo). Otherwise the apt-get
 * line is printed and the engines that cannot run are reported as skipped, with why.
 */
import { aptInstall } from './apt.mjs';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const packages = { firefox: 'firefox-esr', webkit: 'webkit2gtk-driver', xvfb: 'xvfb' };

function runs(path, args = ['--version']) {
  if (!path || !existsSync(path)) return false;
  return spawnSync(path, args, { encoding: 'utf8', timeout: 30_000 }).status === 0;
}

function firefox() {
  for (const candidate of [process.env.FIREFOX_PATH, '/usr/bin/firefox-esr', '/usr/bin/firefox']) {
    if (runs(candidate)) return candidate;
  }
  return undefined;
}

function miniBrowser() {
  if (process.env.MINIBROWSER_PATH && existsSync(process.env.MINIBROWSER_PATH)) return process.env.MINIBROWSER_PATH;
  // Debian puts it under the multiarch triplet and the API version: /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/.
  for (const triplet of existsSync('/usr/lib') ? readdirSync('/usr/lib') : []) {
    for (const api of ['webkitgtk-6.0', 'webkit2gtk-4.1', 'webkit2gtk-4.0']) {
      const path = `/usr/lib/${triplet}/${api}/MiniBrowser`;
      if (existsSync(path)) return path;
    }
  }
  return undefined;
}

function webkit() {
  const driver = [process.env.WEBKIT_WEBDRIVER_PATH, '/usr/bin/WebKitWebDriver'].find((path) => runs(path, ['--help']));
  const browser = miniBrowser();
  return driver && browser ? { driver, browser } : undefined;
}

function xvfb() {
  return ['/usr/bin/Xvfb'].find((path) => existsSync(path));
}

function find() {
  return { firefox: firefox(), webkit: webkit(), xvfb: xvfb() };
}

function missingPackages(found) {
  return [!found.firefox && packages.firefox, !found.webkit && packages.webkit, !found.xvfb && packages.xvfb].filter(Boolean);
}

function install(names) {
  return aptInstall(names, `installing ${names.join(', ')} with apt-get (a minute or two)…`);
}

/**
 * Firefox and WebKitGTK for the conformance suite, installed if needed and possible.
 * Returns the paths found and, for each engine that cannot run, the reason (never throws):
 * `env` is what the suite reads, with TABWIRE_SKIP_<ENGINE> set to that reason.
 */
export function ensureEngines() {
  return describe(true);
}

/** The same answer without installing anything: what the conformance suite uses when run on its own. */
export function findEngines() {
  return describe(false);
}

function describe(mayInstall) {
  let found = find();
  const missing = missingPackages(found);
  const installed = mayInstall && missing.length > 0 && install(missing);
  if (installed) found = find();
  const stillMissing = missingPackages(found);
  if (stillMissing.length > 0 && mayInstall) {
    console.error(
      `tabwire: ${stillMissing.join(', ')} not installed (${installed ? 'apt-get did not provide it' : 'no root or passwordless sudo to install'}); to run every engine:\n` +
        `  sudo apt-get update && sudo apt-get install -y ${stillMissing.join(' ')}`,
    );
  }
  const skipped = {};
  // Each reason names the engine: it is printed in the name of every scenario skipped for it.
  if (!found.firefox) skipped.firefox = `Firefox: not installed (apt-get install -y ${packages.firefox})`;
  if (!found.webkit) skipped.webkit = `WebKitGTK: WebKitWebDriver or MiniBrowser not installed (apt-get install -y ${packages.webkit})`;
  else if (!found.xvfb) skipped.webkit = `WebKitGTK: MiniBrowser needs a display and Xvfb is not installed (apt-get install -y ${packages.xvfb})`;
  const env = {
    TABWIRE_ENGINES_FOUND: '1',
    ...(found.firefox && { FIREFOX_PATH: found.firefox }),
    ...(found.webkit && { WEBKIT_WEBDRIVER_PATH: found.webkit.driver, MINIBROWSER_PATH: found.webkit.browser }),
    ...(found.xvfb && { XVFB_PATH: found.xvfb }),
    ...(skipped.firefox && { TABWIRE_SKIP_FIREFOX: skipped.firefox }),
    ...(skipped.webkit && { TABWIRE_SKIP_WEBKIT: skipped.webkit }),
  };
  return { ...found, skipped, env };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { env, skipped } = ensureEngines();
  console.log(JSON.stringify({ env, skipped }, null, 2));
}
