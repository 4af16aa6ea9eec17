/**
 * One process of the cross-process ProfileStore race (sqlite-profile.test.ts),
 * started as `node --import tsx sqlite-profile-worker.ts <file> <profileId> <n> <label>`.
 * It opens its own SqliteStore on the shared file, prints `ready`, waits for
 * `go` on stdin so that every process starts at once, then runs n rounds of
 * recordLoginFailure on the profile and createProfile of `user<i>` in tenant
 * `a`, after one putMetaIfAbsent('race', <label>), and prints its results as
 * one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { SqliteStore } from '../../src/store/sqlite/index.js';

const [file, profileId, count, label] = process.argv.slice(2);
if (!file || !profileId || !count || !label)
  throw new Error('usage: sqlite-profile-worker <file> <profileId> <n> <label>');
const now = Number(process.env.RACE_NOW);

const store = new SqliteStore(file);
await store.migrate();

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdout.write('ready\n');
const line = await lines.next();
if (line.done || line.value.trim() !== 'go') throw new Error('expected go');
const yieldTurn = () => new Promise((r) => setImmediate(r));

const meta = await store.putMetaIfAbsent('race', label);
const failures: (number | null)[] = [];
const created: string[] = [];
for (let i = 0; i < Number(count); i++) {
  const failure = await store.recordLoginFailure(profileId, now, 0, 60_000);
  failures.push(failure === null ? null : failure.failedLoginAttempts);
  await yieldTurn();
  created.push(
    await store.createProfile({
      id: randomBytes(12).toString('hex'),
      tenant: 'a',
      username: `user${i}`,
      email: `${label}@example.com`,
      passwordHash: null,
      enabled: true,
      verified: false,
      roles: [],
      attributes: { by: label },
      createdOn: now,
      lastModified: now,
      failedLoginAttempts: 0,
      lastFailedLogin: null,
      lockedUntil: null,
    }),
  );
  await yieldTurn();
}
await store.close();
process.stdout.write(`${JSON.stringify({ meta, failures, created })}\n`);
process.exit(0);
