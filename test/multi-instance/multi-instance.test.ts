import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, spawnTicketd, type TicketdProcess } from '../helpers/process.js';

/**
 * Three real ticketd processes on one store act as one server (stores.md,
 * "Multi-instance"). Each backend whose test server is configured is tried.
 */
interface Target {
  name: string;
  store: () => string;
  skip?: string;
}

const dir = mkdtempSync(join(tmpdir(), 'ticketd-multi-'));
const targets: Target[] = [
  { name: 'sqlite (one file, three processes)', store: () => `sqlite:${join(dir, 'shared.db')}` },
];

const ROUNDS = Number(process.env.TICKETD_MULTI_ROUNDS ?? 20);

for (const target of targets) {
  describe.skipIf(Boolean(target.skip))(`three instances on ${target.name}`, () => {
    const instances: TicketdProcess[] = [];
    const tenantEnv = { TICKETD_MULTI_TENANCY: 'true' };

    beforeAll(async () => {
      const store = target.store();
      // The first start migrates; the other two start at once against the migrated store.
      instances.push(await spawnTicketd({ store, env: tenantEnv, args: ['--config', limitConfig()] }));
      instances.push(
        ...(await Promise.all(
          [1, 2].map(() => spawnTicketd({ store, env: tenantEnv, args: ['--config', limitConfig()] })),
        )),
      );
    }, 60_000);

    afterAll(async () => {
      await Promise.all(instances.map((i) => i.stop()));
    });

    const at = (i: number, path: string) => `${(instances[i % instances.length] as TicketdProcess).url}${path}`;
    const project = { Project: 'default' };

    it('a ticket created on instance 1 is used on 2 and deleted on 3', async () => {
      const created = await postJson(at(0, '/v1/tickets'), { uses: 3, payload: { user_id: 9001 } }, project);
      expect(created.status).toBe(200);
      const ticket = created.body.ticket as string;
      const used = await postJson(at(1, '/v1/tickets/use'), { ticket }, project);
      expect(used).toEqual({ status: 200, body: { uses: 2, payload: { user_id: 9001 } } });
      const deleted = await postJson(at(2, '/v1/tickets/delete'), { ticket }, project);
      expect(deleted).toEqual({ status: 200, body: { uses: 2, deleted: 1 } });
      expect((await postJson(at(0, '/v1/tickets/use'), { ticket }, project)).status).toBe(404);
    });

    it(`200 concurrent uses over three instances of a uses:5 ticket succeed exactly 5 times, ${ROUNDS} rounds`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { body } = await postJson(at(round, '/v1/tickets'), { uses: 5 }, project);
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => postJson(at(i, '/v1/tickets/use'), { ticket: body.ticket }, project)),
        );
        const ok = results.filter((r) => r.status === 200);
        expect(ok.length, `round ${round}`).toBe(5);
        expect(ok.map((r) => r.body.uses).sort()).toEqual([0, 1, 2, 3, 4]);
        expect(results.filter((r) => r.status !== 200).every((r) => r.body.code === 102011)).toBe(true);
      }
    }, 120_000);

    it('ticketMax holds exactly across instances', async () => {
      const limited = { Project: 'limited' };
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => postJson(at(i, '/v1/tickets'), { ttl: 0 }, limited)),
      );
      expect(results.filter((r) => r.status === 200).length).toBe(10);
      expect(results.filter((r) => r.status === 400).every((r) => r.body.code === 102009)).toBe(true);
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
