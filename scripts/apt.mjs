/**
 * Install Debian packages the tests need, the one way every setup script does it:
 * as root, or with passwordless sudo; otherwise report that it could not (the
 * caller says which command to run). Node built-ins only.
 */
import { execFileSync, spawnSync } from 'node:child_process';

/** True when `apt-get install -y <names>` ran and succeeded; `what` says what is being installed and how long it takes. */
export function aptInstall(names, what) {
  const asRoot = process.getuid?.() === 0;
  const sudo = !asRoot && spawnSync('sudo', ['-n', 'true']).status === 0;
  if (!asRoot && !sudo) return false;
  const run = (args) => {
    const [cmd, ...rest] = asRoot ? args : ['sudo', '-n', ...args];
    execFileSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  console.error(`tabwire: ${what}`);
  try {
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', ...names]);
    return true;
  } catch {
    return false;
  }
}
