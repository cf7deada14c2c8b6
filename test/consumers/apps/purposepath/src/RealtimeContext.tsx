// Where the guide's RealtimeContext was: the provider below the auth provider, connecting
// when the user is signed in and the feature flag is on (docs/purposepath.md).
import { type ReactNode, useMemo } from 'react';
import { RealtimeProvider } from 'tabwire/purposepath/react';
import { useAuth } from './auth';

const realtimeEnabled = import.meta.env.VITE_FEATURE_REALTIME === 'true';
const realtimeUrl = import.meta.env.VITE_REALTIME_WS_URL ?? 'ws://localhost:5055';

export function RealtimeContextProvider({ children }: { children: ReactNode }) {
  const { isAuthenticated, getAccessToken, tenantId } = useAuth();
  const options = useMemo(() => ({ url: realtimeUrl, tenantId, getToken: getAccessToken }), [tenantId, getAccessToken]);
  return (
    <RealtimeProvider enabled={realtimeEnabled && isAuthenticated} options={isAuthenticated ? options : undefined}>
      {children}
    </RealtimeProvider>
  );
}
