/**
 * The WebSocket adapter: the only place the engine touches a socket.
 * `WebSocketImpl` is injectable so Node tests can pass the `ws` package.
 */
import type { Transport, TransportFactory, TransportHandlers, TransportOptions } from './ports.ts';

interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  send(data: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

type WebSocketConstructor = new (url: string, protocols?: string[]) => WebSocketLike;

const OPEN = 1;

export function webSocketTransport(WebSocketImpl?: WebSocketConstructor): TransportFactory {
  return (url: string, handlers: TransportHandlers, options: TransportOptions = {}): Transport => {
    const Impl = WebSocketImpl ?? (globalThis.WebSocket as unknown as WebSocketConstructor);
    let socket: WebSocketLike;
    let closed = false;
    const finish = (code: number, reason: string) => {
      if (closed) return;
      closed = true;
      handlers.onClose(code, reason);
    };
    try {
      const subprotocols = options.subprotocols ?? [];
      socket = subprotocols.length > 0 ? new Impl(url, [...subprotocols]) : new Impl(url);
    } catch (error) {
      // A malformed URL throws synchronously; report it as a failed connection.
      queueMicrotask(() => finish(1006, error instanceof Error ? error.name : 'invalid url'));
      return { send() {}, close() {} };
    }
    // A channel dialect reads binary frames as ArrayBuffers (a Blob would need an await per frame).
    if (options.binary) socket.binaryType = 'arraybuffer';
    socket.onopen = () => handlers.onOpen();
    socket.onmessage = (event) => handlers.onMessage(event.data);
    socket.onclose = (event) => finish(event.code, event.reason);
    // An error is always followed by close in browsers; close is what we act on.
    socket.onerror = () => {};
    return {
      send(frame) {
        if (socket.readyState === OPEN) socket.send(frame);
      },
      close(code = 1000, reason = '') {
        socket.onopen = null;
        socket.onmessage = null;
        // The owner closed it and knows: no onClose for a close we asked for.
        closed = true;
        try {
          socket.close(code, reason);
        } catch {
          socket.close();
        }
      },
    };
  };
}
