import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminTicketd, admin, createProfile, ok, startAdminTicketd } from './support.js';

let t: AdminTicketd;
beforeAll(async () => {
  t = await startAdminTicketd({ config: { multi_tenancy: true, tenants: { acme: {}, beta: {} } } });
});
afterAll(async () => {
  await t.stop();
});

const ticket = async (tenant: string, body: Record<string, unknown> = {}) => {
  const res = await t.server.inject({
    method: 'POST',
    url: '/v1/tickets',
    headers: { project: tenant },
    payload: body,
  });
  expect(res.statusCode).toBe(200);
  return (res.json() as { ticket: string }).ticket;
};

describe('GET /admin/v1/stats', () => {
  it('counts live opaque tickets and profiles per tenant, by name, with totals', async () => {
    expect(ok(await admin(t, 'GET', '/stats'))).toEqual({
      tenants: [
        { tenant: 'acme', tickets: 0, profiles: 0 },
        { tenant: 'beta', tickets: 0, profiles: 0 },
        { tenant: 'default', tickets: 0, profiles: 0 },
      ],
      total: { tenants: 3, tickets: 0, profiles: 0 },
    });
    for (let i = 0; i < 3; i++) await ticket('acme');
    const once = await ticket('beta', { uses: 1 });
    await createProfile(t, { tenant: 'acme' });
    await createProfile(t);
    expect(ok(await admin(t, 'GET', '/stats'))).toEqual({
      tenants: [
        { tenant: 'acme', tickets: 3, profiles: 1 },
        { tenant: 'beta', tickets: 1, profiles: 0 },
        { tenant: 'default', tickets: 0, profiles: 1 },
      ],
      total: { tenants: 3, tickets: 4, profiles: 2 },
    });
    // A used-up ticket is gone at once.
    const used = await t.server.inject({
      method: 'POST',
      url: '/v1/tickets/use',
      headers: { project: 'beta' },
      payload: { ticket: once },
    });
    expect(used.statusCode).toBe(200);
    expect(ok<{ tenants: { tickets: number }[] }>(await admin(t, 'GET', '/stats')).tenants[1]?.tickets).toBe(0);
  });

  it('expired tickets count until the purge removes them (the store counter ticketMax uses)', async () => {
    ok(await admin(t, 'POST', '/tenants', { name: 'exp' }), 201);
    await ticket('exp', { ttl: 10 });
    await ticket('exp', { ttl: 0 });
    t.clock.advance(11_000);
    const count = async () =>
      ok<{ tenants: { tenant: string; tickets: number }[] }>(await admin(t, 'GET', '/stats')).tenants.find(
        (x) => x.tenant === 'exp',
      )?.tickets;
    expect(await count()).toBe(2);
    await t.purger.runOnce();
    expect(await count()).toBe(1);
  });

  it('a deleted tenant leaves the stats', async () => {
    ok(await admin(t, 'POST', '/tenants', { name: 'brief' }), 201);
    await ticket('brief');
    ok(await admin(t, 'DELETE', '/tenants/brief'));
    const s = ok<{ tenants: { tenant: string }[] }>(await admin(t, 'GET', '/stats'));
    expect(s.tenants.map((x) => x.tenant)).not.toContain('brief');
  });
});
