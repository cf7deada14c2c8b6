/**
 * What the server sends: timestamps, frames to one socket, events broadcast to
 * a tenant's authenticated sockets and kept per tenant for replay, raw frames.
 */
import { completePayload } from './catalogue.ts';
import { render } from './dialect.ts';
import { deliverSse } from './sse.ts';
import type { Connection, MockState, StoredEnvelope } from './state.ts';

/** A timestamp for a frame, strictly later than the previous one. */
export function isoNow(state: MockState): string {
  // Strictly increasing millisecond timestamps keep the replay order well defined.
  state.lastTimestamp = Math.max(Date.now(), state.lastTimestamp + 1);
  return new Date(state.lastTimestamp).toISOString();
}

export function sendFrame(connection: Connection, frame: unknown): void {
  if (connection.socket.readyState !== connection.socket.OPEN) return;
  // Text as is, bytes as a binary frame, anything else as JSON.
  connection.socket.send(typeof frame === 'string' || frame instanceof Uint8Array ? frame : JSON.stringify(frame));
}

function remember(state: MockState, tenantId: string, envelope: StoredEnvelope): void {
  const list = state.history.get(tenantId) ?? [];
  list.push(envelope);
  const { replayCapacity } = state.settings;
  if (list.length > replayCapacity) list.splice(0, list.length - replayCapacity);
  state.history.set(tenantId, list);
}

/** Sends the serialized envelope to each authenticated socket of the tenant, counting each, and to its SSE streams. */
function deliver(state: MockState, tenantId: string, text: string, envelope: StoredEnvelope): void {
  deliverSse(state, tenantId, envelope, text);
  for (const connection of state.connections) {
    if (connection.actor?.tenantId === tenantId) {
      sendFrame(connection, text);
      state.counters.eventsBroadcast++;
    }
  }
}

/** A catalogue event, now: complete payload overlaid with `data`, kept, then broadcast (after the configured delay). */
export function emitEvent(state: MockState, tenantId: string, type: string, data: Record<string, unknown>): Record<string, unknown> {
  const timestamp = isoNow(state);
  const payload = completePayload(type, { tenantId, userId: 'user-456' }, data, timestamp);
  const envelope = { type, timestamp, data: { ...payload, tenantId: data.tenantId ?? tenantId } };
  remember(state, tenantId, envelope);
  const text = JSON.stringify(render(state, envelope));
  const { broadcastDelayMs } = state.settings;
  if (broadcastDelayMs > 0) setTimeout(() => deliver(state, tenantId, text, envelope), broadcastDelayMs);
  else deliver(state, tenantId, text, envelope);
  return envelope;
}

/** An envelope exactly as given, kept and broadcast at once (never delayed). */
export function broadcastEnvelope(state: MockState, tenantId: string, envelope: StoredEnvelope): void {
  remember(state, tenantId, envelope);
  deliver(state, tenantId, JSON.stringify(render(state, envelope)), envelope);
}

/** A raw frame to every authenticated socket, or those of one tenant; not kept, not counted as broadcast. */
export function pushFrame(state: MockState, frame: unknown, tenantId: string | undefined): number {
  let sent = 0;
  for (const connection of state.connections) {
    if (!connection.actor || (tenantId !== undefined && connection.actor.tenantId !== tenantId)) continue;
    sendFrame(connection, frame);
    sent++;
  }
  return sent;
}

/** The tenant's kept events stamped at or after `since` (ms since epoch). */
export function eventsSince(state: MockState, tenantId: string, since: number): StoredEnvelope[] {
  // Inclusive: events at exactly `since` come back too; clients de-duplicate.
  return (state.history.get(tenantId) ?? []).filter((event) => Date.parse(String(event.timestamp)) >= since);
}
