import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, createProfile, ok, startTestTicketd, type TestTicketd } from './support.js';

let t: TestTicketd;
beforeAll(async () => {
  t = await startTestTicketd({ config: { multi_tenancy: true, tenants: { acme: {}, beta: {} } } });
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

const use = async (tenant: string, ticket: string) => {
  const res = await t.server.inject({
    method: 'POST',
    url: '/v1/tickets/use',
    headers: { project: tenant },
    payload: { ticket },
  });
  expect(res.statusCode).toBe(200);
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
    await use('beta', once);
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

describe('GET /admin/v1/activity', () => {
  type Activity = {
    since: number;
    tenants: { tenant: string; minutes: { created: number; used: number; expired: number }[] }[];
  };
  const activity = async (minutes?: number) =>
    ok<Activity>(await admin(t, 'GET', `/activity${minutes ? `?minutes=${minutes}` : ''}`));

  it('counts tickets created, used and expired per tenant and minute, the current minute last', async () => {
    // A new hour; the tickets of the tests above expire now and are purged in this minute, outside the window below.
    t.clock.advance(60 * 60_000);
    await t.purger.runOnce();
    t.clock.advance(60_000);
    const a = await ticket('acme', { uses: 2, ttl: 30 });
    await ticket('acme', { ttl: 30 });
    await ticket('beta', { ttl: 0 });
    await use('acme', a);
    await use('acme', a);
    t.clock.advance(60_000);
    await t.purger.runOnce(); // acme's second ticket expired
    const s = await activity(2);
    const minute = 60_000;
    expect(s.since).toBe((Math.floor(t.clock.now() / minute) - 1) * minute);
    expect(s.tenants).toEqual([
      {
        tenant: 'acme',
        minutes: [
          { created: 2, used: 2, expired: 0 },
          { created: 0, used: 0, expired: 1 },
        ],
      },
      {
        tenant: 'beta',
        minutes: [
          { created: 1, used: 0, expired: 0 },
          { created: 0, used: 0, expired: 0 },
        ],
      },
    ]);
    expect((await activity()).tenants[0]?.minutes).toHaveLength(60);
  });

  it('keeps the last hour only; a bad window is 2004', async () => {
    t.clock.advance(61 * 60_000);
    expect((await activity()).tenants).toEqual([]);
    const res = await admin(t, 'GET', '/activity?minutes=61');
    expect([res.statusCode, res.json().code]).toEqual([400, 2004]);
  });
});
