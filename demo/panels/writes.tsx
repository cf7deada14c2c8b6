import { rest } from '../session.ts';

const writes = [
  ['Create a goal', () => rest('POST', '/api/goals', { title: `Goal ${new Date().toLocaleTimeString()}`, status: 'active' })],
  ['Create an action', () => rest('POST', '/api/operations/actions', { title: 'Follow up', priority: 'high' })],
  ['Record a KPI reading', () => rest('POST', '/api/measures/kpi-revenue/readings', { value: Math.round(Math.random() * 1000) })],
  ['Report an issue', () => rest('POST', '/api/operations/issues', { title: 'Something broke', severity: 'high' })],
] as const;

/** Writes go through REST only: the events come back over the shared socket, to every tab. */
export function Writes() {
  return (
    <section>
      <h2>Write through REST</h2>
      {writes.map(([label, write]) => (
        <button key={label} onClick={() => void write()}>
          {label}
        </button>
      ))}
      <button className="primary" onClick={() => window.open(location.href, '_blank')}>
        Open another tab
      </button>
    </section>
  );
}
