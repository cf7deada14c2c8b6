/**
 * A channel dialect driven over a real `ws` client socket, with no engine: what the engine would
 * do with the socket alone. Frames in go to `connection.read`; `context.send` writes; a server
 * ping's reply is written back; the close goes to the dialect's `closed` when it has one. Every
 * message the dialect said is kept in order, and `next` waits for one that matches.
 */
import WebSocket from 'ws';
import type { ChannelProtocol, DialectConnection, DialectMessage, RawFrame } from '../../src/broker/protocol/channel-dialect.ts';

type Closing = { closed?(code: number, reason: string): DialectMessage[] };

export interface DialectSocket {
  connection: DialectConnection;
  /** Everything the dialect said, in order. */
  said: DialectMessage[];
  /** Frames the dialect wrote, in order. */
  sent: RawFrame[];
  /** Resolves with the first message said so far or later that matches; rejects after `timeoutMs`. */
  next<K extends DialectMessage['kind']>(kind: K, match?: (message: Extract<DialectMessage, { kind: K }>) => boolean, timeoutMs?: number): Promise<Extract<DialectMessage, { kind: K }>>;
  /** Writes a frame as the engine would (its keep-alive's ping). */
  write(frame: RawFrame): void;
  /** The close code and reason, once the socket closed. */
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

const live = new Set<WebSocket>();

export function openDialectSocket(url: string, protocol: ChannelProtocol & { subprotocols?: readonly string[] }, token?: string): DialectSocket {
  const socket = new WebSocket(url, [...(protocol.subprotocols ?? [])]);
  live.add(socket);
  const said: DialectMessage[] = [];
  const sent: RawFrame[] = [];
  const waiters = new Set<() => void>();
  const write = (frame: RawFrame) => {
    if (socket.readyState !== socket.OPEN) return;
    sent.push(frame);
    socket.send(frame);
  };
  const connection = protocol.connect({ send: write, ...(token === undefined ? {} : { token }), now: () => Date.now() });
  const tell = (messages: DialectMessage[]) => {
    said.push(...messages);
    for (const message of messages) if (message.kind === 'ping' && message.reply !== undefined) write(message.reply);
    for (const wake of [...waiters]) wake();
  };
  socket.on('open', () => connection.open());
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    const frame: RawFrame = isBinary ? new Uint8Array(data).slice().buffer : data.toString('utf8');
    tell(connection.read(frame));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code: number, reason: Buffer) => {
      live.delete(socket);
      tell((connection as DialectConnection & Closing).closed?.(code, reason.toString()) ?? []);
      resolve({ code, reason: reason.toString() });
    }),
  );
  const next: DialectSocket['next'] = (kind, match = () => true, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      type Wanted = Extract<DialectMessage, { kind: typeof kind }>;
      let seen = 0;
      const look = () => {
        for (; seen < said.length; seen++) {
          const message = said[seen]!;
          if (message.kind === kind && match(message as Wanted)) {
            finish();
            resolve(message as Wanted);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no "${kind}" message in ${timeoutMs} ms; said: ${JSON.stringify(said)}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(look);
      };
      waiters.add(look);
      look();
    });
  return { connection, said, sent, next, write, closed, close: () => socket.close() };
}

/** Terminates every socket still open; run after each test of a file that opens them. */
export function closeDialectSockets(): void {
  for (const socket of live) socket.terminate();
  live.clear();
}
