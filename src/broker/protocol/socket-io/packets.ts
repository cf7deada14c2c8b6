/**
 * Socket.IO v5 packets, the payload of an Engine.IO message:
 * `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]`, the same text `socket.io-parser`
 * writes and reads. Written here because that parser's decoder is an event emitter that throws
 * on bad input and brings `debug` into the worker (about 2.3 kB gzip), where `read` must return
 * what a frame said and never throw; test/unit/broker/protocol/socket-io-packets.test.ts checks
 * this framing against `socket.io-parser` both ways.
 */

export type SocketPacket =
  | { type: 'connect'; nsp: string; data: Record<string, unknown> }
  | { type: 'disconnect'; nsp: string }
  | { type: 'event'; nsp: string; id?: number; name: string; args: unknown[] }
  | { type: 'ack'; nsp: string; id: number; args: unknown[] }
  | { type: 'connect-error'; nsp: string; message: string; data?: unknown };

const TYPES = ['connect', 'disconnect', 'event', 'ack', 'connect-error', 'binary-event', 'binary-ack'] as const;

/** A packet as text (`nsp` '/' is left out, as the reference parser does). */
export function writeSocketPacket(type: 0 | 1 | 2 | 3, nsp: string, data?: unknown, id?: number): string {
  const namespace = nsp === '/' ? '' : `${nsp},`;
  return `${type}${namespace}${id ?? ''}${data === undefined ? '' : JSON.stringify(data)}`;
}

/** One Engine.IO message's text as a Socket.IO packet, or why it is not one. */
export function readSocketPacket(text: string): SocketPacket | { error: string } {
  const type = TYPES[Number(text[0])];
  if (!type || !/^\d/.test(text)) return { error: 'not a Socket.IO packet' };
  if (type === 'binary-event' || type === 'binary-ack') return { error: 'binary attachments are not supported' };
  let at = 1;
  let nsp = '/';
  if (text[at] === '/') {
    const comma = text.indexOf(',', at);
    const end = comma === -1 ? text.length : comma;
    nsp = text.slice(at, end);
    at = end + 1;
  }
  const digits = /^\d*/.exec(text.slice(at))![0];
  const id = digits ? Number(digits) : undefined;
  at += digits.length;
  const body = text.slice(at);
  let data: unknown;
  if (body) {
    try {
      data = JSON.parse(body);
    } catch {
      return { error: `Socket.IO ${type} packet's payload is not JSON` };
    }
  }
  return shaped(type, nsp, id, data);
}

function shaped(type: (typeof TYPES)[number], nsp: string, id: number | undefined, data: unknown): SocketPacket | { error: string } {
  const invalid = { error: `Socket.IO ${type} packet has an invalid payload` };
  switch (type) {
    case 'connect':
      return isRecord(data) ? { type, nsp, data } : invalid;
    case 'disconnect':
      return data === undefined ? { type, nsp } : invalid;
    case 'event':
      return Array.isArray(data) && typeof data[0] === 'string' ? { type, nsp, id, name: data[0], args: data.slice(1) } : invalid;
    case 'ack':
      return Array.isArray(data) && id !== undefined ? { type, nsp, id, args: data } : invalid;
    case 'connect-error':
      if (typeof data === 'string') return { type, nsp, message: data };
      return isRecord(data) && typeof data.message === 'string' ? { type, nsp, message: data.message, data: data.data } : invalid;
    default:
      return invalid;
  }
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
