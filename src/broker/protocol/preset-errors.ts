/**
 * What a preset throws for options or channel params it cannot use: `TabwireError` data, built
 * here rather than with link/errors.ts's `errorData` so a preset's own entry (tabwire/graphql-ws)
 * shares no runtime module with the client, whose entry would otherwise load one more chunk.
 */
import type { TabwireErrorData } from '../../link/errors.ts';

export const invalidArgument = (message: string): TabwireErrorData => ({ code: 'INVALID_ARGUMENT', message });
