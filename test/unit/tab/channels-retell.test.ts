/**
 * A tab's channels after a move (src/tab/channels.ts `retell`): what changed while the attach
 * request was out (the calls then went to the broker being left) is told to the broker moved to.
 */
import { describe, expect, it } from 'vitest';
import { tabChannels } from '../../../src/tab/channels.ts';
import { channelKey } from '../../../src/link/channels.ts';

describe('channels told again after a move', () => {
  it('tells the new broker of a channel opened, and of one let go, since the attach request', () => {
    const calls: string[] = [];
    const channels = tabChannels(async <T>(method: string, args: unknown[]) => {
      calls.push(`${method} ${JSON.stringify(args[0])}`);
      return undefined as T;
    }, 65_536, () => {});
    const kept = channels.open('kept', undefined);
    const dropped = channels.open('dropped', undefined);
    expect(channels.held().map((held) => held.name)).toEqual(['kept', 'dropped']);
    channels.open('opened', undefined);
    dropped.unsubscribe();
    calls.length = 0;
    channels.retell();
    expect(calls).toEqual(['channel {"name":"opened"}', `unchannel ${JSON.stringify(channelKey({ name: 'dropped' }, 65_536))}`]);
    // Told once: a second retell has nothing new to tell.
    calls.length = 0;
    channels.retell();
    expect(calls).toEqual([]);
    expect(kept.state).toBe('subscribing');
  });
});
