import { afterAll, beforeAll, describe, it } from 'vitest';
import type { FreshStore } from '../helpers/backends.js';
import { spawnTicketd, type TicketdProcess } from '../helpers/process.js';
import { raceUses } from '../helpers/races.js';
import { storeTargets } from '../helpers/targets.js';

/**
 * Exactly-once (docs/performance.md, "Faults and load"): three ticketd processes on
 * one store (one SQLite file, one PostgreSQL schema, one Redis prefix) take
 * 200 concurrent uses of one `uses: k` ticket, 100 rounds (k from 1 to 10):
 * exactly k succeed every round. TICKETD_FAULT_ROUNDS changes the count.
 */
const TITLE = 'exactly-once over three instances';
const ROUNDS = Number(process.env.TICKETD_FAULT_ROUNDS ?? 100);

for (const target of storeTargets(TITLE, { cluster: true })) {
  describe(`${TITLE} on ${target.name}`, () => {
    const instances: TicketdProcess[] = [];
    let store: FreshStore | undefined;

    beforeAll(async () => {
      store = await target.prepare();
      const url = store.url;
      instances.push(await spawnTicketd({ store: url }));
      instances.push(...(await Promise.all([1, 2].map(() => spawnTicketd({ store: url })))));
    }, 60_000);

    afterAll(async () => {
      await Promise.all(instances.map((i) => i.stop()));
      await store?.cleanup();
    }, 30_000);

    it(
      `200 concurrent uses of a uses:k ticket succeed exactly k times, ${ROUNDS} rounds`,
      async () => {
        for (let round = 0; round < ROUNDS; round++) await raceUses(instances, 1 + (round % 10), 200, round);
      },
      ROUNDS * 5_000,
    );
  });
}
