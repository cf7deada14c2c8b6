import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { AuthProvider } from './auth';
import { RealtimeContextProvider } from './RealtimeContext';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AuthProvider>
      <RealtimeContextProvider>
        <App />
      </RealtimeContextProvider>
    </AuthProvider>
  </StrictMode>,
);
