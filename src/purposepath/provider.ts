/**
 * The guide's `RealtimeContext`: `<RealtimeProvider>` with the feature flag, and
 * `useRealtime()`. The flag is off unless the app turns it on, as the guide's
 * `REACT_APP_FEATURE_REALTIME` is; off, nothing connects and the hooks stay quiet.
 */
import { type ReactElement, createContext, createElement, useContext, useEffect, useMemo } from 'react';
import { TabwireProvider, type TabwireProviderProps, useBroker, useConnectionState } from '../tab/react.ts';
import type { DefaultEvents } from '../link/events.ts';
import { type ConnectionStatus, guideStatus } from './status.ts';

/** The provider's flag; undefined below a plain `<TabwireProvider>` (or none), which counts as on. */
const FlagContext = createContext<boolean | undefined>(undefined);

export interface RealtimeProviderProps extends TabwireProviderProps {
  /**
   * The app's realtime feature flag (the guide's `REACT_APP_FEATURE_REALTIME`), read
   * by the app from its build's environment (docs/purposepath.md). Off: no connection,
   * `isEnabled` false, the hooks subscribe to nothing, so the app polls instead.
   * Turning it off closes the broker the provider made.
   * @default false
   */
  enabled?: boolean;
}

let warnedWithoutOptions = false;

/** `<TabwireProvider>` behind the guide's feature flag. */
export function RealtimeProvider({ enabled = false, options, broker, children }: RealtimeProviderProps): ReactElement {
  const connection = enabled ? { options, broker } : {};
  useWarnIfNothingToConnect(enabled && !options && !broker);
  return createElement(FlagContext.Provider, { value: enabled }, createElement(TabwireProvider, connection, children));
}

/** Enabled with neither options nor a broker, the provider could never connect: said once per page, in development. */
function useWarnIfNothingToConnect(nothing: boolean): void {
  useEffect(() => {
    if (!nothing || warnedWithoutOptions || isProduction()) return;
    warnedWithoutOptions = true;
    console.warn(
      'tabwire: <RealtimeProvider enabled> has no options (nor a broker), so it never connects. ' +
        'Give it options={{ url, getToken }} once the user is signed in (docs/purposepath.md).',
    );
  }, [nothing]);
}

/** Bundlers replace `process.env.NODE_ENV` in the app's build; without one, `process` may not exist. */
function isProduction(): boolean {
  try {
    return process.env.NODE_ENV === 'production';
  } catch {
    return false;
  }
}

/** The flag for the hooks: a plain `<TabwireProvider>` above counts as on. */
export function useRealtimeEnabled(): boolean {
  return useContext(FlagContext) ?? true;
}

/** The broker of the provider above (null until connected); throws, naming `hook`, without one. */
export function useBrokerFor<M extends object>(hook: string) {
  try {
    return useBroker<M>();
  } catch (error) {
    throw error instanceof Error ? new Error(error.message.replace('useBroker', hook)) : error;
  }
}

/** What `useRealtime()` gives: the guide's context value. */
export interface RealtimeContextValue {
  /** tabwire's broker: `on`, `send`, `recent`, `stats`, `logout`…; null while the flag is off. */
  connection: ReturnType<typeof useBroker<DefaultEvents>> | null;
  status: ConnectionStatus;
  isEnabled: boolean;
}

/** The guide's `useRealtime()`: `{ connection, status, isEnabled }`. */
export function useRealtime(): RealtimeContextValue {
  const flag = useContext(FlagContext);
  if (flag === undefined) throw new Error('useRealtime must be within RealtimeProvider: wrap the app (below its auth provider) in <RealtimeProvider>.');
  const broker = useBroker<DefaultEvents>();
  const connection = flag ? broker : null;
  const state = useConnectionState();
  const status = guideStatus(state, broker.reason);
  return useMemo(() => ({ connection, status, isEnabled: flag }), [connection, status, flag]);
}
