/**
 * Races between two instances of a store on one shared place (two pools or
 * two connections, as two processes would have): for the backends that
 * ticketd processes share over the network, PostgreSQL and Redis, each of
 * which adds its own races in its `test/store/<name>.test.ts`. (SQLite's
 * processes race in sqlite.test.ts, through worker processes.)
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withDefaults } from '../../src/core/tenant-settings.js';
import type { Store } from '../../src/store/types.js';
import { ticketRecord } from './records.js';

export interface PairTarget {
  /** 'postgres', 'redis' */
  name: string;
  /** Two instances on one FRESH place, NOT yet migrated. */
  openPair(): Promise<[Store, Store]>;
  /** Closes both and removes everything they created. */
  destroyPair(pair: [Store, Store]): Promise<void>;
}

const MINUTE = 60_000;

export function runPairConformance(target: PairTarget): void {
  describe(`two instances on one ${target.name} store (as two processes)`, () => {
    let pair: [Store, Store];
    let a: Store;
    let b: Store;
    let t0: number;

    beforeEach(async () => {
      t0 = Date.now();
      pair = await target.openPair();
      [a, b] = pair;
      await Promise.all([a.migrate(), b.migrate()]);
    });

    afterEach(async () => {
      await target.destroyPair(pair);
    });

    it('200 uses of a uses:5 ticket raced from both give exactly 5', async () => {
      await a.tenants.put({ name: 't', settings: withDefaults({}), createdAt: t0 });
      const t = ticketRecord('t', t0, { usesLeft: 5, payload: Buffer.from('raced') });
      expect(await a.tickets.create(t, 0, t0)).toBe('created');
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).tickets.use('t', t.id, t0)),
      );
      const ok = results.filter((r) => r !== null);
      expect(ok.map((r) => r.usesLeft).sort()).toEqual([0, 1, 2, 3, 4]);
      for (const r of ok) expect(r.payload).toEqual(Buffer.from('raced'));
      expect(await a.tickets.count('t')).toBe(0);
      expect(await b.tickets.peek('t', t.id, t0)).toBeNull();
    });

    it('50 creates against ticketMax 10 raced from both leave exactly 10', async () => {
      await b.tenants.put({ name: 't', settings: withDefaults({ ticketMax: 10 }), createdAt: t0 });
      const tickets = Array.from({ length: 50 }, () => ticketRecord('t', t0));
      const results = await Promise.all(tickets.map((t, i) => (i % 2 ? a : b).tickets.create(t, 10, t0)));
      expect(results.filter((r) => r === 'created')).toHaveLength(10);
      expect(await a.tickets.count('t')).toBe(10);
      expect(await b.tickets.count('t')).toBe(10);
      const alive = await Promise.all(tickets.map((t) => b.tickets.peek('t', t.id, t0)));
      expect(alive.filter((x) => x !== null)).toHaveLength(10);
    });

    it('useNonce on 50 pairs raced from both, 4 calls per pair: each pair is accepted exactly once', async () => {
      const pairs = Array.from({ length: 50 }, (_, i) => [`app${i % 5}`, randomBytes(6).toString('base64url')]);
      const results = await Promise.all(
        pairs.flatMap(([c, n]) =>
          [a, b, b, a].map((store) => store.nonces.use(c as string, n as string, t0, t0 + MINUTE)),
        ),
      );
      for (let i = 0; i < pairs.length; i++) {
        expect(results.slice(4 * i, 4 * i + 4).filter((r) => r)).toHaveLength(1);
      }
      // Once expired (by the callers' clock; records may still be there), each is accepted exactly once again.
      const again = await Promise.all(
        pairs.flatMap(([c, n]) =>
          [b, a, a, b].map((store) => store.nonces.use(c as string, n as string, t0 + MINUTE, t0 + 2 * MINUTE)),
        ),
      );
      for (let i = 0; i < pairs.length; i++) {
        expect(again.slice(4 * i, 4 * i + 4).filter((r) => r)).toHaveLength(1);
      }
    });
  });
}
