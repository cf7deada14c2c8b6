/**
 * Consumer apps for the tests: each app of apps/ gets its bundler from the npm
 * registry (installed once per version of its package.json, under
 * ~/.cache/tabwire-consumers), a fresh copy of its sources in a temporary
 * directory (node_modules hard-linked from the cache, so runs never write into
 * it), and this repo's packed tarball unpacked as node_modules/tabwire.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '../..');
const appsDir = join(import.meta.dirname, 'apps');
const cacheRoot = process.env.TABWIRE_CONSUMERS_CACHE ?? join(homedir(), '.cache', 'tabwire-consumers');

/** Run a command to completion; throws with its output when it fails. */
export function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd} (${result.status ?? result.signal}):\n${result.stderr}\n${result.stdout}`.slice(0, 20_000));
  }
  return result.stdout;
}

/** `npm pack` of the built repo, into `dir`; returns the tarball's path. */
export function packTarball(dir: string): string {
  if (!existsSync(join(repo, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const output = run('npm', ['pack', '--json', '--pack-destination', dir], repo);
  const [{ filename }] = JSON.parse(output) as [{ filename: string }];
  return join(dir, filename);
}

/** The app's dependencies, installed once per content of its package.json. */
function cachedInstall(app: string): string {
  const manifest = readFileSync(join(appsDir, app, 'package.json'));
  const hash = createHash('sha256').update(manifest).update(process.version.split('.')[0]!).digest('hex').slice(0, 16);
  const dir = join(cacheRoot, `${app}-${hash}`);
  if (existsSync(join(dir, 'node_modules'))) return dir;
  // Installed aside and renamed into place: an interrupted install is never taken for a complete one.
  mkdirSync(cacheRoot, { recursive: true });
  const staging = mkdtempSync(join(cacheRoot, `.${app}-`));
  writeFileSync(join(staging, 'package.json'), manifest);
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], staging, { NEXT_TELEMETRY_DISABLED: '1' });
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another run installed it meanwhile
  }
  return dir;
}

/** A fresh working copy of `app` with its dependencies and the tarball installed; removed by `remove()`. */
export function prepareApp(app: string, tarball: string): { dir: string; remove(): void } {
  const installed = cachedInstall(app);
  const dir = mkdtempSync(join(tmpdir(), `tabwire-${app}-`));
  cpSync(join(appsDir, app), dir, { recursive: true });
  cpSync(join(appsDir, 'shared', 'realtime.js'), join(dir, 'realtime.js'));
  run('cp', ['-al', join(installed, 'node_modules'), join(dir, 'node_modules')], dir);
  // What npm does for a package without dependencies or scripts: its files under node_modules/<name>.
  mkdirSync(join(dir, 'node_modules', 'tabwire'));
  run('tar', ['-xzf', tarball, '-C', join(dir, 'node_modules', 'tabwire'), '--strip-components=1'], dir);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

export interface Running {
  url: string;
  stop(): Promise<void>;
}

/** Start a server process (its own process group) and wait until `url` answers. */
export async function startServer(command: string, args: string[], cwd: string, url: string, env: Record<string, string> = {}): Promise<Running> {
  const child: ChildProcess = spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      const killed = await Promise.race([exited.then(() => true), new Promise((done) => setTimeout(done, 5000, false))]);
      if (!killed) process.kill(-child.pid!, 'SIGKILL');
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited (${child.exitCode}):\n${output}`);
    const ok = await fetch(url).then((response) => response.ok, () => false);
    if (ok) return { url, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${command} did not answer at ${url} within 60 s:\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 250));
  }
}
