/**
 * The bare relay, a reference for latency and CPU: the least any shared
 * connection can cost. One SharedWorker holds one socket (docs/protocol.md's
 * handshake, nothing else), parses each frame, batches the frames of a task
 * and posts the batch to each tab's port. No validation, dedupe, filtering,
 * log, counters or reconnects: what tabwire does beyond this is its own cost.
 */
interface SharedWorkerScope {
  onconnect: ((event: MessageEvent) => void) | null;
}
const scope = self as unknown as SharedWorkerScope;

const ports: MessagePort[] = [];
let socket: WebSocket | undefined;
let authenticated = false;
let batch: unknown[] = [];
/** A task boundary without timer clamping: the batch is posted after the task that brought its frames. */
const tick = new MessageChannel();

tick.port1.onmessage = () => {
  const out = batch;
  batch = [];
  for (const port of ports) port.postMessage({ events: out });
};

function connect(wsUrl: string, token: string): void {
  socket = new WebSocket(wsUrl);
  socket.onopen = () => socket!.send(JSON.stringify({ action: 'auth', token }));
  socket.onmessage = (message) => {
    const frame: unknown = JSON.parse(message.data as string);
    if (!authenticated) {
      authenticated = (frame as { type?: unknown }).type === 'auth.success';
      if (authenticated) for (const port of ports) port.postMessage({ state: 'open' });
      return;
    }
    if (batch.length === 0) tick.port2.postMessage(0);
    batch.push(frame);
  };
}

scope.onconnect = (event) => {
  const port = event.ports[0]!;
  ports.push(port);
  port.onmessage = (message: MessageEvent) => {
    const { wsUrl, token } = message.data as { wsUrl: string; token: string };
    if (!socket) connect(wsUrl, token);
    else if (authenticated) port.postMessage({ state: 'open' });
  };
};

export {};
