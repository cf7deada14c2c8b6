/**
 * The guide's `RealtimeIndicator`: the connection in a word and a colour (green
 * connected, grey disconnected, yellow connecting or reconnecting, red error), and
 * with `showDetails` a button that opens the connection's details. Unstyled: the
 * dot's colour is the only style it sets; `data-status` and `data-position` are
 * there for the app's CSS. The word is a polite live region, so a change is read out.
 */
import { type KeyboardEvent, type ReactElement, useId, useRef, useState } from 'react';
import { useRealtimeConnection } from './connection.ts';
import type { ConnectionStatus } from './status.ts';
import { useBrokerFor } from './provider.ts';

export interface RealtimeIndicatorProps {
  className?: string;
  /** A button on the indicator opens the connection's details (Escape closes them). @default false */
  showDetails?: boolean;
  /** Where the app shows it; only `data-position` for its CSS. @default 'header' */
  position?: 'header' | 'footer';
}

const words: Record<ConnectionStatus, string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  disconnected: 'Disconnected',
  error: 'Connection error',
};

const colours: Record<ConnectionStatus, string> = {
  connected: '#16a34a',
  connecting: '#ca8a04',
  reconnecting: '#ca8a04',
  disconnected: '#9ca3af',
  error: '#dc2626',
};

const dot = (colour: string) => ({ display: 'inline-block', width: '0.6em', height: '0.6em', borderRadius: '50%', marginInlineEnd: '0.4em', background: colour });

export function RealtimeIndicator({ className, showDetails = false, position = 'header' }: RealtimeIndicatorProps): ReactElement {
  const { connectionState, isEnabled } = useRealtimeConnection();
  const [open, setOpen] = useState(false);
  const detailsId = useId();
  const statusId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const word = isEnabled ? words[connectionState] : 'Realtime off';
  const status = (
    <span id={statusId} role="status" aria-live="polite" aria-atomic="true">
      <span aria-hidden="true" data-dot="" style={dot(colours[connectionState])} />
      {word}
    </span>
  );
  const close = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || !open) return;
    setOpen(false);
    button.current?.focus();
  };
  return (
    <div className={className} data-status={isEnabled ? connectionState : 'off'} data-position={position} onKeyDown={close}>
      {showDetails ? (
        // Named by the status it holds: a live region's text is not part of a name from content.
        <button ref={button} type="button" aria-labelledby={statusId} aria-expanded={open} aria-controls={detailsId} onClick={() => setOpen(!open)}>
          {status}
        </button>
      ) : (
        status
      )}
      {showDetails && open ? <ConnectionDetails id={detailsId} /> : null}
    </div>
  );
}

/** What the indicator's button opens: the states, the sharing, and the numbers an app's support asks for. */
function ConnectionDetails({ id }: { id: string }): ReactElement {
  const { connectionState, tabwireState, stats, isEnabled } = useRealtimeConnection();
  const broker = useBrokerFor<object>('RealtimeIndicator');
  const rows: Array<[string, string | number]> = [
    ['Status', isEnabled ? connectionState : 'off (feature flag)'],
    ['tabwire state', `${tabwireState}${broker ? ` (${broker.reason})` : ''}`],
    ['Shared through', broker?.sharing ?? '—'],
    ['Tabs sharing it', stats?.tabs ?? '—'],
    ['Events received', stats?.eventsReceived ?? '—'],
    ['Reconnects', stats?.reconnects ?? '—'],
    ['Last event', stats?.lastSeen ?? '—'],
  ];
  return (
    <div id={id} role="region" aria-label="Realtime connection details">
      <dl>
        {rows.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {broker && connectionState !== 'connected' && isEnabled ? (
        <button type="button" onClick={() => void broker.reconnect().catch(() => {})}>
          Reconnect now
        </button>
      ) : null}
    </div>
  );
}
