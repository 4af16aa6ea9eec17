/**
 * One ticketd-like process of the concurrent purge test (purge.test.ts),
 * started as `node --import tsx purge-worker.ts <storeUrl> <now> <batch>`.
 * It opens its own store from the URL, prints `ready`, waits for `go` on
 * stdin so that every worker starts at once, then runs the background
 * Purger (src/core/purge.ts) until a run removes nothing, and prints
 * `{"removed": N, "runs": R, "emitted": E}` as its last line.
 */
import { createInterface } from 'node:readline';
import { ManualClock } from '../../src/core/clock.js';
import { Events } from '../../src/core/events.js';
import { Purger } from '../../src/core/purge.js';
import { openStore } from '../../src/store/open.js';

const [url, now, batch] = process.argv.slice(2);
if (!url || !now || !batch) throw new Error('usage: purge-worker <storeUrl> <now> <batch>');

const store = await openStore(url);
const events = new Events();
let emitted = 0;
events.on('ticket.expired', ({ count }) => {
  emitted += count;
});
const purger = new Purger(store, new ManualClock(Number(now)), events, {
  intervalMs: 60_000,
  batch: Number(batch),
  maxBatches: 1_000,
});
// Connect before the race, so that connecting is not part of it.
await store.ping();

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdout.write('ready\n');
const line = await lines.next();
if (line.done || line.value.trim() !== 'go') throw new Error('expected go');

let removed = 0;
let runs = 0;
for (;;) {
  runs++;
  const n = await purger.runOnce();
  removed += n;
  if (n === 0 || runs >= 100) break;
}
await purger.stop();
await store.close();
process.stdout.write(`${JSON.stringify({ removed, runs, emitted })}\n`);
process.exit(0);
