/**
 * The demo: many tabs, one socket, visible at a glance. It connects through
 * tabwire to the mock backend, shows the state, how many tabs share the worker
 * and how many sockets the server sees, a live event feed, and buttons that
 * write through REST (the server then pushes the event to every tab).
 */
import { type RealtimeEvent, connectBroker } from '../src/index.ts';

const params = new URLSearchParams(location.search);
const backend = params.get('backend') ?? 'http://127.0.0.1:8787';
const tenantId = params.get('tenant') ?? 'tenant-123';
const userId = params.get('user') ?? 'user-456';
const sessionKey = `tabwire-demo:${backend}:${tenantId}:${userId}`;

interface Session {
  accessToken: string;
  refreshToken: string;
}

async function login(): Promise<Session> {
  const response = await fetch(`${backend}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ tenantId, userId }),
  });
  const session = (await response.json()) as Session;
  localStorage.setItem(sessionKey, JSON.stringify(session));
  return session;
}

async function session(): Promise<Session> {
  const stored = localStorage.getItem(sessionKey);
  return stored ? (JSON.parse(stored) as Session) : login();
}

async function refresh(): Promise<string> {
  const current = await session();
  const response = await fetch(`${backend}/auth/refresh`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refreshToken: current.refreshToken }),
  });
  if (!response.ok) return (await login()).accessToken;
  const next = (await response.json()) as Session;
  localStorage.setItem(sessionKey, JSON.stringify(next));
  return next.accessToken;
}

async function rest(method: string, path: string, body: unknown = {}): Promise<void> {
  const { accessToken } = await session();
  await fetch(`${backend}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}`, 'X-Tenant-Id': tenantId },
    body: JSON.stringify(body),
  });
}

const broker = connectBroker({
  url: `${backend.replace(/^http/, 'ws')}/realtime`,
  getToken: async () => (await session()).accessToken,
  refreshToken: refresh,
  resync: { eventsSinceUrl: `${backend}/api/events` },
});

const root = document.getElementById('root')!;
root.innerHTML = `
  <header>
    <h1>tabwire demo</h1>
    <span class="pill" id="state">state: …</span>
    <span class="pill">tabs sharing the worker: <strong id="tabs">…</strong></span>
    <span class="pill">sockets the server sees: <strong id="sockets">…</strong></span>
    <span class="pill">events relayed: <strong id="relayed">0</strong></span>
  </header>
  <main>
    <div>
      <section>
        <h2>Write through REST</h2>
        <button data-write="goal">Create a goal</button>
        <button data-write="action">Create an action</button>
        <button data-write="reading">Record a KPI reading</button>
        <button data-write="issue">Report an issue</button>
        <button class="primary" id="open-tab">Open another tab</button>
      </section>
      <section>
        <h2>Worker</h2>
        <dl class="counters" id="counters"></dl>
        <button id="drop">Server: drop every socket</button>
        <button id="logout">Log out (every tab)</button>
      </section>
    </div>
    <section>
      <h2>Live events</h2>
      <ol class="feed" id="feed"></ol>
    </section>
  </main>`;

const $ = (id: string) => document.getElementById(id)!;
const feed = $('feed');

function show(event: RealtimeEvent): void {
  const item = document.createElement('li');
  const time = document.createElement('time');
  time.textContent = event.timestamp.slice(11, 23);
  const type = document.createElement('code');
  type.textContent = event.type;
  const title = document.createElement('span');
  const data = event.data as Record<string, unknown>;
  title.textContent = String(data.title ?? data.value ?? data.newStatus ?? '');
  item.append(time, type, title);
  if (event.replayed) {
    const badge = document.createElement('span');
    badge.className = 'replayed';
    badge.textContent = 'replayed';
    item.append(badge);
  }
  feed.prepend(item);
  while (feed.childElementCount > 200) feed.lastElementChild?.remove();
}

broker.on('*', (event) => show(event as RealtimeEvent));
broker.onState((next) => {
  $('state').textContent = `state: ${next}`;
  $('state').className = `pill state-${next}`;
});
broker.onResync(({ since, complete, replayed }) => {
  const item = document.createElement('li');
  item.textContent = `↻ resync since ${since.slice(11, 23)}: ${replayed} replayed, ${complete ? 'nothing missing' : 'refetch needed'}`;
  feed.prepend(item);
});
void broker.recent({ limit: 30 }).then((events) => events.forEach((event) => show(event as RealtimeEvent)), () => {});

const writes: Record<string, () => Promise<void>> = {
  goal: () => rest('POST', '/api/goals', { title: `Goal ${new Date().toLocaleTimeString()}`, status: 'active' }),
  action: () => rest('POST', '/api/operations/actions', { title: 'Follow up', priority: 'high' }),
  reading: () => rest('POST', '/api/measures/kpi-revenue/readings', { value: Math.round(Math.random() * 1000) }),
  issue: () => rest('POST', '/api/operations/issues', { title: 'Something broke', severity: 'high' }),
};
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-write]')) {
  button.onclick = () => void writes[button.dataset.write!]!();
}
$('open-tab').onclick = () => window.open(location.href, '_blank');
$('drop').onclick = () => void fetch(`${backend}/__control/drop`, { method: 'POST' });
$('logout').onclick = () => void broker.logout();

async function refreshCounters(): Promise<void> {
  try {
    const [stats, server] = await Promise.all([
      broker.stats(),
      fetch(`${backend}/__control/stats`).then((r) => r.json() as Promise<{ openSockets: number }>),
    ]);
    $('tabs').textContent = String(stats.tabs);
    $('sockets').textContent = String(server.openSockets);
    $('relayed').textContent = String(stats.eventsRelayed);
    $('counters').innerHTML = Object.entries({
      'sockets opened': stats.socketsOpened,
      reconnects: stats.reconnects,
      'events relayed': stats.eventsRelayed,
      'deliveries to tabs': stats.deliveries,
      'dropped (malformed)': stats.dropped.malformed,
      'dropped (other tenant)': stats.dropped.tenant,
      resyncs: stats.resyncs,
      'log size': stats.log.size,
      'log status': stats.log.status,
    })
      .map(([name, value]) => `<dt>${name}</dt><dd>${value}</dd>`)
      .join('');
  } catch {
    // The worker is restarting or the server is down: the next tick tries again.
  }
}
setInterval(() => void refreshCounters(), 1000);
void refreshCounters();
