import type { BrokerStats } from '../../src/index.ts';

type Row = [label: string, value: (stats: BrokerStats) => number | string, id?: string];

const rows: Row[] = [
  ['sockets opened', (s) => s.socketsOpened],
  ['reconnects', (s) => s.reconnects],
  ['events relayed', (s) => s.eventsRelayed],
  ['deliveries to tabs', (s) => s.deliveries],
  ['dropped: malformed', (s) => s.dropped.malformed, 'dropped-malformed'],
  ['dropped: oversized', (s) => s.dropped.oversized, 'dropped-oversized'],
  ['dropped: invalid payload', (s) => s.dropped.invalid, 'dropped-invalid'],
  ['filtered: other tenant', (s) => s.dropped.tenant, 'dropped-tenant'],
  ['resyncs', (s) => s.resyncs],
  ['log size', (s) => s.log.size],
  ['log status', (s) => s.log.status],
];

/** The shared worker's counters: the same numbers in every tab, since there is one worker. */
export function WorkerCounters({ stats }: { stats: BrokerStats | undefined }) {
  return (
    <section>
      <h2>Worker</h2>
      <dl className="counters">
        {rows.map(([label, value, id]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd id={id}>{stats ? value(stats) : '…'}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
