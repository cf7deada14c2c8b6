import { useRef, useState } from 'react';
import type { RealtimeEvent, ResyncSignal } from '../../src/index.ts';
import { useRecentEvents, useResync } from '../../src/react.ts';

interface Notice {
  id: number;
  signal: ResyncSignal;
}

type Item = { at: string; event: RealtimeEvent } | { at: string; notice: Notice };

const clock = (iso: string) => iso.slice(11, 23);

function summary(event: RealtimeEvent): string {
  const data = event.data;
  return String(data.title ?? data.value ?? data.newStatus ?? '');
}

const keyOf = (event: RealtimeEvent) => event.eventId ?? `${event.type}|${event.timestamp}|${JSON.stringify(event.data)}`;

/**
 * The log's newest events, then live ones, newest first, with a notice where
 * each gap closed. Ordered by time so replayed events sit where they belong.
 */
export function Feed() {
  const { events, loading, error } = useRecentEvents({ limit: 50 });
  const [notices, setNotices] = useState<Notice[]>([]);
  const nextId = useRef(0);
  useResync((signal) => setNotices((current) => [...current.slice(-9), { id: nextId.current++, signal }]));

  const items: Item[] = [
    ...(events as RealtimeEvent[]).map((event) => ({ at: event.timestamp, event })),
    ...notices.map((notice) => ({ at: notice.signal.until, notice })),
  ]
    .reverse()
    .sort((a, b) => b.at.localeCompare(a.at));

  return (
    <section>
      <h2>Live events</h2>
      {loading && <p className="muted">Reading the shared log…</p>}
      {error && <p className="error">The log could not be read: {error.message}</p>}
      <ol className="feed" id="feed">
        {items.map((item) =>
          'event' in item ? (
            <li key={keyOf(item.event)}>
              <time>{clock(item.event.timestamp)}</time>
              <code>{item.event.type}</code>
              <span>{summary(item.event)}</span>
              {item.event.replayed && <span className="replayed">replayed</span>}
            </li>
          ) : (
            <li key={`resync-${item.notice.id}`} className="resync">
              ↻ resync since {clock(item.notice.signal.since)}: {item.notice.signal.replayed} replayed,{' '}
              {item.notice.signal.complete ? 'nothing missing' : 'refetch needed'}
            </li>
          ),
        )}
      </ol>
    </section>
  );
}
