import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../profile/support.js';
import {
  admin,
  createToken,
  expectAdminError,
  expectInvalid,
  MASTER,
  ok,
  startTestTicketd,
  type TestTicketd,
} from './support.js';

interface TokenJson {
  id: string | null;
  idPrefix: string;
  application: string;
  master: boolean;
  tenantPermissions: { tenant: string; allowedActions: string[] }[];
  expiresOn: number | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let t: TestTicketd;
beforeAll(async () => {
  t = await startTestTicketd();
});
afterAll(async () => {
  await t.stop();
});

describe('access tokens: happy paths', () => {
  it('POST /access-tokens (201) generates the id and shows it this once; listings show its prefix only', async () => {
    const res = await admin(t, 'POST', '/access-tokens', {
      application: 'shop-backend',
      tenantPermissions: [{ tenant: 'default', allowedActions: ['MANAGE_PROFILES', 'MANAGE_TICKETS'] }],
    });
    const created = ok<TokenJson>(res, 201);
    expect(Object.keys(created)).toEqual(['id', 'idPrefix', 'application', 'master', 'tenantPermissions', 'expiresOn']);
    expect(created).toMatchObject({ application: 'shop-backend', master: false, expiresOn: null });
    expect(created.id).toMatch(UUID);
    expect(created.idPrefix).toBe(created.id?.slice(0, 8));
    const list = ok<TokenJson[]>(await admin(t, 'GET', '/access-tokens'));
    expect(list.find((x) => x.idPrefix === created.idPrefix)).toEqual({ ...created, id: null });
    expect(JSON.stringify(list)).not.toContain(created.id);
    expect(list.find((x) => x.application === 'ticketd-master')).toMatchObject({ master: true, id: null });
    // GET with the id: the caller knows it.
    expect(ok(await admin(t, 'GET', `/access-tokens/${created.id}`))).toEqual(created);
    // The token works on the profile surface with exactly its permissions.
    const id = created.id as string;
    expect((await api(t, 'GET', '/tenant/default', {}, { accessTokenId: id })).statusCode).toBe(403);
    expect(
      (
        await api(
          t,
          'POST',
          '/profile/create',
          { tenantName: 'default', username: 'x', password: 'p', email: 'x@y.z' },
          {
            accessTokenId: id,
          },
        )
      ).statusCode,
    ).toBe(200);
  });

  it('takes a chosen id (a UUID), master, and an expiry as epoch ms or ISO 8601', async () => {
    const id = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    const created = ok<TokenJson>(
      await admin(t, 'POST', '/access-tokens', {
        id: id.toUpperCase(),
        application: 'ops',
        master: true,
        expiresOn: '2027-01-01T00:00:00Z',
      }),
      201,
    );
    expect(created).toMatchObject({ id, master: true, expiresOn: Date.UTC(2027, 0, 1) });
    ok(await admin(t, 'GET', '/stats', undefined, { token: id }));
    const ms = ok<TokenJson>(
      await admin(t, 'POST', '/access-tokens', { application: 'x', expiresOn: 1_800_000_000_000 }),
      201,
    );
    expect(ms.expiresOn).toBe(1_800_000_000_000);
    const never = ok<TokenJson>(await admin(t, 'POST', '/access-tokens', { application: 'x', expiresOn: null }), 201);
    expect(never.expiresOn).toBeNull();
  });

  it('DELETE /access-tokens/:id revokes it (the profile surface refuses it at once) and answers it as it was', async () => {
    const id = await createToken(t, { tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }] });
    expect((await api(t, 'GET', '/tenant/default', {}, { accessTokenId: id })).statusCode).toBe(200);
    expect(ok(await admin(t, 'DELETE', `/access-tokens/${id}`))).toMatchObject({ id, application: 'test-app' });
    expect((await api(t, 'GET', '/tenant/default', {}, { accessTokenId: id })).json()).toMatchObject({
      errorCode: 'NO_SUCH_ACCESS_TOKEN_ID',
    });
    expectAdminError(await admin(t, 'GET', `/access-tokens/${id}`), 404, 103007);
  });

  it('the master token may delete itself; the CLI is then the way back', async () => {
    const other = await createToken(t, { master: true });
    ok(await admin(t, 'DELETE', `/access-tokens/${other}`, undefined, { token: other }));
    expectAdminError(await admin(t, 'GET', '/stats', undefined, { token: other }), 401, 103001);
    ok(await admin(t, 'GET', '/stats', undefined, { token: MASTER }));
  });
});

describe('access tokens: errors', () => {
  it('404 103007 for an unknown id (get, delete), whatever it looks like', async () => {
    for (const id of ['3f2504e0-4f89-41d3-9a0c-000000000000', 'nope', 'x'.repeat(200)]) {
      expectAdminError(
        await admin(t, 'GET', `/access-tokens/${id}`),
        404,
        103007,
        `No access token found for ID "${id}"`,
      );
      expectAdminError(await admin(t, 'DELETE', `/access-tokens/${id}`), 404, 103007);
    }
  });

  it('409 103008 for an id in use', async () => {
    const id = '0b0e6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
    ok(await admin(t, 'POST', '/access-tokens', { id, application: 'a' }), 201);
    expectAdminError(await admin(t, 'POST', '/access-tokens', { id, application: 'b' }), 409, 103008);
    expect(ok(await admin(t, 'GET', `/access-tokens/${id}`))).toMatchObject({ application: 'a' });
  });

  it('400 103010 for an expiry that reads as a date but is none', async () => {
    expectAdminError(
      await admin(t, 'POST', '/access-tokens', { application: 'a', expiresOn: '2026-13-45T99:00:00Z' }),
      400,
      103010,
      /is not a date/,
    );
  });

  it('2004 for missing, mistyped and malformed fields', async () => {
    expectInvalid(await admin(t, 'POST', '/access-tokens', {}), { application: 1001 });
    expectInvalid(
      await admin(t, 'POST', '/access-tokens', {
        application: '',
        master: 1,
        id: 'not-a-uuid',
        expiresOn: 'tomorrow',
        tenantPermissions: [{ tenant: 'default', allowedActions: ['FLY'] }, { tenant: '' }],
      }),
      {
        application: 1003,
        master: 103101,
        id: 103102,
        expiresOn: 103104,
        'tenantPermissions.0.allowedActions.0': 103104,
        'tenantPermissions.1.tenant': 1003,
        'tenantPermissions.1.allowedActions': 1001,
      },
    );
    expectInvalid(await admin(t, 'POST', '/access-tokens', { application: 'a', expiresOn: -1 }), { expiresOn: 103104 });
    expectInvalid(await admin(t, 'POST', '/access-tokens', { application: 'a', tenantPermissions: {} }), {
      tenantPermissions: 103105,
    });
  });
});
