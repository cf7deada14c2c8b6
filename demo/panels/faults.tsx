import { useBroker } from '../../src/react.ts';
import { dropEverySocket, pushMalformedFrame, pushOtherTenantsEvent } from '../control.ts';

/** Things that go wrong in production, on demand: watch the state, the resync notices and the drop counters. */
export function Faults() {
  const broker = useBroker();
  return (
    <section>
      <h2>Break things</h2>
      <button onClick={() => void dropEverySocket()}>Server: drop every socket</button>
      <button onClick={() => void pushMalformedFrame()}>Server: push a malformed frame</button>
      <button onClick={() => void pushOtherTenantsEvent()}>Server: push another tenant's event</button>
      <button onClick={() => void broker?.logout()}>Log out (every tab)</button>
    </section>
  );
}
