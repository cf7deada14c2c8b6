/**
 * The published package as an app would use it: a separate TypeScript project
 * that depends on `tabwire` (linked to this repo's built dist/) compiles
 * against the declarations, and fails to compile on a wrong field.
 * Runs after `vite build` and the declaration build (see scripts/test.mjs).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function consumer(moduleResolution: 'bundler' | 'node16' | 'node10', files: Record<string, string>): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tabwire-consumer-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(repo, join(dir, 'node_modules', 'tabwire'), 'dir');
  symlinkSync(join(repo, 'node_modules', 'react'), join(dir, 'node_modules', 'react'), 'dir');
  symlinkSync(join(repo, 'node_modules', '@types', 'react'), join(dir, 'node_modules', '@types', 'react'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: moduleResolution === 'node16' ? 'Node16' : 'ESNext',
        moduleResolution,
        lib: ['ES2022', 'DOM'],
        strict: true,
        noEmit: true,
        jsx: 'react-jsx',
        types: [],
      },
      include: ['*.ts', '*.tsx'],
    }),
  );
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  try {
    const output = execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    return { ok: true, output };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

const app = `
import { connectBroker, TabwireError, type RealtimeEvent, type Sharing, type TabwireEvents, type UpgradeNotice } from 'tabwire';

declare module 'tabwire' {
  interface TabwireEvents { 'chat.message': { text: string } }
}

const broker = connectBroker({ url: 'wss://api.example.app/realtime', getToken: async () => 'token' });
const off: () => void = broker.on('action.reassigned', (e) => {
  const who: string = e.data.newAssignee;
  const before: string | null = e.data.previousAssignee;
  void who; void before;
});
off();
broker.on('goal.*', (e) => { if (e.type === 'goal.created') { const t: string = e.data.title; void t; } });
broker.on('chat.message', (e) => { const text: string = e.data.text; void text; });
broker.on('something.new', (e: RealtimeEvent) => void e.data);
broker.onResync(({ since, complete }) => void [since, complete]);
broker.onState((next, prev, reason) => void [next, prev, reason]);
void broker.recent({ type: 'measure.reading.created', limit: 5 }).then((events) => events.map((e) => e.data.value + 1));
void broker.send({ action: 'broadcast', data: {} }).catch((error: unknown) => error instanceof TabwireError && error.code);
// What apps have at hand: a token that may be missing, a refresh returning a session, interfaces, Dates.
declare const auth: { accessToken: string | null; refresh(): Promise<{ expiresAt: number }> };
interface Broadcast { action: 'broadcast'; data: { text: string } }
const hello: Broadcast = { action: 'broadcast', data: { text: 'hi' } };
const appBroker = connectBroker({ url: 'wss://x/realtime', getToken: async () => auth.accessToken, refreshToken: () => auth.refresh() });
void appBroker.send(hello);
void appBroker.recent({ since: new Date(Date.now() - 60_000) });
const onUpgrade = (notice: UpgradeNotice) => void notice;
appBroker.onUpgrade(onUpgrade);
const sharing: Sharing = appBroker.sharing;
void sharing;
type Known = keyof TabwireEvents;
const known: Known = 'decision.created';
void known;
`;

const reactApp = `
import { TabwireProvider, useConnectionState, useRealtimeEvent, useRecentEvents } from 'tabwire/react';
import { GoalActivityFeed, LiveBadge, RealtimeDebugPanel, RealtimeIndicator, RealtimeProvider, useGoalActivity, useLiveBadge, useRealtime, useRealtimeConnection, useRealtimeGoals } from 'tabwire/purposepath/react';

declare module 'tabwire' {
  interface TabwireEvents { 'chat.typing': { who: string } }
}

export function Feed({ goalId }: { goalId: string }) {
  const state = useConnectionState();
  const { events, loading } = useRecentEvents({ type: 'goal.*', limit: 20 });
  useRealtimeEvent('issue.created', (e) => console.log(e.data.severity));
  // An event the app declared on 'tabwire' is typed in the hooks too.
  useRealtimeEvent('chat.typing', (e) => { const who: string = e.data.who; void who; });
  // The PurposePath guide's shapes, from their own entry: payload first.
  useGoalActivity({ goalId, onPaused: (data) => console.log(data.reason) });
  useRealtimeGoals({ onGoalCompleted: (data, event) => console.log(data.finalNotes, event.eventId) });
  const { isConnected, isEnabled, stats, connectionState } = useRealtimeConnection();
  const { status } = useRealtime();
  const connected: boolean = connectionState === 'connected' && status !== 'error';
  const { showBadge, triggerBadge } = useLiveBadge();
  void triggerBadge;
  return (
    <div>
      {state} {String(isConnected && isEnabled && connected)} {stats?.tabs} {loading ? '…' : events.map((e) => e.data.goalId).join()}
      <RealtimeIndicator showDetails position="header" /> <LiveBadge show={showBadge} size="sm" onHide={() => {}} />
      <GoalActivityFeed goalId={goalId} maxActivities={50} autoScroll /> <RealtimeDebugPanel />
    </div>
  );
}

export const App = () => (
  <TabwireProvider options={{ url: 'wss://x/realtime', getToken: () => 't' }}>
    <Feed goalId="g1" />
  </TabwireProvider>
);

export const FlaggedApp = ({ realtime }: { realtime: boolean }) => (
  <RealtimeProvider enabled={realtime} options={{ url: 'wss://x/realtime', getToken: () => 't' }}>
    <Feed goalId="g1" />
  </RealtimeProvider>
);
`;

describe.each(['bundler', 'node16', 'node10'] as const)('a consumer project (moduleResolution %s)', (moduleResolution) => {
  it('compiles against the published types, React bindings included', () => {
    const result = consumer(moduleResolution, { 'app.ts': app, 'feed.tsx': reactApp });
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('fails to compile on a wrong field', () => {
    const result = consumer(moduleResolution, {
      'bad.ts': `
import { connectBroker } from 'tabwire';
const broker = connectBroker({ url: 'wss://x/realtime', getToken: () => 't' });
broker.on('action.reassigned', (e) => console.log(e.data.assignee));
broker.on('measure.reading.created', (e) => { const v: string = e.data.value; void v; });
`,
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("Property 'assignee' does not exist");
    expect(result.output).toContain("Type 'number' is not assignable to type 'string'");
  });
});
