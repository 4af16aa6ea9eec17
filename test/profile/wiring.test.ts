import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { createTicketd } from '../../src/wire.js';

describe('wiring', () => {
  it('mounts every surface on the store it is given: tickets, /api/1, /admin/v1 and Oz', async () => {
    const config = loadConfig({ env: {}, flags: { store: 'memory:', log_level: 'silent' } });
    const t = await createTicketd(config, {
      store: new SqliteStore(':memory:'),
      print: () => {},
      identity: { scrypt: { N: 1024, r: 8, p: 1 }, sleep: async () => {} },
    });
    try {
      expect((await t.server.inject({ method: 'POST', url: '/v1/tickets', payload: '{}' })).statusCode).toBe(200);
      const profile = await t.server.inject({ method: 'GET', url: '/api/1/tenant/all?accessTokenId=x' });
      expect(profile.statusCode).toBe(403);
      expect(profile.json()).toMatchObject({ errorCode: 'NO_SUCH_ACCESS_TOKEN_ID' });
      const admin = await t.server.inject({ method: 'GET', url: '/admin/v1/tenants' });
      expect(admin.statusCode).toBe(401);
      expect(admin.json()).toMatchObject({ code: 103001 });
      const oz = await t.server.inject({ method: 'POST', url: '/oz/app', payload: '{}' });
      expect(oz.statusCode).toBe(401);
      expect(oz.json()).toMatchObject({ message: 'Missing authentication' });
      // A URL that does not decode, under /api/1, gets the profile surface's 404.
      const bad = await t.server.inject({ method: 'GET', url: '/api/1/%zz' });
      expect(bad.statusCode).toBe(404);
      expect(bad.json()).toMatchObject({ errorCode: 'NOT_FOUND' });
      expect(await t.purger.runOnce()).toBe(0);
    } finally {
      await t.close();
    }
  });
});
