import { afterAll, describe, expect, it } from 'vitest';
import type { FreshStore } from '../helpers/backends.js';
import { startCreateLoad, unusable } from '../helpers/load.js';
import { spawnTicketd, type TicketdProcess } from '../helpers/process.js';
import { storeTargets } from '../helpers/targets.js';

/**
 * Shutdown (docs/performance.md, "Faults and load"): SIGTERM while clients create
 * tickets. ticketd stops accepting, answers what it had in flight, closes
 * the store and exits 0 within 5 s; every answer it gave was a 200 and every
 * ticket so answered is usable after a restart. Clients see refused or
 * closed connections, never an error answer or a hang.
 */
const TITLE = 'SIGTERM under create load';
const EXIT_WITHIN_MS = 5_000;

for (const target of storeTargets(TITLE)) {
  describe(`${TITLE} on ${target.name}`, () => {
    let store: FreshStore | undefined;
    let ticketd: TicketdProcess | undefined;
    afterAll(async () => {
      await ticketd?.stop('SIGKILL');
      await store?.cleanup();
    }, 30_000);

    it(`answers what it took, loses none of it, and exits 0 within ${EXIT_WITHIN_MS / 1000} s`, async () => {
      store = await target.prepare();
      ticketd = await spawnTicketd({ store: store.url });
      const load = startCreateLoad(ticketd.url);
      while (load.acknowledged.length < 500) await new Promise((r) => setTimeout(r, 10));
      const signalled = performance.now();
      const code = await ticketd.stop('SIGTERM');
      const exitMs = performance.now() - signalled;
      await load.stop();

      expect(code, ticketd.output().slice(-2000)).toBe(0);
      expect(exitMs).toBeLessThan(EXIT_WITHIN_MS);
      expect([...load.refused], 'every answer was a 200').toEqual([]);
      for (const f of load.failures.keys())
        expect(['ECONNREFUSED', 'ECONNRESET', 'socket hang up', 'EPIPE']).toContain(f);

      ticketd = await spawnTicketd({ store: store.url });
      expect(await unusable(ticketd.url, load.acknowledged)).toEqual([]);
      console.log(
        `[shutdown on ${target.name}] exit 0 ${Math.round(exitMs)} ms after SIGTERM; ${load.acknowledged.length} creates answered, all usable`,
      );
    }, 120_000);
  });
}
