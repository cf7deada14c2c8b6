import { startRealtime } from './realtime.js';

startRealtime((state) => (document.getElementById('state').textContent = state));
