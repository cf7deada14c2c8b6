/**
 * `npm start`: set up what is missing, then run the mock backend and the demo
 * page side by side. Ctrl-C stops both.
 */
import { spawn } from 'node:child_process';
import { ensureDependencies } from './setup.mjs';

ensureDependencies();
const backendPort = process.env.MOCK_PORT ?? '8787';
const demoPort = process.env.DEMO_PORT ?? '5173';
const children = [
  spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'demo/server/cli.ts', '--port', backendPort], { stdio: 'inherit' }),
  spawn(process.execPath, ['node_modules/vite/bin/vite.js', '--port', demoPort, '--strictPort'], { stdio: 'inherit' }),
];
setTimeout(() => {
  console.log(`\n  tabwire demo: http://127.0.0.1:${demoPort}/?backend=http://127.0.0.1:${backendPort}\n  Open it in several tabs: they share one socket.\n`);
}, 1500);
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) child.on('exit', (code) => code && stop());
