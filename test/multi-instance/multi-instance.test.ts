import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FreshStore } from '../helpers/backends.js';
import { postJson, spawnTicketd, type TicketdProcess } from '../helpers/process.js';
import { raceUses, tally } from '../helpers/races.js';
import { storeTargets } from '../helpers/targets.js';

/**
 * Three real ticketd processes on one store act as one server (docs/operations.md,
 * "Several instances behind a load balancer"; docs/performance.md, "Faults and load"): on one SQLite file, on one
 * PostgreSQL schema and on one Redis prefix. PostgreSQL and Redis need their
 * test servers (TICKETD_TEST_POSTGRES_URL, TICKETD_TEST_REDIS_URL); without
 * one that backend is skipped with a message, except under CI=true, where it
 * fails. Each run uses a fresh schema / key prefix and removes it afterwards.
 */
const dir = mkdtempSync(join(tmpdir(), 'ticketd-multi-'));
const TITLE = 'three ticketd instances';
const targets = storeTargets(TITLE, { cluster: true });

/** docs/performance.md's exactly-once bar, 100 rounds, is `npm run test:faults` (test/faults/exactly-once.test.ts). */
const ROUNDS = Number(process.env.TICKETD_MULTI_ROUNDS ?? 5);

for (const target of targets) {
  describe(`${TITLE} on ${target.name}`, () => {
    const instances: TicketdProcess[] = [];
    const tenantEnv = { TICKETD_MULTI_TENANCY: 'true' };
    let store: FreshStore | undefined;

    beforeAll(async () => {
      store = await target.prepare();
      const url = store.url;
      // The first start migrates; the other two start at once against the migrated store.
      instances.push(await spawnTicketd({ store: url, env: tenantEnv, args: ['--config', limitConfig()] }));
      instances.push(
        ...(await Promise.all(
          [1, 2].map(() => spawnTicketd({ store: url, env: tenantEnv, args: ['--config', limitConfig()] })),
        )),
      );
    }, 60_000);

    afterEach(async (ctx) => {
      // What the instances logged (warn and above), and what the store still holds, explain a failure.
      if (ctx.task.result?.state === 'fail') {
        for (const [n, i] of instances.entries()) console.error(`instance ${n + 1}:\n${i.output().slice(-4000)}`);
        console.error(`store: ${await store?.inspect?.().catch((err: unknown) => String(err))}`);
      }
    });

    afterAll(async () => {
      await Promise.all(instances.map((i) => i.stop()));
      await store?.cleanup();
    }, 30_000);

    const at = (i: number, path: string) => `${(instances[i % instances.length] as TicketdProcess).url}${path}`;
    const project = { Project: 'default' };

    it('a ticket created on instance 1 is used on 2 and deleted on 3', async () => {
      const created = await postJson(at(0, '/v1/tickets'), { uses: 3, payload: { user_id: 9001 } }, project);
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const ticket = created.body.ticket as string;
      const used = await postJson(at(1, '/v1/tickets/use'), { ticket }, project);
      expect(used).toEqual({ status: 200, body: { uses: 2, payload: { user_id: 9001 } } });
      const deleted = await postJson(at(2, '/v1/tickets/delete'), { ticket }, project);
      expect(deleted).toEqual({ status: 200, body: { uses: 2, deleted: 1 } });
      for (const i of [0, 1, 2]) {
        expect((await postJson(at(i, '/v1/tickets/use'), { ticket }, project)).status).toBe(404);
      }
    });

    it(
      `200 concurrent uses over three instances of a uses:5 ticket succeed exactly 5 times, ${ROUNDS} rounds`,
      async () => {
        for (let round = 0; round < ROUNDS; round++) await raceUses(instances, 5, 200, round, project);
      },
      Math.max(120_000, ROUNDS * 4_000),
    );

    it('ticketMax holds exactly across instances', async () => {
      const limited = { Project: 'limited' };
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => postJson(at(i, '/v1/tickets'), { ttl: 0 }, limited)),
      );
      expect(results.filter((r) => r.status === 200).length, tally(results)).toBe(10);
      expect(results.filter((r) => r.status !== 200).every((r) => r.status === 400 && r.body.code === 102009)).toBe(
        true,
      );
    });
  });
}

function limitConfig(): string {
  const path = join(dir, 'limits.json');
  // Written once per start; every instance gets the same tenants.
  writeFileSync(path, JSON.stringify({ tenants: { limited: { ticketMax: 10 } } }));
  return path;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));
