import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_OPERATIONS } from '../../src/admin/operations.js';
import {
  admin,
  createProfile,
  createToken,
  describeCredentialChecks,
  expectAdminError,
  MASTER,
  ok,
  startTestTicketd,
  type TestTicketd,
} from './support.js';

/**
 * The admin API's one credential is a live master access token, sent as
 * `Authorization: Bearer <id>`. Every route of the operation table is tried
 * with every wrong credential (support.ts); then what the table cannot show.
 */

describe('every admin route refuses every wrong credential', () => {
  describeCredentialChecks(ADMIN_OPERATIONS);
});

describe('the bearer check', () => {
  let t: TestTicketd;
  beforeAll(async () => {
    t = await startTestTicketd();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('comes before routing: an unknown admin route is 401 without a token, 404 102001 with one', async () => {
    expectAdminError(await admin(t, 'GET', '/nope', undefined, { token: null }), 401, 103001);
    expectAdminError(await admin(t, 'PUT', '/tenants', undefined, { token: null }), 401, 103001);
    expectAdminError(await admin(t, 'GET', '/nope'), 404, 102001);
    expectAdminError(await admin(t, 'PUT', '/tenants/default'), 404, 102001);
  });

  it('an unknown admin route is 102001 whatever its body, once the token passed', async () => {
    for (const body of ['{"name":', '[1]', `${'['.repeat(70)}${']'.repeat(70)}`]) {
      expectAdminError(await admin(t, 'POST', '/tenants/default', body), 404, 102001);
      expectAdminError(await admin(t, 'POST', '/nope', body), 404, 102001);
      expectAdminError(await admin(t, 'POST', '/nope', body, { token: null }), 401, 103001);
    }
    const big = `{"name":"${'x'.repeat(1024 * 1024)}"}`;
    expectAdminError(await admin(t, 'POST', '/nope', big), 404, 102001);
    expectAdminError(await admin(t, 'POST', '/tenants', big), 413, 2005);
  });

  it('comes before the body is read: a bad body with no token is 401, not 2003', async () => {
    expectAdminError(await admin(t, 'POST', '/tenants', '{"name":', { token: null }), 401, 103001);
    expectAdminError(await admin(t, 'POST', '/tenants', '{"name":'), 400, 2003);
  });

  it('accepts the scheme in any case and extra spaces, as the ticket surface does', async () => {
    ok(await admin(t, 'GET', '/stats', undefined, { authorization: `bearer ${MASTER}` }));
    ok(await admin(t, 'GET', '/stats', undefined, { authorization: `BEARER   ${MASTER}  ` }));
  });

  it('a token deleted through the API stops working on this instance at once', async () => {
    const other = await createToken(t, { master: true });
    ok(await admin(t, 'GET', '/stats', undefined, { token: other }));
    ok(await admin(t, 'DELETE', `/access-tokens/${other}`));
    expectAdminError(await admin(t, 'GET', '/stats', undefined, { token: other }), 401, 103001);
  });

  it('a master token created through the API works at once; one that expires stops at its expiry', async () => {
    const expiring = await createToken(t, { master: true, expiresOn: t.clock.now() + 5_000 });
    ok(await admin(t, 'GET', '/tenants', undefined, { token: expiring }));
    t.clock.advance(4_999);
    ok(await admin(t, 'GET', '/tenants', undefined, { token: expiring }));
    t.clock.advance(1);
    expectAdminError(await admin(t, 'GET', '/tenants', undefined, { token: expiring }), 401, 103001);
  });

  it('a non-master token may not use the admin API, even with every permission, and learns nothing', async () => {
    const limited = await createToken(t, { tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }] });
    const res = await admin(t, 'GET', '/tenants/default', undefined, { token: limited });
    expectAdminError(res, 403, 103002);
    expect(res.body).not.toContain('default');
  });

  it('never writes a token, password or Authorization value to the log', async () => {
    const password = 'pw-never-logged-8d1e';
    const p = await createProfile(t, { password });
    ok(await admin(t, 'PATCH', `/profiles/${p.id}`, { password: `${password}-2` }));
    const token = await createToken(t, {});
    ok(await admin(t, 'GET', `/access-tokens/${token}`));
    ok(await admin(t, 'DELETE', `/access-tokens/${token}`));
    await admin(t, 'GET', '/stats', undefined, { authorization: `Bearer ${token}` });
    const logs = t.logs();
    expect(logs).toContain('/admin/v1/access-tokens/:id');
    for (const secret of [MASTER, password, token, 'authorization']) expect(logs).not.toContain(secret);
  });
});
