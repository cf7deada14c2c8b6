/**
 * Every frame of a socket driven by a channel dialect comes in here: handed to the dialect as it
 * came (text that need not be JSON, binary as an ArrayBuffer), within `maxFrameBytes`, and each of
 * the messages it read acted on in order. The handshake's acceptance is today's auth acceptance;
 * events go through the ingest's event path (validation, tenancy, dedupe, log, fan-out); channel
 * answers to the channel registry, responses to the requests in flight.
 */
import { errorData } from '../link/errors.ts';
import type { BrokerCounters, Report } from './broker-stats.ts';
import type { ConnectionDriver } from './connection-driver.ts';
import type { DialectLink } from './dialect-link.ts';
import type { Ingest } from './ingest.ts';
import type { DialectMessage, RawFrame } from './protocol/channel-dialect.ts';
import { serverCodeForTabs, serverMessageForTabs } from './protocol/server-text.ts';

/** A dialect message about one channel. */
export type ChannelAnswer = Extract<DialectMessage, { kind: 'channel-message' | 'channel-subscribed' | 'channel-error' | 'channel-complete' }>;
/** The answer to a request. */
export type RequestAnswer = Extract<DialectMessage, { kind: 'response' }>;

export interface DialectIngestParts {
  link: DialectLink;
  ingest: Ingest;
  driver: ConnectionDriver;
  counters: BrokerCounters;
  report: Report;
  maxFrameBytes: number;
  onChannel: (answer: ChannelAnswer) => void;
  onResponse: (answer: RequestAnswer) => void;
}

const frameBytes = (frame: RawFrame): number => (typeof frame === 'string' ? frame.length : frame.byteLength);

export class DialectIngest {
  readonly #parts: DialectIngestParts;

  constructor(parts: DialectIngestParts) {
    this.#parts = parts;
  }

  onFrame(data: unknown): void {
    const { counters, report, maxFrameBytes, link } = this.#parts;
    counters.framesReceived++;
    if (typeof data !== 'string' && !(data instanceof ArrayBuffer)) {
      counters.dropped.malformed++;
      report(errorData('MALFORMED_FRAME', 'a frame was neither text nor an ArrayBuffer'));
      return;
    }
    const bytes = frameBytes(data);
    if (bytes > maxFrameBytes) {
      counters.dropped.oversized++;
      report(errorData('OVERSIZED_FRAME', `frame of ${bytes} bytes exceeds maxFrameBytes ${maxFrameBytes}`));
      return;
    }
    this.#actOn(link.read(data));
  }

  /** The socket closed: what the dialect reads from its close code, acted on before the driver reconnects. */
  onClosed(code: number, reason: string): void {
    this.#actOn(this.#parts.link.closed(code, reason));
  }

  #actOn(messages: DialectMessage[]): void {
    for (const message of messages) {
      try {
        this.#act(message);
      } catch (error) {
        this.#parts.link.failed(`message (${String((message as { kind?: unknown } | null)?.kind).slice(0, 40)})`, error);
      }
    }
  }

  #act(message: DialectMessage): void {
    const { driver, ingest, counters, report } = this.#parts;
    switch (message.kind) {
      case 'accepted':
        ingest.accept(message.session ?? {}, message.serverTime ?? Number.NaN);
        return;
      case 'refused':
        this.#reportServerError(message);
        return this.#refused(String(message.code));
      case 'event':
        return ingest.onValue(message.value);
      case 'channel-message':
      case 'channel-subscribed':
      case 'channel-error':
      case 'channel-complete':
        return this.#parts.onChannel(message);
      case 'response':
        return this.#parts.onResponse(message);
      case 'ping':
        if (message.reply !== undefined) driver.write(message.reply);
        return;
      case 'pong':
        return driver.ponged();
      case 'error':
        this.#reportServerError(message);
        return driver.dispatch({ type: 'server-error', code: String(message.code), during: driver.state.status === 'authenticating' ? 'auth' : 'connection' });
      case 'malformed':
        counters.dropped.malformed++;
        return report(errorData('MALFORMED_FRAME', serverMessageForTabs(String(message.message))));
      default:
        counters.dropped.malformed++;
        return report(errorData('MALFORMED_FRAME', 'the channel dialect read a message of no known kind'));
    }
  }

  /** A custom dialect's code and text may be anything: made text before they are cleaned for the tabs. */
  #reportServerError(message: { code: unknown; message: unknown }): void {
    this.#parts.report(errorData('SERVER_ERROR', serverMessageForTabs(String(message.message)), { serverCode: serverCodeForTabs(String(message.code)) }));
  }

  /**
   * The handshake's refusal is the machine's to act on. Once open, a refusal (a Socket.IO namespace
   * disconnect) leaves a socket the server no longer serves: the machine's own reaction (a refresh
   * for UNAUTHORIZED, a stop for FORBIDDEN) when it has one, else the socket counts as closed, so a
   * new one is made and the channels are told their gap.
   */
  #refused(code: string): void {
    const { driver } = this.#parts;
    const status = driver.state.status;
    if (status === 'authenticating') return driver.dispatch({ type: 'server-error', code, during: 'auth' });
    if (status !== 'open') return;
    driver.dispatch({ type: 'server-error', code, during: 'connection' });
    if (driver.state.status === 'open') driver.dispatch({ type: 'transport-closed' });
  }
}
