/**
 * One process of the cross-process Hawk nonce race (sqlite.test.ts),
 * started as `node --import tsx sqlite-oz-worker.ts <file> <pairs>`. It opens
 * its own SqliteStore on the shared (possibly new) file, migrates it, prints
 * `ready`, then runs one phase per JSON command line on stdin, each starting
 * at the command's `at` (epoch ms; it sleeps until just before, then spins,
 * so that every process hits the same pairs at the same moment), and prints
 * one JSON result line per phase:
 * - `use`: useNonce on pairs 0..n-1 (`app<i % 4>`, `nonce-<i>`), in reverse
 *   order when asked; result: accepted or not, per pair in pair order.
 * - `purge`: purgeNonces in batches of `limit` until one comes back short;
 *   result: the batch sizes.
 * - `exit`.
 */
import { createInterface } from 'node:readline';
import { SqliteStore } from '../../src/store/sqlite/index.js';

export type Command =
  | { cmd: 'use'; at: number; now: number; expiresAt: number; reverse: boolean }
  | { cmd: 'purge'; at: number; now: number; limit: number }
  | { cmd: 'exit' };

const pair = (i: number): [string, string] => [`app${i % 4}`, `nonce-${i}`];

const [file, count] = process.argv.slice(2);
if (!file || !count) throw new Error('usage: sqlite-oz-worker <file> <pairs>');
const n = Number(count);

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function waitUntil(at: number): void {
  const ahead = at - Date.now() - 2;
  if (ahead > 0) Atomics.wait(sleeper, 0, 0, ahead);
  while (Date.now() < at) {
    // spin the last milliseconds
  }
}

const store = new SqliteStore(file);
await store.migrate();
process.stdout.write('ready\n');

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as Command;
  if (command.cmd === 'exit') break;
  waitUntil(command.at);
  let result: unknown;
  if (command.cmd === 'use') {
    const accepted: boolean[] = new Array(n).fill(false);
    for (let k = 0; k < n; k++) {
      const i = command.reverse ? n - 1 - k : k;
      const [credentialId, nonce] = pair(i);
      accepted[i] = await store.nonces.use(credentialId, nonce, command.now, command.expiresAt);
      // Leave the write lock free for a moment now and then: the other process's busy
      // handler retries only after sleeping (1, 2, 5, ... ms), and a writer in a tight
      // loop would hold the lock at nearly every retry.
      if (k % 10 === 9) Atomics.wait(sleeper, 0, 0, 1);
    }
    result = accepted;
  } else {
    const batches: number[] = [];
    for (;;) {
      const removed = await store.nonces.purge(command.now, command.limit);
      batches.push(removed);
      if (removed < command.limit) break;
    }
    result = batches;
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
await store.close();
process.exit(0);
