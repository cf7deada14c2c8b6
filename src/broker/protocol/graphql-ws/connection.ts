/**
 * One socket's graphql-transport-ws state: the handshake's step, and which operation id on this
 * socket stands for which channel key or request. Ids are this socket's own (graphql-ws servers
 * keep them per socket); the engine's keys and request ids never reach the wire.
 */
import { MessageType, stringifyMessage, type Message, type NextMessage, type SubscribePayload } from 'graphql-ws/client';
import type { DialectContext, DialectConnection, DialectMessage, RawFrame } from '../channel-dialect.ts';
import type { ChannelPosition, ChannelSpec } from '../../../link/channels.ts';
import { closeRefusal } from './close-codes.ts';
import { summarizeErrors } from './graphql-errors.ts';
import { readOperation } from './operation.ts';
import { readFrame } from './read-frame.ts';

/** What an operation id on this socket is for. A request is answered by its first result. */
type Operation = { kind: 'channel'; key: string } | { kind: 'request'; requestId: string; answered: boolean };

/** `init-sent`: `connection_init` went out, frames for operations wait for the ack (a server closes with 4401 otherwise). */
type Step = 'connecting' | 'init-sent' | 'acknowledged';

export interface GraphqlWsConnection extends DialectConnection {
  /**
   * The socket closed: the refusal its close code carries, if any, and a failed `response` for
   * each request still unanswered (a mutation's outcome is unknown: it is never sent again).
   */
  closed(code: number, reason: string): DialectMessage[];
}

export class GraphqlWsSocketState implements GraphqlWsConnection {
  readonly #context: DialectContext;
  readonly #initPayload: () => Record<string, unknown> | undefined;
  readonly #pings: boolean;
  #step: Step = 'connecting';
  #lastId = 0;
  readonly #operations = new Map<string, Operation>();
  readonly #idsByKey = new Map<string, string>();
  #waiting: string[] = [];

  constructor(context: DialectContext, initPayload: () => Record<string, unknown> | undefined, pings: boolean) {
    this.#context = context;
    this.#initPayload = initPayload;
    this.#pings = pings;
  }

  open(): void {
    const payload = this.#initPayload();
    this.#step = 'init-sent';
    this.#context.send(stringifyMessage(payload ? { type: MessageType.ConnectionInit, payload } : { type: MessageType.ConnectionInit }));
  }

  read(frame: RawFrame): DialectMessage[] {
    const read = readFrame(frame);
    if (!read.ok) return [{ kind: 'malformed', message: read.reason }];
    return this.#said(read.message);
  }

  subscribe(key: string, channel: ChannelSpec, _from?: ChannelPosition): void {
    const payload = readOperation(channel.params);
    if (this.#idsByKey.has(key)) this.unsubscribe(key, channel);
    const id = this.#start(payload, { kind: 'channel', key });
    this.#idsByKey.set(key, id);
  }

  unsubscribe(key: string, _channel: ChannelSpec): void {
    const id = this.#idsByKey.get(key);
    if (id === undefined) return;
    this.#forget(id);
    this.#write(stringifyMessage({ type: MessageType.Complete, id }));
  }

  request(id: string, message: unknown): void {
    this.#start(readOperation(message), { kind: 'request', requestId: id, answered: false });
  }

  ping(): RawFrame | undefined {
    return this.#pings ? stringifyMessage({ type: MessageType.Ping }) : undefined;
  }

  closed(code: number, reason: string): DialectMessage[] {
    const said: DialectMessage[] = [];
    const refusal = closeRefusal(code, reason);
    if (refusal) said.push(refusal);
    for (const operation of this.#operations.values()) {
      if (operation.kind === 'request' && !operation.answered) {
        said.push({ kind: 'response', id: operation.requestId, ok: false, code: 'CONNECTION_CLOSED', message: `the socket closed (${code}) before the answer came` });
      }
    }
    this.#operations.clear();
    this.#idsByKey.clear();
    this.#waiting = [];
    return said;
  }

  #said(message: Message): DialectMessage[] {
    switch (message.type) {
      case MessageType.ConnectionAck:
        return this.#acknowledged();
      case MessageType.Ping:
        return [{ kind: 'ping', reply: stringifyMessage(message.payload ? { type: MessageType.Pong, payload: message.payload } : { type: MessageType.Pong }) }];
      case MessageType.Pong:
        return [{ kind: 'pong' }];
      case MessageType.Next:
        return this.#next(message);
      case MessageType.Error:
        return this.#ended(message.id, summarizeErrors(message.payload));
      case MessageType.Complete:
        return this.#ended(message.id);
      default:
        return [{ kind: 'malformed', message: `a server does not send "${message.type}"` }];
    }
  }

  #acknowledged(): DialectMessage[] {
    if (this.#step === 'acknowledged') return [];
    this.#step = 'acknowledged';
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const frame of waiting) this.#context.send(frame);
    return [{ kind: 'accepted' }];
  }

  /** A result: a channel's message, or a request's answer. A request whose operation streams on is completed at its second result. */
  #next(message: NextMessage): DialectMessage[] {
    const operation = this.#operations.get(message.id);
    if (!operation) return [];
    if (operation.kind === 'channel') return [{ kind: 'channel-message', key: operation.key, data: message.payload }];
    if (!operation.answered) {
      operation.answered = true;
      return [{ kind: 'response', id: operation.requestId, ok: true, data: message.payload }];
    }
    this.#forget(message.id);
    this.#write(stringifyMessage({ type: MessageType.Complete, id: message.id }));
    return [];
  }

  /** The server ended an operation: with errors (`error`), or without (`complete`). */
  #ended(id: string, errors?: { code: string; message: string }): DialectMessage[] {
    const operation = this.#operations.get(id);
    if (!operation) return [];
    this.#forget(id);
    if (operation.kind === 'channel') {
      return [errors ? { kind: 'channel-error', key: operation.key, ...errors } : { kind: 'channel-complete', key: operation.key }];
    }
    if (operation.answered) return [];
    const failure = errors ?? { code: 'NO_RESULT', message: 'the operation completed without a result' };
    return [{ kind: 'response', id: operation.requestId, ok: false, ...failure }];
  }

  #start(payload: SubscribePayload, operation: Operation): string {
    const id = String(++this.#lastId);
    this.#operations.set(id, operation);
    this.#write(stringifyMessage({ type: MessageType.Subscribe, id, payload }));
    return id;
  }

  #forget(id: string): void {
    const operation = this.#operations.get(id);
    this.#operations.delete(id);
    if (operation?.kind === 'channel') this.#idsByKey.delete(operation.key);
  }

  /** Operation frames before the ack wait for it, in order. */
  #write(frame: string): void {
    if (this.#step === 'acknowledged') this.#context.send(frame);
    else this.#waiting.push(frame);
  }
}
