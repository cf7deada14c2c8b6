/**
 * A backend on loopback speaking a Centrifugo-like client protocol (JSON over WebSocket, as
 * Centrifugo's client protocol documentation describes it), for the tests of the worker entry
 * docs/protocols.md gives as its example: commands `{id, connect|subscribe|unsubscribe|rpc: {…}}`
 * answered `{id, <same>: {…}}` or `{id, error: {code, message}}`; publications pushed as
 * `{push: {channel, pub: {data, offset}}}`; empty-object pings answered with `{}`. Replies written
 * in one task go out in one frame, separated by newlines, as the real server coalesces them.
 *
 * Each channel keeps a bounded history and an epoch: a subscribe asking to recover from an offset
 * gets the publications after it, unless the history no longer reaches back that far or the epoch
 * changed (`restart()`), when it answers `recovered: false`.
 */
import { type AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface CentrifugoLikeOptions {
  /** Publications kept per channel. @default 100 */
  historySize?: number;
  /** Whether a connect with this token is accepted (else error 109, token expired). @default any non-empty token */
  acceptToken?: (token: string) => boolean;
  /** Channels whose subscribe is refused with error 103, permission denied. @default [] */
  denied?: string[];
  /** Sends an empty-object ping this often, in ms; 0: never. @default 0 */
  pingIntervalMs?: number;
}

/** A command as the server read it. */
export interface Command {
  id: number;
  method: 'connect' | 'subscribe' | 'unsubscribe' | 'rpc';
  params: Record<string, unknown>;
}

interface Channel {
  epoch: string;
  /** Offset of the newest publication (0: none yet). */
  top: number;
  history: Array<{ offset: number; data: unknown }>;
}

export interface CentrifugoLikeServer {
  url: string;
  /** Every command received, in order. */
  readonly commands: Command[];
  /** Tokens of the connect commands, in order. */
  readonly tokens: string[];
  /** Sockets accepted so far. */
  connections(): number;
  /** Frames received holding no command (`{}`): answers to the server's pings. */
  pongs(): number;
  /** Frames sent holding more than one reply. */
  batchedFrames(): number;
  /** Commands of one method, optionally for one channel. */
  count(method: Command['method'], channel?: string): number;
  /** Live subscriptions, as channel names (one per socket holding it). */
  subscribed(): string[];
  /** Publishes `data` on `channel` at its next offset, to every socket subscribed to it. */
  publish(channel: string, data: unknown): number;
  /** The channel's current epoch. */
  epoch(channel: string): string;
  /** A restart: every socket closed, every channel's history lost and its epoch changed. */
  restart(): void;
  /** Closes every socket (the clients reconnect); history and epochs stay. */
  drop(): void;
  close(): Promise<void>;
}

export async function startCentrifugoLikeServer(options: CentrifugoLikeOptions = {}): Promise<CentrifugoLikeServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const historySize = options.historySize ?? 100;
  const acceptToken = options.acceptToken ?? ((token: string) => token.length > 0);
  const commands: Command[] = [];
  const tokens: string[] = [];
  const channels = new Map<string, Channel>();
  const subs = new Map<WebSocket, Set<string>>();
  const outbox = new Map<WebSocket, string[]>();
  let generation = 1;
  let connections = 0;
  let pongs = 0;
  let batchedFrames = 0;

  const channelOf = (name: string): Channel => {
    let channel = channels.get(name);
    if (!channel) channels.set(name, (channel = { epoch: `e${generation}-${name}`, top: 0, history: [] }));
    return channel;
  };
  // Replies written in one task share a frame, newline-separated.
  const write = (socket: WebSocket, reply: unknown) => {
    const queued = outbox.get(socket);
    if (queued) return void queued.push(JSON.stringify(reply));
    outbox.set(socket, [JSON.stringify(reply)]);
    setImmediate(() => {
      const lines = outbox.get(socket) ?? [];
      outbox.delete(socket);
      if (lines.length > 1) batchedFrames++;
      if (socket.readyState === socket.OPEN) socket.send(lines.join('\n'));
    });
  };

  const subscribe = (socket: WebSocket, id: number, params: Record<string, unknown>) => {
    const name = String(params.channel);
    if (options.denied?.includes(name)) return write(socket, { id, error: { code: 103, message: 'permission denied' } });
    const held = subs.get(socket)!;
    if (held.has(name)) return write(socket, { id, error: { code: 105, message: 'already subscribed' } });
    held.add(name);
    const channel = channelOf(name);
    const result: Record<string, unknown> = { recoverable: true, epoch: channel.epoch, offset: channel.top };
    if (params.recover === true) {
      const from = Number(params.offset ?? 0);
      const oldestKept = channel.history[0]?.offset ?? channel.top + 1;
      // Recoverable only within the same epoch, and while the history still holds every publication after `from`.
      const recovered = params.epoch === channel.epoch && from <= channel.top && from + 1 >= oldestKept;
      result.recovered = recovered;
      result.publications = recovered ? channel.history.filter((pub) => pub.offset > from).map((pub) => ({ data: pub.data, offset: pub.offset })) : [];
    }
    write(socket, { id, subscribe: result });
  };

  const onCommand = (socket: WebSocket, command: Record<string, unknown>) => {
    const id = Number(command.id);
    const method = (['connect', 'subscribe', 'unsubscribe', 'rpc'] as const).find((name) => typeof command[name] === 'object');
    if (!method) return void pongs++;
    const params = command[method] as Record<string, unknown>;
    commands.push({ id, method, params });
    if (method !== 'connect' && !subs.has(socket)) return write(socket, { id, error: { code: 101, message: 'unauthorized' } });
    switch (method) {
      case 'connect': {
        const token = String(params.token ?? '');
        tokens.push(token);
        if (!acceptToken(token)) return write(socket, { id, error: { code: 109, message: 'token expired' } });
        subs.set(socket, new Set());
        return write(socket, { id, connect: { client: `client-${connections}`, version: '0.0.0-test', ping: options.pingIntervalMs ? Math.ceil(options.pingIntervalMs / 1000) : 0, pong: true } });
      }
      case 'subscribe':
        return subscribe(socket, id, params);
      case 'unsubscribe':
        subs.get(socket)!.delete(String(params.channel));
        return write(socket, { id, unsubscribe: {} });
      case 'rpc':
        if (params.method !== 'echo') return write(socket, { id, error: { code: 104, message: 'method not found' } });
        return write(socket, { id, rpc: { data: { echo: params.data } } });
    }
  };

  server.on('connection', (socket) => {
    connections++;
    const pinger = options.pingIntervalMs ? setInterval(() => write(socket, {}), options.pingIntervalMs) : undefined;
    socket.on('message', (data) => {
      // A client may write several commands in one frame, newline-separated.
      for (const line of String(data).split('\n')) {
        if (line.trim() === '') continue;
        try {
          onCommand(socket, JSON.parse(line) as Record<string, unknown>);
        } catch {
          socket.close(3501, 'bad request');
          return;
        }
      }
    });
    socket.on('close', () => {
      clearInterval(pinger);
      subs.delete(socket);
    });
  });

  const terminateAll = () => {
    for (const socket of server.clients) socket.terminate();
  };
  const address = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${address.port}/connection/websocket`,
    commands,
    tokens,
    connections: () => connections,
    pongs: () => pongs,
    batchedFrames: () => batchedFrames,
    count: (method, channel) => commands.filter((c) => c.method === method && (channel === undefined || c.params.channel === channel)).length,
    subscribed: () => [...subs.values()].flatMap((held) => [...held]),
    publish(name, data) {
      const channel = channelOf(name);
      const offset = ++channel.top;
      channel.history.push({ offset, data });
      if (channel.history.length > historySize) channel.history.shift();
      for (const [socket, held] of subs) if (held.has(name)) write(socket, { push: { channel: name, pub: { data, offset } } });
      return offset;
    },
    epoch: (name) => channelOf(name).epoch,
    restart() {
      terminateAll();
      generation++;
      channels.clear();
    },
    drop: terminateAll,
    close: () =>
      new Promise<void>((resolve) => {
        terminateAll();
        server.close(() => resolve());
      }),
  };
}
