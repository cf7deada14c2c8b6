/**
 * Run the mock backend from the command line:
 *   npx tsx demo/server/cli.ts [--port 8787] [--idle-timeout-ms 600000] [--token-ttl-ms 900000]
 */
import { startMockBackend } from './mock-backend.ts';

function arg(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : undefined;
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

const backend = await startMockBackend({
  port: arg('port') ?? Number(process.env.MOCK_PORT ?? 8787),
  idleTimeoutMs: arg('idle-timeout-ms'),
  tokenTtlMs: arg('token-ttl-ms'),
});
console.log(`mock backend: ${backend.httpUrl}  (WebSocket ${backend.wsUrl}, control ${backend.httpUrl}/__control/stats)`);
const stop = () => void backend.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
