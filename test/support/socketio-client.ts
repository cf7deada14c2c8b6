/**
 * Drives a channel dialect (`ChannelProtocol`) over a real `ws` WebSocket, the engine's part
 * in miniature: frames in through `connection.read`, `context.send` written to the socket, a
 * server ping's reply written back. Every message read is kept, in order, for the test to wait on.
 */
import WebSocket from 'ws';
import type { ChannelProtocol, DialectConnection, DialectMessage } from '../../src/broker/protocol/channel-dialect.ts';

export interface DialectSocket {
  connection: DialectConnection;
  /** Every message read so far, in order. */
  messages: DialectMessage[];
  /** Frames written by the client, in order (pongs included). */
  sent: string[];
  /** Resolves with the first message (from `after` on) matching, or rejects after `timeoutMs`. */
  waitFor<K extends DialectMessage['kind']>(kind: K, match?: (message: Extract<DialectMessage, { kind: K }>) => boolean, timeoutMs?: number): Promise<Extract<DialectMessage, { kind: K }>>;
  /** Resolves once the socket closed. */
  closed: Promise<void>;
  close(): void;
}

export function openDialectSocket(url: string, protocol: ChannelProtocol, token?: string, clock: () => number = Date.now): Promise<DialectSocket> {
  const ws = new WebSocket(url);
  const messages: DialectMessage[] = [];
  const sent: string[] = [];
  const waiters = new Set<() => void>();
  const send = (frame: string | ArrayBuffer) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (typeof frame === 'string') sent.push(frame);
    ws.send(frame);
  };
  const connection = protocol.connect({ send, token, now: clock });
  ws.on('message', (data, isBinary) => {
    const frame = isBinary ? new Uint8Array(data as Buffer).slice().buffer : (data as Buffer).toString('utf8');
    for (const message of connection.read(frame)) {
      messages.push(message);
      if (message.kind === 'ping' && message.reply !== undefined) send(message.reply);
    }
    for (const wake of [...waiters]) wake();
  });
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  const waitFor: DialectSocket['waitFor'] = (kind, match, timeoutMs = 5_000) =>
    new Promise((resolve, reject) => {
      type M = Extract<DialectMessage, { kind: typeof kind }>;
      const find = () => messages.find((message): message is M => message.kind === kind && (!match || match(message as M)));
      const check = () => {
        const found = find();
        if (!found) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no ${kind} message within ${timeoutMs} ms; read: ${JSON.stringify(messages)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      connection.open();
      resolve({ connection, messages, sent, waitFor, closed, close: () => ws.close() });
    });
  });
}
