import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { MemoryStore } from '../../src/store/memory/index.js';
import type { Store } from '../../src/store/types.js';
import { createTicketd } from '../../src/wire.js';

/** A backend that has only the ticket part of the store interface (as PostgreSQL and Redis for now). */
function ticketsOnly(): Store {
  const m = new MemoryStore();
  return {
    kind: 'tickets-only',
    migrate: () => m.migrate(),
    schemaVersion: () => m.schemaVersion(),
    ping: () => m.ping(),
    close: () => m.close(),
    getTenant: (n) => m.getTenant(n),
    putTenant: (t) => m.putTenant(t),
    createTenant: (t) => m.createTenant(t),
    listTenants: () => m.listTenants(),
    createTicket: (t, max, now) => m.createTicket(t, max, now),
    useTicket: (tn, id, now) => m.useTicket(tn, id, now),
    deleteTicket: (tn, id, now) => m.deleteTicket(tn, id, now),
    peekTicket: (tn, id, now) => m.peekTicket(tn, id, now),
    countTickets: (tn) => m.countTickets(tn),
    purgeTickets: (now, limit) => m.purgeTickets(now, limit),
  };
}

describe('wiring on a store without profile support', () => {
  it('warns and does not mount /api/1; the ticket surface works', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _e, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    const t = await createTicketd(loadConfig({ env: {}, flags: { store: 'memory:' } }), {
      store: ticketsOnly(),
      logger,
      print: () => {},
    });
    try {
      expect(t.identity).toBeUndefined();
      expect(lines.join('')).toContain('/api/1 is not mounted');
      const res = await t.server.inject({ method: 'GET', url: '/api/1/tenant/all?accessTokenId=x' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ code: 102001, error: 'not found' });
      expect((await t.server.inject({ method: 'POST', url: '/v1/tickets', payload: '{}' })).statusCode).toBe(200);
      expect(await t.purger.runOnce()).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('refuses tickets.require_token, which it could not enforce', async () => {
    const config = loadConfig({
      env: {},
      flags: { store: 'memory:', log_level: 'silent', tickets: { require_token: true } },
    });
    await expect(createTicketd(config, { store: ticketsOnly() })).rejects.toThrow(/tickets.require_token/);
  });
});
