import { useMemo, useState } from 'react';
import { useBroker } from '../../src/react.ts';
import { usePolling } from '../polling.ts';

/** `broker.debug()`, read every second while open: what the worker knows, never a token. */
export function Debug() {
  const broker = useBroker();
  const [open, setOpen] = useState(false);
  const read = useMemo(() => (open && broker ? () => broker.debug() : undefined), [open, broker]);
  const snapshot = usePolling(read);
  return (
    <section>
      <details onToggle={(event) => setOpen(event.currentTarget.open)}>
        <summary>
          <h2>Debug</h2>
        </summary>
        {open && <pre className="debug">{snapshot ? JSON.stringify(snapshot, null, 2) : 'asking the worker…'}</pre>}
      </details>
    </section>
  );
}
