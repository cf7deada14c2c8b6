/**
 * A small channel backend on loopback for the channels tests, speaking a JSON protocol of
 * its own (`fake-channel-dialect.ts` is its client side): `hello` → `welcome`, `sub`/`unsub`
 * by the client's id, `msg` with a per-channel offset and history to recover from, `req` → `res`,
 * pings both ways. It counts what the engine sends, so the tests can prove sharing.
 */
import { type AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface ChannelServerOptions {
  /** Answer a `sub` with `from` by replaying the channel's history after it (else `recovered: false`). @default true */
  recover?: boolean;
  /** Answer `req` frames (else they go unanswered, to test timeouts). @default true */
  answerRequests?: boolean;
  /** The user a `hello` is welcomed as, asked at each one. @default () => 'u1' */
  user?: () => string;
}

interface Sub {
  socket: WebSocket;
  id: string;
  channel: string;
}

/** One operation a client sent, as the server read it. */
export interface ClientOp {
  op: string;
  id?: string;
  ch?: string;
  from?: string;
  data?: unknown;
}

export interface ChannelServer {
  url: string;
  /** Every operation received, in order. */
  readonly received: ClientOp[];
  /** Sockets accepted so far. */
  connections(): number;
  /** Live subscriptions, as `channel` names. */
  subscribed(): string[];
  /** Counts of received ops of one kind (`sub`, `unsub`, `req`…), optionally for one channel name. */
  count(op: string, channel?: string): number;
  /** Publish `data` on a channel: every subscription of it gets a `msg` with the channel's next offset. */
  publish(channel: string, data: unknown): void;
  /** Send a raw frame (text or binary) to every socket. */
  raw(frame: string | Buffer): void;
  /** Fail one channel for its subscribers with `code`. */
  fail(channel: string, code: string): void;
  /** Close every socket (the clients reconnect). */
  drop(): void;
  close(): Promise<void>;
}

/** A channel's identity at the server: its name, and its params as sent. */
const channelOf = (op: { ch?: unknown; params?: unknown }): string => (op.params === undefined ? String(op.ch) : `${String(op.ch)}${JSON.stringify(op.params)}`);

export async function startChannelServer(options: ChannelServerOptions = {}): Promise<ChannelServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const received: ClientOp[] = [];
  const subs: Sub[] = [];
  const history = new Map<string, Array<{ offset: number; data: unknown }>>();
  let connections = 0;
  const sendTo = (socket: WebSocket, value: unknown) => socket.send(JSON.stringify(value));

  const onOp = (socket: WebSocket, op: Record<string, unknown>) => {
    const channel = op.op === 'sub' ? channelOf(op) : subs.find((s) => s.socket === socket && s.id === op.id)?.channel;
    received.push({ op: String(op.op), ...(typeof op.id === 'string' ? { id: op.id } : {}), ...(channel ? { ch: channel } : {}), ...(typeof op.from === 'string' ? { from: op.from } : {}), ...(op.data !== undefined ? { data: op.data } : {}) });
    switch (op.op) {
      case 'hello':
        return sendTo(socket, { op: 'welcome', time: Date.now(), user: options.user?.() ?? 'u1' });
      case 'sub': {
        subs.push({ socket, id: String(op.id), channel: channel! });
        const past = history.get(channel!) ?? [];
        if (typeof op.from !== 'string') return sendTo(socket, { op: 'subbed', id: op.id, offset: String(past.at(-1)?.offset ?? 0) });
        if (options.recover === false) return sendTo(socket, { op: 'subbed', id: op.id, recovered: false, offset: String(past.at(-1)?.offset ?? 0) });
        const missed = past.filter((entry) => entry.offset > Number(op.from));
        // Several messages in one frame: the replayed ones, then the answer.
        return sendTo(socket, [...missed.map((m) => ({ op: 'msg', id: op.id, data: m.data, offset: String(m.offset) })), { op: 'subbed', id: op.id, recovered: true }]);
      }
      case 'unsub': {
        const at = subs.findIndex((s) => s.socket === socket && s.id === op.id);
        if (at >= 0) subs.splice(at, 1);
        return;
      }
      case 'req':
        if (options.answerRequests === false) return;
        if ((op.data as { fail?: boolean } | undefined)?.fail) return sendTo(socket, { op: 'res', id: op.id, error: { code: 'NOPE', message: 'refused by the test server' } });
        return sendTo(socket, { op: 'res', id: op.id, data: { echo: op.data } });
      case 'ping':
        return sendTo(socket, { op: 'pong' });
    }
  };

  server.on('connection', (socket) => {
    connections++;
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        onOp(socket, JSON.parse(String(data)) as Record<string, unknown>);
      } catch {
        // Not this protocol: ignored.
      }
    });
    socket.on('close', () => {
      for (let i = subs.length - 1; i >= 0; i--) if (subs[i]!.socket === socket) subs.splice(i, 1);
    });
  });

  const address = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${address.port}/`,
    received,
    connections: () => connections,
    subscribed: () => subs.map((s) => s.channel),
    count: (op, channel) => received.filter((r) => r.op === op && (channel === undefined || r.ch === channel)).length,
    publish(channel, data) {
      const past = history.get(channel) ?? [];
      const offset = (past.at(-1)?.offset ?? 0) + 1;
      past.push({ offset, data });
      history.set(channel, past);
      for (const sub of subs) if (sub.channel === channel) sendTo(sub.socket, { op: 'msg', id: sub.id, data, offset: String(offset) });
    },
    raw(frame) {
      for (const socket of server.clients) socket.send(frame);
    },
    fail(channel, code) {
      for (const sub of subs.filter((s) => s.channel === channel)) sendTo(sub.socket, { op: 'err', id: sub.id, code, message: `channel ${channel} failed` });
    },
    drop() {
      for (const socket of server.clients) socket.terminate();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of server.clients) socket.terminate();
        server.close(() => resolve());
      }),
  };
}
