/** Type tests of the channel hooks' options: the resync signal and the error are typed; useSubscription takes no onError (its result has the error). */
import { expectTypeOf } from 'vitest';
import type { ChannelResync, TabwireError } from '../../src/index.ts';
import { useChannel, useSubscription } from '../../src/react.ts';

useChannel('ticker', undefined, () => {}, {
  onResync: (signal) => expectTypeOf(signal).toEqualTypeOf<ChannelResync>(),
  onError: (error) => expectTypeOf(error).toEqualTypeOf<TabwireError>(),
});
useSubscription('ticker', { symbol: 'ACME' }, { onResync: ({ complete }) => expectTypeOf(complete).toEqualTypeOf<boolean>() });
// @ts-expect-error: useSubscription's error is in its result
useSubscription('ticker', undefined, { onError: () => {} });
