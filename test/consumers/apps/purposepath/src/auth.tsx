// The app's own auth, as PurposePath's AuthContext would give it. Here a development
// user with an unsigned JWT: `npx tabwire mock` accepts any token as the tenant it names.
import { type ReactNode, createContext, useContext } from 'react';

const claims = btoa(JSON.stringify({ sub: 'user-456', 'custom:tenantId': 'tenant-123' })).replace(/=+$/, '');
export const devToken = `eyJhbGciOiJub25lIn0.${claims}.`;

interface Auth {
  isAuthenticated: boolean;
  tenantId: string;
  getAccessToken: () => Promise<string>;
}

const AuthContext = createContext<Auth | undefined>(undefined);

export function AuthProvider({ children }: { children: ReactNode }) {
  const auth: Auth = { isAuthenticated: true, tenantId: 'tenant-123', getAccessToken: async () => devToken };
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth must be within AuthProvider');
  return auth;
}
