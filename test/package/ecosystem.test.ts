/**
 * The checks the ecosystem runs on a package, against the tarball `npm pack`
 * makes of the built package: publint (package.json fields, exports, files)
 * and Are the Types Wrong (every entry's types resolve, under node10, node16 and
 * bundler resolution). tabwire is ESM only, so attw runs with its esm-only profile.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const bin = (pkg: string, file: string) => resolve(repo, 'node_modules', pkg, file);
let dir: string;
let tarball: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tabwire-pack-'));
  const packed = spawnSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: repo, encoding: 'utf8' });
  expect(packed.status, packed.stderr).toBe(0);
  tarball = join(dir, readdirSync(dir).find((name) => name.endsWith('.tgz'))!);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed tarball', () => {
  it('passes publint with no error or warning', () => {
    const result = spawnSync(process.execPath, [bin('publint', 'src/cli.js'), 'run', tarball, '--strict'], { cwd: repo, encoding: 'utf8' });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });

  it('has types every resolution mode finds (Are the Types Wrong, ESM only)', () => {
    const result = spawnSync(process.execPath, [bin('@arethetypeswrong/cli', 'dist/index.js'), tarball, '--profile', 'esm-only', '--format', 'table-flipped'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });

  it('ships the license, the readme, the docs and the built files, and nothing of the tests or the demo', () => {
    const listed = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    expect(listed).toEqual(expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/docs/protocol.md', 'package/dist/index.js', 'package/dist/worker.js']));
    expect(listed.filter((path) => /^package\/(test|demo|src|worker|scripts)\//.test(path))).toEqual([]);
  });
});
