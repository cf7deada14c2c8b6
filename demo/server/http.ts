/** HTTP helpers every REST answer of the mock backend uses: CORS, JSON answers, JSON bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The demo page and tests call from another origin (the Vite server, a test page). */
export const cors = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PATCH, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, X-Tenant-Id, Content-Type',
  'Access-Control-Max-Age': '600',
};

export const jsonHeaders = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...cors };

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, jsonHeaders);
  res.end(JSON.stringify(body));
}

/** The body as an object: empty or not an object reads as `{}`; more than 1 MiB or not JSON throws. */
export async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  if (chunks.length === 0) return {};
  const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
