/**
 * Bundle sizes as a consumer ships them: each entry of dist/ with the chunks it
 * imports statically, minified (rolldown's minifier, which Vite uses), then
 * gzip (level 9) and brotli. Chunks the client loads on demand (import(): the
 * leader-tab and tab-local hosts, which carry the whole broker) are reported
 * apart as `clientOnDemand`. The worker is one self-contained file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { minifySync } from 'rolldown/utils';

const staticImport = /(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g;
const dynamicImport = /import\(\s*[`"'](\.{1,2}\/[^`"']+)[`"']\s*\)/g;

function closure(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  for (const match of code.matchAll(staticImport)) closure(join(dirname(file), match[1]), seen);
  return seen;
}

/** Chunks an entry loads with import(), and what they import, minus what the entry has already. */
function lazyChunks(entry, loaded) {
  const lazy = new Set();
  for (const file of loaded) {
    for (const match of readFileSync(file, 'utf8').matchAll(dynamicImport)) {
      for (const chunk of closure(join(dirname(file), match[1]))) if (!loaded.has(chunk)) lazy.add(chunk);
    }
  }
  return lazy;
}

function measure(files) {
  const code = [...files].map((file) => readFileSync(file, 'utf8')).join('\n');
  const minified = minifySync('bundle.js', code, { compress: true, mangle: true }).code;
  return {
    files: [...files].map((file) => file.replace(/^.*dist\//, '')),
    minified: minified.length,
    gzip: gzipSync(minified, { level: 9 }).length,
    brotli: brotliCompressSync(minified).length,
  };
}

/** Sizes of the client entry, the worker, and the React bindings (without the client they share). */
export function bundleSizes(dist = 'dist') {
  for (const entry of ['index.js', 'worker.js', 'react.js']) {
    if (!existsSync(join(dist, entry))) throw new Error(`${dist}/${entry} is missing: run npm run build first`);
  }
  const client = closure(join(dist, 'index.js'));
  const worker = closure(join(dist, 'worker.js'));
  const react = closure(join(dist, 'react.js'));
  const reactOwn = new Set([...react].filter((file) => !client.has(file)));
  const sizes = { client: measure(client), worker: measure(worker), react: measure(reactOwn) };
  const clientLazy = lazyChunks(join(dist, 'index.js'), client);
  const workerLazy = lazyChunks(join(dist, 'worker.js'), worker);
  if (clientLazy.size > 0) sizes.clientOnDemand = measure(clientLazy);
  if (workerLazy.size > 0) sizes.workerOnDemand = measure(workerLazy);
  return sizes;
}

/**
 * The budgets `npm test` holds the build to, in gzip bytes. Issue 7's targets
 * are 4 kB for the client and 12 kB for the worker; both are missed (see
 * BENCHMARKS.md for what limits them and what was tried), so the budgets sit
 * just above where they stand, to stop further growth going unnoticed. Raised
 * once, knowingly, by ~0.3 kB (client) and ~0.4 kB (worker) for robustness
 * against backends other than the mock: subscriptions made while attaching,
 * falling back when no worker starts, logout reaching every broker, replay
 * paging, order-proof dedupe keys. Raised again for the worker, by 0.25 kB, when
 * it stood 7 bytes under: a replay refused with 401 now refreshes once, and events
 * with a required field left out or null are reported but no longer lost.
 * Raised for the client by 0.625 kB (it stood 19 bytes under) for trust between
 * accounts and tabs: `sessionKey` (hashed into every name, so two accounts in one
 * profile never share a broker), options bounded to what setTimeout and the
 * gateway accept, URLs refused with userinfo or credential-like query names,
 * token answers that tell "cannot" from "refused", calls that always settle, and
 * the fallback to a tab-local broker where Web Locks are missing (plain http).
 * Raised for the client by 0.25 kB (6,210 B) for the SharedWorker fallback that
 * moves to the leader when the worker cannot start. Raised for the worker by
 * 4 kB (14,866 → 18,758 B gzip; 44.5 → 55.5 kB minified) for "nothing lost,
 * nothing leaked", measured per source file from the sourcemap (minified bytes):
 * the broker's sessions, clamped last-seen, wake detection and token step
 * +2.5 kB, the check of the config a tab sends +2.1 kB, IndexedDB reopen and
 * pending wipes +2.5 kB (store and log), bounded replay bodies +1.2 kB, the
 * depth bound and own-property lookups +0.7 kB, token epochs +0.4 kB.
 * Raised for the worker by 1,056 B, what moving the log onto the idb library
 * measurably costs (18,758 → 19,814 B gzip; 55,531 → 58,670 B minified): idb
 * itself, less the hand-written request promises it replaces.
 * Raised by what comlink adds, the design card's choice for the control plane
 * (comlink 4.4.2 with the wrapper that keeps loss and error codes, in place of
 * the hand-written RPC), measured alone: client 6,206 → 7,665 B gzip (+1,459),
 * worker 18,759 → 20,234 B gzip (+1,475). comlink does not tree-shake: both sides
 * ship all of it.
 * Raised by what splitting the broker into parts costs (the wiring between them,
 * whose method names a minifier keeps): worker +1,583 B gzip; and the client by
 * +306 B for one event identity shared with the broker (canonical JSON instead of
 * raw text in the handoff dedupe).
 * Raised for the client by 0.375 kB (6,209 → 6,634 B gzip; +1 kB minified) for
 * the API apps asked for: the `reconnect` group with its old names folded in and
 * warned about once (+0.45 kB minified), `maxAttempts` in the bounds table,
 * `connected` settling or rejecting by state (+0.3 kB), errors handed out as one
 * `TabwireError` with `type`, `cause` and `toJSON` (+0.25 kB).
 * Raised for the worker by 1.25 kB (23,203 → 24,350 B gzip; 68.3 → 70.6 kB minified)
 * for any backend (issue 16): the generic JSON dialect and the check of its
 * description, which lives only in the worker so that the client grows by 81 B
 * (8,422 → 8,503 B: the options passed on, getToken optional for cookie sessions); payload schemas
 * as the app's data; cookie sessions; the pong timeout; and the entry's
 * `startSharedWorkerBroker` with the dialect kit. PurposePath's catalogue stays in
 * the worker: it is the default dialect, and a page without it would have to send it.
 */
export const targets = { client: 4 * 1024, worker: 12 * 1024 };
// Then +0.25 kB (worker 23,203 → 23,464 B) for what a review of all this found: recent() and
// catch-up bound to the current session's log, a worker refusing another account's tab, replay
// attempts that fail halfway leaving their events to the next; the client (8,422 → 8,526 B) for
// saying once why a page that is not a secure context runs its own connection. With both:
// client 8,603 B, worker 24,579 B gzip.
// Raised for the client by 1.25 kB (8,605 → 9,919 B gzip; 21.6 → 25.3 kB minified) for issue 17's
// "a codebase that shows where code runs", measured commit by commit: the tab side taking its
// environment as one interface, so it runs in Node against a real broker (+216 B); the 520-line
// closure split into a module per concern (+835 B, mostly the property names between the parts
// that a minifier keeps, where closure variables were renamed to one letter; a first cut cost
// 1,133 B); handlers cached per event type (+112 B); no function over 80 lines (+67 B); and the
// trust fixes found by running the model test over real tabs (+78 B: a logged-out tab says so
// when it re-attaches, a detach says whether the tab closed, refused options settle everything).
// Raised for the worker by 0.625 kB (24,789 → 25,345 B gzip): those fixes' broker side (a closed
// tab's queued sends dropped, the stored last-seen held at an open gap's start, the replay floor
// stored, a fresh broker staying logged out: +435 B), the fan-out's batching by hops (issue 15:
// +26 B) and what a review of the hops found (flush before a state message and again at shutdown,
// a stale hop chain ignored, the fan-out disposed: +95 B).
// Moved for the client by what issue 23's "API a 1.0 keeps" measurably costs and saves, commit by
// commit (9,912 → 10,368 B gzip, built alike): the reconnect options' old names and their warnings
// removed (−138 B) and the test-only exports (−2 B; the worker −62 B); `on`'s signal, `once`, and
// a signal on every listener (+186 B); the `logger` option (+370 B); one pattern check shared with
// `tabwire/testing`, which then loads the client's chunk whole (+41 B). The React bindings grew by
// +460 B (1,837 → 2,297 B) for a provider whose broker is there from the first render.
export const budgets = { client: 10_440, worker: 24.875 * 1024, react: 2_508 };

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(bundleSizes(), null, 2));
