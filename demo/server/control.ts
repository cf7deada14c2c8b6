/**
 * The control API, `/__control/<action>`: the `MockBackend` methods over HTTP,
 * for pages and processes that cannot hold the object (the demo, e2e pages,
 * the bench page's clock).
 */
import type { ServerResponse } from 'node:http';
import { json } from './http.ts';
import type { AuthMode, MockBackend } from './mock-backend.ts';

const numberOr = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

export async function handleControl(backend: MockBackend, action: string, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
  switch (action) {
    case 'stats':
      return json(res, 200, backend.stats());
    case 'clock':
      // High-resolution epoch ms: pages measure their offset to it to time server → tab latency.
      return json(res, 200, { now: performance.timeOrigin + performance.now() });
    case 'drop':
      backend.drop(numberOr(body.code));
      return json(res, 200, { ok: true });
    case 'accepting':
      backend.setAccepting(body.accepting !== false);
      return json(res, 200, { ok: true });
    case 'auth-mode':
      backend.setAuthMode((body.mode as AuthMode) ?? 'ok', numberOr(body.count));
      return json(res, 200, { ok: true });
    case 'refresh-fails':
      backend.setRefreshFails(body.fails === true);
      return json(res, 200, { ok: true });
    case 'replay-faults':
      backend.setReplayFaults({
        fail: Number(body.fail ?? 0),
        unauthorized: Number(body.unauthorized ?? 0),
        delayMs: Number(body.delayMs ?? 0),
        stallBody: Number(body.stallBody ?? 0),
      });
      return json(res, 200, { ok: true });
    case 'expire':
      backend.expireTokens();
      return json(res, 200, { ok: true });
    case 'push':
      return json(res, 200, { sent: backend.push(body.frame, typeof body.tenantId === 'string' ? body.tenantId : undefined) });
    case 'emit':
      return json(res, 200, backend.emit(String(body.tenantId ?? 'tenant-123'), String(body.type), (body.data as Record<string, unknown>) ?? {}));
    case 'reset':
      backend.reset();
      return json(res, 200, { ok: true });
    default:
      return json(res, 404, { error: `unknown control ${action}` });
  }
}
