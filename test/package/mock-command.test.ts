/**
 * `npx tabwire mock`, as a PurposePath developer runs it: the packed package, unpacked
 * where no node_modules can be found, its bin run with Node alone on a free port. A
 * WebSocket client authenticates, a REST write's event arrives on it, and events-since
 * answers with it. Needs `npm run build` first.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const repo = resolve(import.meta.dirname, '../..');
let dir: string;
let bin: string;
let child: ChildProcess | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tabwire-mock-'));
  const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: repo, encoding: 'utf8' })) as [{ filename: string }];
  execFileSync('tar', ['-xzf', join(dir, filename), '-C', dir]);
  const pkg = JSON.parse(readFileSync(join(dir, 'package', 'package.json'), 'utf8')) as { bin: Record<string, string> };
  bin = join(dir, 'package', pkg.bin.tabwire!);
});
afterAll(() => {
  if (child?.exitCode === null) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** Starts the bin from the unpacked package, in a directory without node_modules; resolves once it listens. */
async function startMock(port: number): Promise<void> {
  child = spawn(process.execPath, [bin, 'mock', '--port', String(port)], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((done, fail) => {
    child!.stdout!.on('data', (chunk) => {
      output += chunk;
      if (output.includes(`listening on http://127.0.0.1:${port}`)) done();
    });
    child!.stderr!.on('data', (chunk) => (output += chunk));
    child!.once('exit', (code) => fail(new Error(`tabwire mock exited (${code}):\n${output}`)));
  });
}

describe('npx tabwire mock', () => {
  it('ships as a bin that runs with Node alone', () => {
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(execFileSync(process.execPath, [bin, '--help'], { cwd: dir, encoding: 'utf8' })).toContain('tabwire mock');
  });

  it('serves the guide’s local development: auth over the socket, a REST write’s event, events-since', async () => {
    const port = await freePort();
    await startMock(port);
    const http = `http://127.0.0.1:${port}`;
    const { accessToken, tenantId } = (await (await fetch(`${http}/auth/login`, { method: 'POST', body: '{}' })).json()) as { accessToken: string; tenantId: string };
    // The guide's URL has no path: ws://localhost:5055.
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    const frames: Array<{ type: string; data: Record<string, unknown>; timestamp: string }> = [];
    socket.on('message', (text) => frames.push(JSON.parse(String(text))));
    await new Promise((done, fail) => (socket.once('open', done), socket.once('error', fail)));
    socket.send(JSON.stringify({ action: 'auth', token: accessToken }));
    await until(() => frames.some((frame) => frame.type === 'auth.success'));
    const before = new Date(Date.now() - 1000).toISOString();
    const headers = { Authorization: `Bearer ${accessToken}`, 'X-Tenant-Id': tenantId, 'Content-Type': 'application/json' };
    const write = await fetch(`${http}/api/goals`, { method: 'POST', headers, body: JSON.stringify({ goalId: 'g-mock', title: 'From the bin' }) });
    expect(write.status).toBe(201);
    await until(() => frames.some((frame) => frame.type === 'goal.created'));
    expect(frames.find((frame) => frame.type === 'goal.created')?.data).toMatchObject({ goalId: 'g-mock', title: 'From the bin', tenantId });
    const since = (await (await fetch(`${http}/api/events?since=${encodeURIComponent(before)}`, { headers })).json()) as Array<{ type: string; data: { goalId?: string } }>;
    expect(since.map((event) => [event.type, event.data.goalId])).toEqual([['goal.created', 'g-mock']]);
    socket.close();
  });

  it('accepts the app’s own token (a JWT of its auth), as the tenant its claims name', async () => {
    const port = await freePort();
    child?.kill('SIGTERM');
    await startMock(port);
    const claims = Buffer.from(JSON.stringify({ sub: 'user-jwt', 'custom:tenantId': 'tenant-jwt' })).toString('base64url');
    const socket = new WebSocket(`ws://127.0.0.1:${port}/realtime`);
    const frames: Array<{ type: string; data: Record<string, unknown> }> = [];
    socket.on('message', (text) => frames.push(JSON.parse(String(text))));
    await new Promise((done, fail) => (socket.once('open', done), socket.once('error', fail)));
    socket.send(JSON.stringify({ action: 'auth', token: `header.${claims}.signature` }));
    await until(() => frames.length > 0);
    expect(frames[0]).toMatchObject({ type: 'auth.success', data: { tenantId: 'tenant-jwt', userId: 'user-jwt' } });
    socket.close();
  });
});

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((done) => setTimeout(done, 20));
  }
}
