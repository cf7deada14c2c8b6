/**
 * A tab for Node integration tests of the broker: it speaks the same link as
 * src/tab/client.ts (attach over the control plane, a transferred stream port, answers to token
 * requests) and records what it receives. Its token provider can be told to
 * answer, hang or refuse.
 */
import type { ConnectionStatus, TransitionReason } from '../../src/broker/core/connection.ts';
import type { ResyncSignal } from '../../src/broker/core/resync.ts';
import type { TabwireError, TabwireErrorData } from '../../src/link/errors.ts';
import type { RealtimeEvent } from '../../src/link/events.ts';
import { type AttachReply, type AttachRequest, type BrokerConfig, type StreamMessage, linkVersion } from '../../src/link/messages.ts';
import { resolveConfig } from '../../src/tab/options.ts';
import { type ControlClient, type ControlMethod, createControlClient } from '../../src/link/rpc.ts';
import type { Broker } from '../../src/broker/broker.ts';
import type { FakeLocks } from './fake-locks.ts';

/** `cannot`: this tab has no token or no refreshToken to offer; another tab should be asked. */
export type TokenBehaviour = 'answer' | 'hang' | 'refuse' | 'cannot';

let tabs = 0;

/** Calls reject with the tab's TabwireError, its code and message also as `data`: what these tests read. */
function withData(error: TabwireError): never {
  throw Object.assign(error, { data: { code: error.code, message: error.message } satisfies TabwireErrorData });
}

export class FakeTab {
  readonly id = `tab-${++tabs}`;
  readonly events: RealtimeEvent[] = [];
  readonly states: Array<{ status: ConnectionStatus; prev: ConnectionStatus; reason: TransitionReason }> = [];
  readonly resyncs: ResyncSignal[] = [];
  readonly errors: TabwireErrorData[] = [];
  /** Everything received, in order: `ev:<type>`, `st:<status>`, `rs:<reason>`, so tests can check what came after what. */
  readonly timeline: string[] = [];
  status: ConnectionStatus = 'idle';
  tokenBehaviour: TokenBehaviour = 'answer';
  refreshBehaviour: TokenBehaviour = 'answer';
  tokenCalls = 0;
  refreshCalls = 0;
  rpc!: ControlClient;
  private readonly control = new MessageChannel();
  private readonly stream = new MessageChannel();
  private releaseLock: () => void = () => {};

  constructor(
    private readonly getToken: () => Promise<string>,
    private readonly refreshToken: () => Promise<string | undefined>,
  ) {}

  async attach(
    broker: Broker,
    locks: FakeLocks,
    options: { url: string; patterns?: string[]; online?: boolean; tenantId?: string; since?: string; resumed?: true } & Partial<BrokerConfig>,
  ): Promise<AttachReply> {
    const { url, patterns = ['*'], online = true, tenantId, since, resumed, ...overrides } = options;
    const config: BrokerConfig = { ...resolveConfig({ url, getToken: () => '' }), ...overrides };
    this.releaseLock = locks.hold(`tab:${this.id}`);
    broker.accept(this.control.port2);
    this.rpc = createControlClient(this.control.port1);
    this.stream.port1.onmessage = (event) => this.onStream(event.data as StreamMessage);
    const request: AttachRequest = {
      tabId: this.id,
      linkVersion,
      buildId: 'test',
      lockName: `tab:${this.id}`,
      config,
      patterns,
      online,
      visible: true,
      ...(tenantId ? { tenantId } : {}),
      ...(since ? { since } : {}),
      ...(resumed ? { resumed } : {}),
    };
    const reply = await this.rpc.attach(request, this.stream.port2).catch(withData);
    this.status = reply.status;
    return reply;
  }

  call<T>(method: ControlMethod, ...args: unknown[]): Promise<T> {
    return this.rpc.call<T>(method, args).catch(withData);
  }

  types(): string[] {
    return this.events.map((event) => event.type);
  }

  /** The tab dies: its lock is released, its ports close, it answers nothing more. */
  die(): void {
    this.tokenBehaviour = 'hang';
    this.refreshBehaviour = 'hang';
    this.stream.port1.onmessage = null;
    this.releaseLock();
    this.control.port1.close();
    this.stream.port1.close();
  }

  private onStream(message: StreamMessage): void {
    switch (message.k) {
      case 'ev': {
        const batch = JSON.parse(message.d) as RealtimeEvent[];
        for (const event of batch) {
          this.events.push(message.r ? { ...event, replayed: true } : event);
          this.timeline.push(`ev:${event.type}`);
        }
        return;
      }
      case 'st':
        this.status = message.s;
        this.timeline.push(`st:${message.s}`);
        this.states.push({ status: message.s, prev: message.p, reason: message.r });
        return;
      case 'rs':
        this.resyncs.push(message.s);
        this.timeline.push(`rs:${message.s.reason}`);
        return;
      case 'er':
        this.errors.push(message.e);
        return;
      case 'ask':
        void this.answer(message.id, message.fn);
    }
  }

  private async answer(id: number, fn: 'getToken' | 'refreshToken'): Promise<void> {
    const behaviour = fn === 'getToken' ? this.tokenBehaviour : this.refreshBehaviour;
    if (fn === 'getToken') this.tokenCalls++;
    else this.refreshCalls++;
    if (behaviour === 'hang') return;
    if (behaviour === 'cannot') {
      this.stream.port1.postMessage({ k: 'ans', id, ok: false, n: 1, e: { code: 'TOKEN_UNAVAILABLE', message: `${fn} not offered by this tab` } });
      return;
    }
    if (behaviour === 'refuse') {
      this.stream.port1.postMessage({ k: 'ans', id, ok: false, e: { code: 'TOKEN_UNAVAILABLE', message: `${fn} refused` } });
      return;
    }
    try {
      const token = fn === 'getToken' ? await this.getToken() : await this.refreshToken();
      this.stream.port1.postMessage({ k: 'ans', id, ok: true, ...(token ? { token } : {}) });
    } catch {
      this.stream.port1.postMessage({ k: 'ans', id, ok: false, e: { code: 'TOKEN_UNAVAILABLE', message: `${fn} failed` } });
    }
  }
}
