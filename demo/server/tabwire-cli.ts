/**
 * The package's command, `npx tabwire`:
 *   tabwire mock [--port 5055] [--host 127.0.0.1] [--strict-tokens] [--token-ttl-ms N] [--broadcast-delay-ms N]
 * starts the mock backend in PurposePath's dialect for an app's local development
 * (docs/purposepath.md): the WebSocket at ws://localhost:5055 (and /realtime), the
 * REST writes that broadcast their event, and GET /api/events?since=. Built with
 * its dependencies into dist/bin/tabwire.js, so it runs with Node alone.
 */
import { routes } from './catalogue.ts';
import { startMockBackend } from './mock-backend.ts';

const usage = `Usage: tabwire mock [options]

Starts a mock of PurposePath's realtime backend for local development.

Options:
  --port <n>                 port to listen on (0: any free one)   [default: 5055]
  --host <address>           address to listen on                  [default: 127.0.0.1]
  --strict-tokens            accept only tokens from POST /auth/login (default: any token)
  --token-ttl-ms <n>         lifetime of issued access tokens      [default: 900000]
  --broadcast-delay-ms <n>   delay before a write's event is sent  [default: 0]
  --help                     this text`;

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
}

function numberOption(args: string[], name: string, fallback?: number): number | undefined {
  const text = option(args, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) fail(`--${name} must be a non-negative integer, got ${text}`);
  return value;
}

function fail(message: string): never {
  console.error(`tabwire: ${message}\n\n${usage}`);
  process.exit(2);
}

async function mock(args: string[]): Promise<void> {
  const backend = await startMockBackend({
    port: numberOption(args, 'port', 5055),
    host: option(args, 'host') ?? '127.0.0.1',
    anyToken: !args.includes('--strict-tokens'),
    tokenTtlMs: numberOption(args, 'token-ttl-ms'),
    broadcastDelayMs: numberOption(args, 'broadcast-delay-ms'),
  });
  const ws = backend.wsUrl.replace(/\/realtime$/, '');
  console.log(`tabwire mock: listening on ${backend.httpUrl}`);
  console.log(`  WebSocket    ${ws}  (or ${backend.wsUrl}); ${args.includes('--strict-tokens') ? 'tokens from POST /auth/login only' : 'any token is accepted'}`);
  console.log(`  events since GET ${backend.httpUrl}/api/events?since=<ISO 8601>`);
  console.log(`  writes       ${routes.map((route) => `${route.method} ${route.path}`).join(', ')}`);
  console.log('  (REST calls carry Authorization: Bearer <token> and X-Tenant-Id: <tenant>.)');
  const stop = () => void backend.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const [command, ...args] = process.argv.slice(2);
if (command === undefined || command === '--help' || command === 'help' || args.includes('--help')) console.log(usage);
else if (command === 'mock') mock(args).catch((error: Error) => fail(error.message));
else fail(`unknown command ${command}`);
