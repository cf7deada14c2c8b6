import type { BrokerStats } from '../../src/index.ts';
import { useConnectionState } from '../../src/react.ts';
import type { ServerStats } from '../control.ts';
import { overSse } from '../session.ts';

interface Props {
  stats: BrokerStats | undefined;
  server: ServerStats | undefined;
}

/** The page's point at a glance: every tab counts itself in `tabs`, the server still sees one socket. */
export function StatusBar({ stats, server }: Props) {
  const state = useConnectionState();
  return (
    <header>
      <h1>tabwire demo</h1>
      <span className={`pill state-${state}`} id="state">{`state: ${state}`}</span>
      <span className="pill">
        tabs sharing the worker: <strong id="tabs">{stats?.tabs ?? '…'}</strong>
      </span>
      <span className="pill">
        {overSse ? 'event streams' : 'sockets'} the server sees: <strong id="sockets">{server?.openSockets ?? '…'}</strong>
      </span>
      <span className="pill">
        events relayed: <strong id="relayed">{stats?.eventsRelayed ?? 0}</strong>
      </span>
    </header>
  );
}
