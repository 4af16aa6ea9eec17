import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  apiCreateProfile,
  apiJson,
  authenticate,
  createTenant,
  createToken,
  delayTenantCalls,
  expectProfileError,
  MASTER,
  ok,
  startTestTicketd,
  type TestTicketd,
} from './support.js';

const TENANT_KEYS = [
  'name',
  'verifyNewProfiles',
  'availableRoles',
  'ticketMax',
  'ticketMaxPayloadLength',
  'loginTicketMaxAge',
  'persistentLoginMaxAge',
  'failedLoginAttemptsBeforeDelay',
  'failedLoginAttemptsBeforeLock',
  'lockTime',
  'sessionMaxLifetime',
  'ticketCreateRateLimit',
  'ticketUseRateLimit',
  'authenticateRateLimit',
];

interface TokenJson {
  id: string | null;
  application: string;
  master: boolean;
  tenantPermissions: { tenant: string; allowedActions: string[] }[];
  expiresOn: number | null;
  idPrefix: string;
}

describe('tenants', () => {
  let t: TestTicketd;
  beforeAll(async () => {
    t = await startTestTicketd();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('POST /tenant/create: Crafter’s fields and ticketd’s settings, defaults for the rest', async () => {
    const res = await apiJson(t, '/tenant/create', {
      name: 'shop',
      verifyNewProfiles: true,
      availableRoles: ['USER'],
      ticketMax: 10,
      attributeDefinitions: [], // a Crafter field ticketd ignores
    });
    const tenant = ok(res);
    expect(Object.keys(tenant)).toEqual(TENANT_KEYS);
    expect(tenant).toEqual({
      name: 'shop',
      verifyNewProfiles: true,
      availableRoles: ['USER'],
      ticketMax: 10,
      ticketMaxPayloadLength: 0,
      loginTicketMaxAge: 900,
      persistentLoginMaxAge: 1_296_000,
      failedLoginAttemptsBeforeDelay: 2,
      failedLoginAttemptsBeforeLock: 8,
      lockTime: 600,
      sessionMaxLifetime: 0,
      ticketCreateRateLimit: 0,
      ticketUseRateLimit: 0,
      authenticateRateLimit: 0,
    });
    // The ticket surface sees it too (one tenancy concept).
    expect((await t.tenants.get('shop'))?.settings.ticketMax).toBe(10);
  });

  it('POST /tenant/create errors: 409 TENANT_EXISTS, 400 on bad bodies, 403 without CREATE_TENANT', async () => {
    expectProfileError(
      await apiJson(t, '/tenant/create', { name: 'default' }),
      409,
      'TENANT_EXISTS',
      'The tenant "default" already exists',
    );
    for (const body of [
      {},
      { name: '' },
      { name: 'a b' },
      { name: 'x', ticketMax: -1 },
      { name: 'x', lockTime: 'soon' },
      { name: 'x', lockTime: 2 ** 31 },
      { name: 'x', loginTicketMaxAge: 0 },
      [],
    ]) {
      expectProfileError(await apiJson(t, '/tenant/create', body), 400, 'PARAM_DESERIALIZATION_ERROR');
    }
    const token = await createToken(t, { tenantPermissions: [{ tenant: 'mine', allowedActions: ['CREATE_TENANT'] }] });
    ok(await apiJson(t, '/tenant/create', { name: 'mine' }, token));
    expectProfileError(await apiJson(t, '/tenant/create', { name: 'yours' }, token), 403, 'ACTION_DENIED');
  });

  it('POST /tenant/create: of 10 concurrent creates of one name exactly one succeeds, the others 409 TENANT_EXISTS', async () => {
    const undo = delayTenantCalls(t.store);
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => apiJson(t, '/tenant/create', { name: 'race', ticketMax: i + 1 })),
    ).finally(undo);
    const created = replies.filter((r) => r.statusCode === 200);
    expect(created, replies.map((r) => r.body).join('\n')).toHaveLength(1);
    for (const r of replies.filter((r) => r.statusCode !== 200)) {
      expectProfileError(r, 409, 'TENANT_EXISTS', 'The tenant "race" already exists');
    }
    // The winner's settings stand: no loser overwrote them.
    const winner = ok<{ ticketMax: number }>(created[0] as (typeof replies)[number]);
    expect(ok(await api(t, 'GET', '/tenant/race'))).toMatchObject({ ticketMax: winner.ticketMax });
  });

  it('GET /tenant/{name}', async () => {
    expect(ok(await api(t, 'GET', '/tenant/default'))).toMatchObject({ name: 'default', loginTicketMaxAge: 900 });
    expectProfileError(await api(t, 'GET', '/tenant/nope'), 404, 'NO_SUCH_TENANT', 'No tenant with name "nope" found');
    const token = await createToken(t, {
      tenantPermissions: [{ tenant: 'default', allowedActions: ['MANAGE_PROFILES'] }],
    });
    expectProfileError(await api(t, 'GET', '/tenant/default', {}, { accessTokenId: token }), 403, 'ACTION_DENIED');
  });

  it('GET /tenant/all lists the tenants the token may read, by name', async () => {
    const all = ok<{ name: string }[]>(await api(t, 'GET', '/tenant/all'));
    const names = all.map((x) => x.name);
    expect(names).toEqual([...names].sort());
    expect(names).toContain('default');
    const token = await createToken(t, { tenantPermissions: [{ tenant: 'shop', allowedActions: ['READ_TENANT'] }] });
    expect(
      ok<{ name: string }[]>(await api(t, 'GET', '/tenant/all', {}, { accessTokenId: token })).map((x) => x.name),
    ).toEqual(['shop']);
  });

  it('POST /tenant/{name}/delete removes it with its profiles and sessions', async () => {
    await createTenant(t, 'doomed');
    const p = await apiCreateProfile(t, { tenantName: 'doomed' });
    const ticket = ok<{ id: string }>(await authenticate(t, p.username, p.password, 'doomed'));
    expect(ok(await api(t, 'POST', '/tenant/doomed/delete'))).toMatchObject({ name: 'doomed' });
    expectProfileError(await api(t, 'GET', '/tenant/doomed'), 404, 'NO_SUCH_TENANT');
    expectProfileError(await api(t, 'GET', `/profile/${p.id}`), 404, 'NO_SUCH_PROFILE');
    expectProfileError(await api(t, 'GET', `/authentication/ticket/${ticket.id}`), 404, 'NO_SUCH_TICKET');
    expectProfileError(await api(t, 'POST', '/tenant/doomed/delete'), 404, 'NO_SUCH_TENANT');
  });

  it('tenant delete: default stays; needs DELETE_TENANT', async () => {
    expectProfileError(await api(t, 'POST', '/tenant/default/delete'), 403, 'ACTION_DENIED');
    await createTenant(t, 'kept');
    const token = await createToken(t, { tenantPermissions: [{ tenant: 'kept', allowedActions: ['READ_TENANT'] }] });
    expectProfileError(await api(t, 'POST', '/tenant/kept/delete', {}, { accessTokenId: token }), 403, 'ACTION_DENIED');
  });
});

describe('access tokens', () => {
  let t: TestTicketd;
  beforeAll(async () => {
    t = await startTestTicketd();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('POST /access_token/create answers the token with its new id (a UUID v4)', async () => {
    const res = await apiJson(t, '/access_token/create', {
      application: 'crafter-engine',
      tenantPermissions: [{ tenant: 'default', allowedActions: ['MANAGE_PROFILES', 'MANAGE_TICKETS'] }],
      expiresOn: Date.UTC(2030, 0, 1),
    });
    const token = ok<TokenJson>(res);
    expect(Object.keys(token)).toEqual(['id', 'application', 'master', 'tenantPermissions', 'expiresOn', 'idPrefix']);
    expect(token).toEqual({
      id: token.id,
      application: 'crafter-engine',
      master: false,
      tenantPermissions: [{ tenant: 'default', allowedActions: ['MANAGE_PROFILES', 'MANAGE_TICKETS'] }],
      expiresOn: Date.UTC(2030, 0, 1),
      idPrefix: token.id?.slice(0, 8),
    });
    expect(token.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('ids are stored as an HMAC under the keyring: neither the id nor its bare SHA-256 is in the store', async () => {
    const id = await createToken(t, { tenantPermissions: [] });
    const { store } = t;
    expect(await store.accessTokens.get(t.identity.accessTokens.digest(id))).not.toBeNull();
    expect(await store.accessTokens.get(createHash('sha256').update(id).digest())).toBeNull();
    const all = await store.accessTokens.list();
    for (const r of all) expect(r.id.toString('utf8')).not.toContain(id);
  });

  it('a chosen id; the same id again: 409 ACCESS_TOKEN_EXISTS', async () => {
    const id = '2ba3ac10-c43e-4c2c-8a0b-2e8c4b5a2c0c';
    expect(ok<TokenJson>(await apiJson(t, '/access_token/create', { id, application: 'a' })).id).toBe(id);
    expectProfileError(
      await apiJson(t, '/access_token/create', { id, application: 'b' }),
      409,
      'ACCESS_TOKEN_EXISTS',
      `Access token "${id}" already exists`,
    );
  });

  it('bad bodies: 400', async () => {
    for (const body of [
      {},
      { application: '' },
      { application: 'a', id: 'not-a-uuid' },
      { application: 'a', tenantPermissions: [{ tenant: 'x', allowedActions: ['FLY'] }] },
      { application: 'a', expiresOn: 'tomorrow' },
      { application: 'a', master: 'yes' },
    ]) {
      expectProfileError(await apiJson(t, '/access_token/create', body), 400, 'PARAM_DESERIALIZATION_ERROR');
    }
  });

  it('GET /access_token/{id}, /all, and delete', async () => {
    const id = await createToken(t, {
      tenantPermissions: [{ tenant: '*', allowedActions: ['READ_TENANT'] }],
      application: 'listed',
    });
    expect(ok<TokenJson>(await api(t, 'GET', `/access_token/${id}`))).toMatchObject({ id, application: 'listed' });
    const all = ok<TokenJson[]>(await api(t, 'GET', '/access_token/all'));
    expect(all.find((x) => x.application === 'listed')).toMatchObject({ id: null, idPrefix: id.slice(0, 8) });
    expect(all.find((x) => x.master)).toMatchObject({ application: 'ticketd-master', idPrefix: MASTER.slice(0, 8) });
    expect(ok<TokenJson>(await api(t, 'POST', `/access_token/${id}/delete`))).toMatchObject({ id });
    expectProfileError(
      await api(t, 'GET', `/access_token/${id}`),
      404,
      'NO_SUCH_ACCESS_TOKEN_ID',
      `No access token found for ID "${id}"`,
    );
    expectProfileError(await api(t, 'POST', `/access_token/${id}/delete`), 404, 'NO_SUCH_ACCESS_TOKEN_ID');
  });

  it('a master token created through the API manages tokens too', async () => {
    const master = await createToken(t, { tenantPermissions: [], master: true });
    ok(await api(t, 'GET', '/access_token/all', {}, { accessTokenId: master }));
  });
});
