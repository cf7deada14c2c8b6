/**
 * Find Debian's `redis-server` for the Socket.IO two-node tests (their nodes share
 * `@socket.io/redis-streams-adapter` on a Redis the test starts), as chromium.mjs does for
 * Chromium: $REDIS_SERVER_PATH, /usr/bin/redis-server, else `apt-get install -y redis-server`
 * when we can (root or passwordless sudo). Without it those tests skip, saying why.
 * Prints the path on stdout when run directly.
 */
import { aptInstall } from './apt.mjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function works(path) {
  if (!path || !existsSync(path)) return false;
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return result.status === 0 && /redis server/i.test(result.stdout);
}

/** The path of a working redis-server, installing Debian's package if needed and possible; undefined otherwise. */
export function ensureRedisServer() {
  for (const candidate of [process.env.REDIS_SERVER_PATH, '/usr/bin/redis-server']) {
    if (works(candidate)) return candidate;
  }
  if (aptInstall(['redis-server'], "redis-server not found; installing Debian's redis-server with apt-get (about 15 s)…") && works('/usr/bin/redis-server')) {
    return '/usr/bin/redis-server';
  }
  return undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = ensureRedisServer();
  if (!path) {
    console.error("tabwire: no redis-server. Install Debian's package: sudo apt-get install -y redis-server, or set REDIS_SERVER_PATH.");
    process.exit(1);
  }
  console.log(path);
}
