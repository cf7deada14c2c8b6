/**
 * Logout reaches every broker of this endpoint and account in the browser, not only ours: tabs on
 * their own (sharing 'none') and tabs still on another build's worker log out too; another
 * account's tabs (another sessionKey) do not. They hear it on one BroadcastChannel.
 */
import type { BrokerConfig } from '../link/messages.ts';
import type { TabEnvironment } from './environment.ts';

/** On the `tabwire-logout` channel: a tab of this endpoint and account (hashed `sessionKey`) logged out. */
interface LogoutNotice {
  url?: string;
  sessionKey?: string;
  brokerId?: string;
}

export interface LogoutChannel {
  /** This tab logged out through broker `brokerId`: the others log out of theirs. */
  announce(brokerId: string | undefined): void;
  close(): void;
}

/** `heard(brokerId)`: a tab of this endpoint and account logged out through broker `brokerId`. */
export function logoutChannel(env: TabEnvironment, config: BrokerConfig, heard: (brokerId: string | undefined) => void): LogoutChannel {
  const channel = env.channel('tabwire-logout');
  channel?.addEventListener('message', ({ data }: MessageEvent<LogoutNotice>) => {
    if (data?.url === config.url && data.sessionKey === config.sessionKey) heard(data.brokerId);
  });
  return {
    announce: (brokerId) => channel?.postMessage({ url: config.url, sessionKey: config.sessionKey, brokerId } satisfies LogoutNotice),
    close: () => channel?.close(),
  };
}
