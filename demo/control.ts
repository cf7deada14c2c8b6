/** The mock backend's control API: what the server sees, and faults to inject. */
import { backend, overSse } from './session.ts';

export interface ServerStats {
  /** Sockets, or with `?transport=sse` the event streams, the server has open. */
  openSockets: number;
}

export async function serverStats(): Promise<ServerStats> {
  if (overSse) {
    const response = await fetch(`${backend}/__control/sse/stats`, { method: 'POST' });
    return { openSockets: ((await response.json()) as { open: number }).open };
  }
  const response = await fetch(`${backend}/__control/stats`);
  return (await response.json()) as ServerStats;
}

async function control(action: string, body: unknown = {}): Promise<void> {
  await fetch(`${backend}/__control/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export const dropEverySocket = () => control(overSse ? 'sse/drop' : 'drop');

export const pushMalformedFrame = () => control('push', { frame: '{not json' });

export const pushOtherTenantsEvent = () =>
  control('push', {
    frame: {
      type: 'goal.created',
      timestamp: new Date().toISOString(),
      data: { goalId: 'x', tenantId: 'someone-else' },
    },
  });
