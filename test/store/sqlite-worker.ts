/**
 * One process of the cross-process SQLite races in sqlite.test.ts, started
 * as `node --import tsx sqlite-worker.ts '<json job>'`. It opens its own
 * SqliteStore on the shared file, prints `ready`, reads `go <epoch ms>` on
 * stdin, and runs round r of its job at `go + r * roundMs`, so that every
 * process hits the same record at the same moment (it sleeps until just
 * before, then spins). It prints its results as one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { profileRecord } from './records.js';

export type Job =
  /** Opens the (possibly new) file and migrates it, at `go`. */
  | { mode: 'migrate'; file: string }
  /** Round r: `attempts` useTicket calls on ticket ids[r]; result: usesLeft per success, per round. */
  | { mode: 'use'; file: string; tenant: string; ids: string[]; attempts: number; roundMs: number; now: number }
  /** `attempts` createTicket calls against `max`; result: 'created' | 'limit' per call. */
  | { mode: 'create'; file: string; tenant: string; max: number; attempts: number; now: number }
  /**
   * One putMetaIfAbsent('race', label), then n rounds of recordLoginFailure on
   * the profile and createProfile of `user<i>` in tenant `a`; result: a
   * `ProfileRaceResult`.
   */
  | { mode: 'profile'; file: string; profileId: string; n: number; label: string; now: number };

export interface ProfileRaceResult {
  meta: string;
  /** failedLoginAttempts after each failure (null: no such profile). */
  failures: (number | null)[];
  created: ('created' | 'exists')[];
}

const job = JSON.parse(process.argv[2] ?? '') as Job;

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function barrier(): Promise<number> {
  process.stdout.write('ready\n');
  const line = await lines.next();
  const match = /^go (\d+)$/.exec(line.done ? '' : line.value.trim());
  if (!match) throw new Error('expected go <epoch ms>');
  return Number(match[1]);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function waitUntil(at: number): void {
  const ahead = at - Date.now() - 2;
  if (ahead > 0) Atomics.wait(sleeper, 0, 0, ahead);
  while (Date.now() < at) {
    // spin the last milliseconds
  }
}

let result: unknown;
if (job.mode === 'migrate') {
  waitUntil(await barrier());
  const store = new SqliteStore(job.file);
  await store.migrate();
  result = { schemaVersion: await store.schemaVersion() };
  await store.close();
} else {
  const store = new SqliteStore(job.file);
  await store.migrate();
  const go = await barrier();
  if (job.mode === 'profile') {
    waitUntil(go);
    result = await profileRace(store, job);
  } else if (job.mode === 'use') {
    const rounds: (number | null)[][] = [];
    for (const [r, hex] of job.ids.entries()) {
      const id = Buffer.from(hex, 'hex');
      const got: (number | null)[] = [];
      waitUntil(go + r * job.roundMs);
      for (let i = 0; i < job.attempts; i++) {
        const used = await store.tickets.use(job.tenant, id, job.now);
        if (used) got.push(used.usesLeft);
      }
      rounds.push(got);
    }
    result = rounds;
  } else {
    waitUntil(go);
    const got: string[] = [];
    for (let i = 0; i < job.attempts; i++) {
      const ticket = { tenant: job.tenant, id: randomBytes(32), usesLeft: null, expiresAt: null, payload: null };
      got.push(await store.tickets.create({ ...ticket, createdAt: job.now }, job.max, job.now));
    }
    result = got;
  }
  await store.close();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);

async function profileRace(
  store: SqliteStore,
  { profileId, n, label, now }: Extract<Job, { mode: 'profile' }>,
): Promise<ProfileRaceResult> {
  const yieldTurn = () => new Promise((r) => setImmediate(r));
  const meta = await store.meta.putIfAbsent('race', label);
  const failures: (number | null)[] = [];
  const created: ('created' | 'exists')[] = [];
  for (let i = 0; i < n; i++) {
    const failure = await store.profiles.recordLoginFailure(profileId, now, 0, 60_000);
    failures.push(failure === null ? null : failure.failedLoginAttempts);
    await yieldTurn();
    created.push(await store.profiles.create(profileRecord('a', `user${i}`, now, { attributes: { by: label } })));
    await yieldTurn();
  }
  return { meta, failures, created };
}
