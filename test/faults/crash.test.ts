import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/driver.js';
import type { FreshStore } from '../helpers/backends.js';
import { startCreateLoad, unusable } from '../helpers/load.js';
import { spawnTicketd, type TicketdProcess } from '../helpers/process.js';
import { storeTargets } from '../helpers/targets.js';

/**
 * Crash (docs/performance.md, "Faults and load"): `kill -9` of ticketd while clients
 * create tickets; after a restart on the same store, every ticket whose
 * create was answered 200 is usable, with its payload. An answer goes out
 * only after its write is durable (SQLite: committed to the WAL, which a
 * killed process leaves to the OS; PostgreSQL and Redis: acknowledged by the
 * server), so none may be missing.
 */
const TITLE = 'kill -9 under create load';

/** Time under load before the kill, long enough for a few thousand creates and background checkpoints. */
const LOAD_MS = 3_000;

for (const target of storeTargets(TITLE)) {
  describe(`${TITLE} on ${target.name}`, () => {
    let store: FreshStore | undefined;
    let ticketd: TicketdProcess | undefined;
    afterAll(async () => {
      await ticketd?.stop('SIGKILL');
      await store?.cleanup();
    }, 30_000);

    it('keeps every acknowledged ticket', async () => {
      store = await target.prepare();
      ticketd = await spawnTicketd({ store: store.url });
      const load = startCreateLoad(ticketd.url);
      await new Promise((r) => setTimeout(r, LOAD_MS));
      const killed = await ticketd.stop('SIGKILL');
      await load.stop();
      expect(killed).toBeNull(); // died of the signal
      expect(load.acknowledged.length, 'creates answered before the kill').toBeGreaterThan(500);
      expect([...load.refused], 'no create was refused').toEqual([]);

      if (target.name === 'sqlite') {
        const db = openSqlite(store.url.slice('sqlite:'.length));
        try {
          expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
        } finally {
          db.close();
        }
      }
      ticketd = await spawnTicketd({ store: store.url });
      expect(await unusable(ticketd.url, load.acknowledged)).toEqual([]);
      console.log(
        `[crash on ${target.name}] ${load.acknowledged.length} creates answered before kill -9, all usable after the restart`,
      );
    }, 120_000);
  });
}
