/**
 * The demo: many tabs, one socket, visible at a glance. A React app on
 * tabwire's React bindings, against the mock backend named by `?backend=`.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { TabwireProvider } from '../src/react.ts';
import { App } from './app.tsx';
import { connectOptions } from './session.ts';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <TabwireProvider options={connectOptions}>
      <App />
    </TabwireProvider>
  </StrictMode>,
);
