// What every consumer app does with tabwire, as an app would: log in, connect, record what arrives.
// ?backend=<mock backend URL>; ?worker=404|silent|throw swaps in a worker that cannot start.
// ?transport=sse reads the mock's Server-Sent Events stream instead of its WebSocket, resuming from the
// last event id: with EventSource and the session cookie (set here, as the app's login would), or with
// &auth=bearer the fetch reader and the token in a header.
import { connectBroker } from 'tabwire';

const failingWorkers = {
  // The worker's script is not served.
  404: (name) => new SharedWorker('/no-such-worker.js', { type: 'module', name }),
  // A worker that starts but never answers.
  silent: (name) => new SharedWorker(URL.createObjectURL(new Blob([''], { type: 'text/javascript' })), { type: 'module', name }),
  // The browser refuses to start one (a policy, an origin it cannot be loaded from).
  throw: () => {
    throw new DOMException('SharedWorker refused', 'SecurityError');
  },
};

function endpoint(params, backend, session) {
  if (params.get('transport') !== 'sse') return { url: `${backend.replace(/^http/, 'ws')}/realtime` };
  const bearer = params.get('auth') === 'bearer';
  if (!bearer) document.cookie = `session=${session.accessToken}; path=/; SameSite=Lax`;
  return { url: `${backend}/sse`, transport: { type: 'sse', resume: true, ...(bearer ? { auth: 'bearer' } : {}) } };
}

export async function startRealtime(show) {
  const params = new URLSearchParams(location.search);
  const backend = params.get('backend');
  const session = await (await fetch(`${backend}/auth/login`, { method: 'POST', body: '{}' })).json();
  const worker = failingWorkers[params.get('worker')];
  const started = performance.now();
  const broker = connectBroker({
    ...endpoint(params, backend, session),
    getToken: () => session.accessToken,
    ...(worker ? { worker } : {}),
  });
  const app = (window.app = { broker, received: [], resyncs: [], errors: [], openAfterMs: undefined });
  broker.on('*', (event) => app.received.push(event.data.goalId));
  broker.onResync((resync) => app.resyncs.push({ reason: resync.reason, complete: resync.complete }));
  broker.onError((error) => app.errors.push({ code: error.code, message: error.message }));
  broker.onState((state) => {
    if (state === 'open') app.openAfterMs ??= Math.round(performance.now() - started);
    show(state);
  });
  return broker;
}
