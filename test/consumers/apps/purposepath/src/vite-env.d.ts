/// <reference types="vite/client" />
interface ImportMetaEnv {
  readonly VITE_FEATURE_REALTIME?: string;
  readonly VITE_REALTIME_WS_URL?: string;
  readonly VITE_REALTIME_DEBUG?: string;
}
