import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  createProfile,
  delayTenantCalls,
  expectAdminError,
  expectInvalid,
  MASTER,
  ok,
  startTestTicketd,
  type TestTicketd,
} from './support.js';

const TENANT_KEYS = [
  'name',
  'ticketMax',
  'ticketMaxPayloadLength',
  'loginTicketMaxAge',
  'persistentLoginMaxAge',
  'failedLoginAttemptsBeforeDelay',
  'failedLoginAttemptsBeforeLock',
  'lockTime',
  'verifyNewProfiles',
  'availableRoles',
  'sessionMaxLifetime',
  'ticketCreateRateLimit',
  'ticketUseRateLimit',
  'authenticateRateLimit',
  'createdAt',
];

let t: TestTicketd;
beforeAll(async () => {
  t = await startTestTicketd({ config: { multi_tenancy: true } });
});
afterAll(async () => {
  await t.stop();
});

const ticket = (tenant: string) =>
  t.server.inject({ method: 'POST', url: '/v1/tickets', headers: { project: tenant }, payload: { ttl: 0 } });

describe('tenants: happy paths', () => {
  it('GET /tenants lists tenant default from the first start, with every setting', async () => {
    const list = ok<Record<string, unknown>[]>(await admin(t, 'GET', '/tenants'));
    const def = list.find((x) => x.name === 'default');
    expect(Object.keys(def ?? {})).toEqual(TENANT_KEYS);
    expect(def).toEqual({
      name: 'default',
      ticketMax: 0,
      ticketMaxPayloadLength: 0,
      loginTicketMaxAge: 900,
      persistentLoginMaxAge: 1_296_000,
      failedLoginAttemptsBeforeDelay: 2,
      failedLoginAttemptsBeforeLock: 8,
      lockTime: 600,
      verifyNewProfiles: false,
      availableRoles: [],
      sessionMaxLifetime: 0,
      ticketCreateRateLimit: 0,
      ticketUseRateLimit: 0,
      authenticateRateLimit: 0,
      createdAt: t.clock.now(),
    });
  });

  it('POST /tenants creates a tenant (201): given settings, defaults for the rest; the ticket surface serves it', async () => {
    const res = await admin(t, 'POST', '/tenants', { name: 'shop', ticketMax: 2, availableRoles: ['USER'] });
    const shop = ok(res, 201);
    expect(shop).toMatchObject({ name: 'shop', ticketMax: 2, ticketMaxPayloadLength: 0, availableRoles: ['USER'] });
    expect(ok(await admin(t, 'GET', '/tenants/shop'))).toEqual(shop);
    expect((await ticket('shop')).statusCode).toBe(200);
    expect((await ticket('shop')).statusCode).toBe(200);
    expect((await ticket('shop')).json()).toMatchObject({ code: 102009 });
    const names = ok<{ name: string }[]>(await admin(t, 'GET', '/tenants')).map((x) => x.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['default', 'shop']));
  });

  it('PATCH /tenants/:name changes only the settings given, and the limit applies at once on this instance', async () => {
    ok(await admin(t, 'POST', '/tenants', { name: 'grow', ticketMax: 1, lockTime: 30 }), 201);
    expect((await ticket('grow')).statusCode).toBe(200);
    expect((await ticket('grow')).json()).toMatchObject({ code: 102009 });
    const grown = ok(await admin(t, 'PATCH', '/tenants/grow', { ticketMax: 3, verifyNewProfiles: true }));
    expect(grown).toMatchObject({ name: 'grow', ticketMax: 3, lockTime: 30, verifyNewProfiles: true });
    expect((await ticket('grow')).statusCode).toBe(200);
    // An empty change is a no-op that answers the tenant.
    expect(ok(await admin(t, 'PATCH', '/tenants/grow', {}))).toEqual(grown);
    expect(ok(await admin(t, 'PATCH', '/tenants/grow'))).toEqual(grown);
  });

  it('DELETE /tenants/:name removes the tenant with its tickets and profiles, and answers it as it was', async () => {
    const gone = ok(await admin(t, 'POST', '/tenants', { name: 'gone', ticketMax: 9 }), 201);
    expect((await ticket('gone')).statusCode).toBe(200);
    const p = await createProfile(t, { tenant: 'gone' });
    expect(ok(await admin(t, 'DELETE', '/tenants/gone'))).toEqual(gone);
    expectAdminError(await admin(t, 'GET', '/tenants/gone'), 404, 103003, 'No tenant with name "gone" found');
    expectAdminError(await admin(t, 'GET', `/profiles/${p.id}`), 404, 103005);
    expect(await t.store.tickets.count('gone')).toBe(0);
    expect((await ticket('gone')).json()).toMatchObject({ code: 102003 });
    // The name is free again, with fresh settings.
    expect(ok(await admin(t, 'POST', '/tenants', { name: 'gone' }), 201)).toMatchObject({ ticketMax: 0 });
  });

  it('any content type is JSON, and an empty body is {}', async () => {
    const res = await t.server.inject({
      method: 'POST',
      url: '/admin/v1/tenants',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'text/plain' },
      payload: '{"name":"plain"}',
    });
    expect(ok(res, 201)).toMatchObject({ name: 'plain' });
  });
});

describe('tenants: errors', () => {
  it('404 103003 for an unknown tenant, on get, update and delete', async () => {
    expectAdminError(await admin(t, 'GET', '/tenants/nope'), 404, 103003, 'No tenant with name "nope" found');
    expectAdminError(await admin(t, 'PATCH', '/tenants/nope', { ticketMax: 1 }), 404, 103003);
    expectAdminError(await admin(t, 'DELETE', '/tenants/nope'), 404, 103003);
    expectAdminError(await admin(t, 'GET', `/tenants/${'x'.repeat(3000)}`), 400, 2004);
  });

  it('409 103004 when the name is in use', async () => {
    ok(await admin(t, 'POST', '/tenants', { name: 'twice' }), 201);
    expectAdminError(
      await admin(t, 'POST', '/tenants', { name: 'twice', ticketMax: 5 }),
      409,
      103004,
      'The tenant "twice" already exists',
    );
    expect(ok(await admin(t, 'GET', '/tenants/twice'))).toMatchObject({ ticketMax: 0 });
  });

  it('of 10 concurrent creates of one name exactly one is created (201), the others 409 103004', async () => {
    const undo = delayTenantCalls(t.store);
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => admin(t, 'POST', '/tenants', { name: 'race', ticketMax: i + 1 })),
    ).finally(undo);
    const created = replies.filter((r) => r.statusCode === 201);
    expect(created, replies.map((r) => r.body).join('\n')).toHaveLength(1);
    for (const r of replies.filter((r) => r.statusCode !== 201)) {
      expectAdminError(r, 409, 103004, 'The tenant "race" already exists');
    }
    // The winner's settings stand: no loser overwrote them.
    const winner = ok<{ ticketMax: number }>(created[0] as (typeof replies)[number], 201);
    expect(ok(await admin(t, 'GET', '/tenants/race'))).toMatchObject({ ticketMax: winner.ticketMax });
  });

  it('409 103009: tenant default cannot be deleted', async () => {
    expectAdminError(await admin(t, 'DELETE', '/tenants/default'), 409, 103009, /can't be deleted/);
    ok(await admin(t, 'GET', '/tenants/default'));
  });

  it('2004 lists each invalid field once, with its rule', async () => {
    expectInvalid(await admin(t, 'POST', '/tenants', {}), { name: 1001 });
    expectInvalid(await admin(t, 'POST', '/tenants', { name: 'a b' }), { name: 103102 });
    expectInvalid(await admin(t, 'POST', '/tenants', { name: 'x'.repeat(101) }), { name: 103102 });
    expectInvalid(
      await admin(t, 'POST', '/tenants', {
        name: 7,
        ticketMax: -1,
        lockTime: 1.5,
        loginTicketMaxAge: 0,
        verifyNewProfiles: 'yes',
        availableRoles: 'USER',
        tickeMax: 3,
      }),
      {
        name: 1002,
        ticketMax: 1006,
        lockTime: 1005,
        loginTicketMaxAge: 1006,
        verifyNewProfiles: 103101,
        availableRoles: 103105,
        tickeMax: 103103,
      },
    );
    expectInvalid(await admin(t, 'PATCH', '/tenants/default', { availableRoles: [''] }), { 'availableRoles.0': 1003 });
    const res = await admin(t, 'POST', '/tenants', { name: 'x', ticketMax: -1 });
    expect(res.json()).toEqual({
      code: 2004,
      error: 'invalid data',
      invalid: [{ field: 'ticketMax', code: 1006, error: 'must be greater or equal to 0', data: { min: 0 } }],
    });
  });

  it('the name of an update is in the path only; POST parameters in the body only', async () => {
    expectInvalid(await admin(t, 'PATCH', '/tenants/default', { name: 'other' }), { name: 103103 });
    expectInvalid(await admin(t, 'POST', '/tenants', { name: 'q' }, { query: { ticketMax: '3' } }), {
      ticketMax: 103103,
    });
    expectAdminError(await admin(t, 'GET', '/tenants/q'), 404, 103003);
  });

  it('settings have maxima, refused above them, never rounded', async () => {
    expectInvalid(await admin(t, 'POST', '/tenants', { name: 'big', ticketMax: 2 ** 31 }), { ticketMax: 1007 });
    expectInvalid(await admin(t, 'POST', '/tenants', '{"name":"big","ticketMax":9007199254740993}'), {
      ticketMax: 1007,
    });
    expectInvalid(await admin(t, 'POST', '/tenants', { name: 'big', ticketCreateRateLimit: 1_000_001 }), {
      ticketCreateRateLimit: 1007,
    });
    // A limit JSON.parse would read as 0 ("no limit") or Infinity is no number at all.
    expectAdminError(await admin(t, 'POST', '/tenants', '{"name":"big","ticketMax":1e-400}'), 400, 2003);
    expectAdminError(await admin(t, 'PATCH', '/tenants/default', '{"ticketMax":1e400}'), 400, 2003);
    expectAdminError(await admin(t, 'GET', '/tenants/big'), 404, 103003);
  });

  it('2003 for a body that is not a JSON object', async () => {
    for (const body of [
      '{"name":',
      '[1]',
      '"x"',
      '12',
      'null',
      '\u00ff'.repeat(3),
      `${'['.repeat(65)}${']'.repeat(65)}`,
    ]) {
      expectAdminError(await admin(t, 'POST', '/tenants', body), 400, 2003);
    }
    expectAdminError(await admin(t, 'POST', '/tenants', Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1')), 400, 2003);
  });

  it('a "__proto__" field is an unknown field, not a prototype', async () => {
    const res = await admin(t, 'POST', '/tenants', '{"name":"proto","__proto__":{"ticketMax":5}}');
    expectAdminError(res, 400, 2004);
    expect(res.json().invalid).toEqual([
      { field: '__proto__', code: 103103, error: 'is not a known field', data: null },
    ]);
    expectAdminError(await admin(t, 'GET', '/tenants/proto'), 404, 103003);
  });
});
