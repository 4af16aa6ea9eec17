import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  apiCreateProfile,
  apiJson,
  createToken,
  expectProfileError,
  MASTER,
  ok,
  startTestTicketd,
  type TestTicketd,
} from './support.js';

/** The access-token check every /api/1/** call goes through (docs/profile.md, "Permissions"; docs/errors.md). */
describe('access token check', () => {
  let t: TestTicketd;
  let profileId: string;

  beforeAll(async () => {
    t = await startTestTicketd();
    profileId = (await apiCreateProfile(t)).id;
  });
  afterAll(async () => {
    await t.stop();
  });

  it('missing accessTokenId: 403 ACCESS_DENIED', async () => {
    const res = await api(t, 'POST', '/authentication/ticket/create', { profileId }, { accessTokenId: null });
    expectProfileError(res, 403, 'ACCESS_DENIED', 'Access token ID param missing from request');
  });

  it('empty accessTokenId: 403 ACCESS_DENIED', async () => {
    const res = await api(t, 'GET', `/profile/${profileId}`, {}, { accessTokenId: '' });
    expectProfileError(res, 403, 'ACCESS_DENIED', 'Access token ID param missing from request');
  });

  it("unknown id: the seed's exact answer", async () => {
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/1/authentication/ticket/create',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `accessTokenId=e8f5170c-877b-416f-b70f-4b09772f8e2d&profileId=${profileId}`,
    });
    expect(res.statusCode).toBe(403);
    expect(res.body).toBe(
      '{"errorCode":"NO_SUCH_ACCESS_TOKEN_ID","message":"No access token found for ID \\"e8f5170c-877b-416f-b70f-4b09772f8e2d\\""}',
    );
  });

  it("the seed's example request as written (a URL with no route) gets the same answer", async () => {
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/1/authentication/ticket/2e911e0b-ac47-423e-9174-4e8896f1b387',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'accessTokenId=e8f5170c-877b-416f-b70f-4b09772f8e2d',
    });
    expectProfileError(
      res,
      403,
      'NO_SUCH_ACCESS_TOKEN_ID',
      'No access token found for ID "e8f5170c-877b-416f-b70f-4b09772f8e2d"',
    );
  });

  it('an unknown route with a valid token: 404 NOT_FOUND', async () => {
    expectProfileError(await api(t, 'GET', '/nothing/here'), 404, 'NOT_FOUND');
    expectProfileError(await api(t, 'POST', `/profile/${profileId}`), 404, 'NOT_FOUND');
    // Whatever body it carries.
    const res = await t.server.inject({
      method: 'POST',
      url: `/api/1/nothing?accessTokenId=${MASTER}`,
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    });
    expectProfileError(res, 404, 'NOT_FOUND');
  });

  it('the token may come in the query string, a form body or a JSON body', async () => {
    for (const as of ['query', 'form', 'json'] as const) {
      const res = await api(t, 'POST', '/authentication/ticket/create', { profileId }, { as });
      expect(res.statusCode, `${as}: ${res.body}`).toBe(200);
    }
    // JSON-body routes take it from the query string or the body.
    const inBody = await apiJson(t, '/tenant/create', { name: 'json-token', accessTokenId: MASTER }, null);
    expect(inBody.statusCode, inBody.body).toBe(200);
  });

  it('expired token: 403 ACCESS_DENIED naming the application and the date', async () => {
    const expiresOn = t.clock.now() + 60_000;
    const id = await createToken(t, {
      tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }],
      application: 'shop-web',
      expiresOn,
    });
    expect((await api(t, 'GET', `/profile/${profileId}`, {}, { accessTokenId: id })).statusCode).toBe(200);
    t.clock.advance(60_000);
    const res = await api(t, 'GET', `/profile/${profileId}`, {}, { accessTokenId: id });
    expectProfileError(
      res,
      403,
      'ACCESS_DENIED',
      `Access token "${id}" for application "shop-web" expired on 01/01/2026`,
    );
  });

  it('expiresOn as an ISO date', async () => {
    const created = await apiJson(t, '/access_token/create', {
      application: 'test-app',
      tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }],
      expiresOn: new Date(t.clock.now() + 1000).toISOString(),
    });
    const id = ok<{ id: string }>(created).id;
    expect((await api(t, 'GET', `/profile/${profileId}`, {}, { accessTokenId: id })).statusCode).toBe(200);
    t.clock.advance(1000);
    expectProfileError(await api(t, 'GET', `/profile/${profileId}`, {}, { accessTokenId: id }), 403, 'ACCESS_DENIED');
  });

  it('token lacking the action on the tenant: 403 ACTION_DENIED with Crafter’s message', async () => {
    const id = await createToken(t, {
      tenantPermissions: [{ tenant: 'default', allowedActions: ['MANAGE_PROFILES'] }],
    });
    const res = await api(t, 'POST', '/authentication/ticket/create', { profileId }, { accessTokenId: id });
    expectProfileError(
      res,
      403,
      'ACTION_DENIED',
      'Current subject does not have permission to execute action "MANAGE_TICKETS" on tenant "default"',
    );
    // ...while the action it has works.
    expect((await api(t, 'GET', `/profile/${profileId}`, {}, { accessTokenId: id })).statusCode).toBe(200);
  });

  it('the first permission whose tenant matches decides', async () => {
    const id = await createToken(t, {
      tenantPermissions: [
        { tenant: 'default', allowedActions: ['READ_TENANT'] },
        { tenant: '*', allowedActions: ['*'] },
      ],
    });
    expect((await api(t, 'GET', '/tenant/default', {}, { accessTokenId: id })).statusCode).toBe(200);
    expectProfileError(await api(t, 'GET', `/profile/${profileId}`, {}, { accessTokenId: id }), 403, 'ACTION_DENIED');
  });

  it('a token with no matching permission at all is denied', async () => {
    const id = await createToken(t, { tenantPermissions: [] });
    expectProfileError(await api(t, 'GET', `/profile/${profileId}`, {}, { accessTokenId: id }), 403, 'ACTION_DENIED');
  });

  it('master-only routes refuse other tokens, even with every tenant permission', async () => {
    const id = await createToken(t, { tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }] });
    const calls = [
      apiJson(t, '/access_token/create', { application: 'x' }, id),
      api(t, 'GET', '/access_token/all', {}, { accessTokenId: id }),
      api(t, 'GET', `/access_token/${id}`, {}, { accessTokenId: id }),
      api(t, 'POST', `/access_token/${id}/delete`, {}, { accessTokenId: id }),
    ];
    for (const res of await Promise.all(calls)) {
      expectProfileError(res, 403, 'ACTION_DENIED', 'Only a master access token can manage access tokens');
    }
  });

  it('a deleted token stops working within the one-second cache', async () => {
    const id = await createToken(t, { tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }] });
    expect((await api(t, 'GET', `/profile/${profileId}`, {}, { accessTokenId: id })).statusCode).toBe(200);
    ok(await api(t, 'POST', `/access_token/${id}/delete`));
    // This instance forgets it at once.
    expectProfileError(
      await api(t, 'GET', `/profile/${profileId}`, {}, { accessTokenId: id }),
      403,
      'NO_SUCH_ACCESS_TOKEN_ID',
    );
  });

  it('the check comes before parameter validation', async () => {
    const res = await api(t, 'POST', '/profile/create', {}, { accessTokenId: null });
    expectProfileError(res, 403, 'ACCESS_DENIED');
  });
});
