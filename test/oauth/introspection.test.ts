/**
 * RFC 8414 discovery, RFC 7662 introspection and RFC 7009 revocation of
 * every credential ticketd issues (docs/oauth.md), driven by a real OAuth
 * client library, oauth4webapi, over a real socket: the caller authenticates
 * with an access token as its bearer token.
 */
import { createServer } from 'node:net';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/core/access-tokens.js';
import { admin, createProfile, createToken, ok } from '../admin/support.js';
import { MASTER, startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { appCredentials, createApp, post, userTicket } from '../oz/support.js';

let t: TestTicketd;
let issuer: URL;
let as: oauth.AuthorizationServer;
const client: oauth.Client = { client_id: 'resource-server' };
const options = { [oauth.allowInsecureRequests]: true };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** oauth4webapi's client authentication: here, ticketd's access token as a bearer token. */
const bearer =
  (token: string): oauth.ClientAuth =>
  (_as, _client, _body, headers) => {
    headers.set('authorization', `Bearer ${token}`);
  };

async function introspect(token: string, caller = MASTER): Promise<oauth.IntrospectionResponse> {
  const res = await oauth.introspectionRequest(as, client, bearer(caller), token, options);
  return oauth.processIntrospectionResponse(as, client, res);
}

async function revoke(token: string, caller = MASTER): Promise<Response> {
  return oauth.revocationRequest(as, client, bearer(caller), token, options);
}

beforeAll(async () => {
  const port = await freePort();
  t = await startTestTicketd({ config: { listen: `127.0.0.1:${port}`, multi_tenancy: true } });
  await t.server.listen({ port, host: '127.0.0.1' });
  issuer = new URL(`http://127.0.0.1:${port}`);
  ok(await admin(t, 'POST', '/tenants', { name: 'other' }), 201);
});
afterAll(() => t.stop());

const createTicket = async (tenant = 'default', body: Record<string, unknown> = { uses: 2, ttl: 60 }) =>
  ok<{ ticket: string }>(
    await t.server.inject({
      method: 'POST',
      url: '/v1/tickets',
      headers: { 'content-type': 'application/json', project: tenant },
      payload: JSON.stringify(body),
    }),
  ).ticket;

describe('OAuth introspection and revocation', () => {
  it('is discovered from the issuer (RFC 8414)', async () => {
    const res = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...options });
    as = await oauth.processDiscoveryResponse(issuer, res);
    expect(as).toMatchObject({
      issuer: issuer.href.replace(/\/$/, ''),
      introspection_endpoint: `${issuer.origin}/oauth/introspect`,
      revocation_endpoint: `${issuer.origin}/oauth/revoke`,
    });
  });

  it('an opaque ticket: active with its uses left, without taking one; inactive once used up', async () => {
    const ticket = await createTicket();
    const now = Math.floor(t.clock.now() / 1000);
    const seen = await introspect(ticket);
    expect(seen).toEqual({
      active: true,
      iat: now,
      exp: now + 60,
      iss: issuer.origin,
      ticketd_kind: 'ticket',
      ticketd_tenant: 'default',
      ticketd_uses_left: 2,
    });
    expect((await introspect(ticket)).ticketd_uses_left).toBe(2);
    for (let i = 0; i < 2; i++) {
      const used = await t.server.inject({
        method: 'POST',
        url: '/v1/tickets/use',
        headers: { 'content-type': 'application/json', project: 'default' },
        payload: JSON.stringify({ ticket }),
      });
      expect(used.statusCode).toBe(200);
    }
    expect(await introspect(ticket)).toEqual({ active: false });
  });

  it('login tickets and persistent logins: the profile as sub, with exp and iat', async () => {
    const profile = await createProfile(t);
    const login = await t.identity.logins.createTicket(SYSTEM_ACTOR, profile.id);
    const persistent = await t.identity.logins.createPersistentLogin(SYSTEM_ACTOR, profile.id);
    const l = await introspect(login.id);
    expect(l).toMatchObject({ active: true, sub: profile.id, ticketd_kind: 'login_ticket', ticketd_tenant: 'default' });
    expect(l.exp).toBeGreaterThan(l.iat as number);
    expect(await introspect(persistent.id)).toMatchObject({
      active: true,
      sub: profile.id,
      ticketd_kind: 'persistent_login',
    });
  });

  it('access tokens: seen by master tokens only', async () => {
    const token = await createToken(t, {
      application: 'billing',
      tenantPermissions: [{ tenant: 'default', allowedActions: ['*'] }],
    });
    expect(await introspect(token)).toMatchObject({ active: true, client_id: 'billing', ticketd_kind: 'access_token' });
    expect(await introspect(MASTER, token)).toEqual({ active: false });
  });

  it('Oz user and app tickets: app as client_id, scope, the user as sub', async () => {
    const app = await createApp(t);
    const { ticket, profile } = await userTicket(t, app);
    expect(await introspect(ticket.id as string)).toMatchObject({
      active: true,
      client_id: app.id,
      scope: 'mylet',
      sub: profile,
      exp: Math.floor((ticket.exp as number) / 1000),
      ticketd_kind: 'oz_user_ticket',
    });
    const appTicket = await post(t, '/oz/app', appCredentials(app));
    expect(appTicket.status).toBe(200);
    expect(await introspect(appTicket.body.id as string)).toMatchObject({
      active: true,
      client_id: app.id,
      ticketd_kind: 'oz_app_ticket',
    });
    // An app ticket ends with its app's key, not alone.
    const refused = await revoke(appTicket.body.id as string);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'unsupported_token_type' });
    // A user ticket ends with its grant.
    await oauth.processRevocationResponse(await revoke(ticket.id as string));
    expect(await introspect(ticket.id as string)).toEqual({ active: false });
  });

  it("unknown, malformed and other tenants' credentials are inactive and nothing more", async () => {
    const onlyOther = await createToken(t, {
      tenantPermissions: [{ tenant: 'other', allowedActions: ['MANAGE_TICKETS'] }],
    });
    const ticket = await createTicket('default');
    const mine = await createTicket('other');
    expect(await introspect(ticket, onlyOther)).toEqual({ active: false });
    expect(await introspect(mine, onlyOther)).toMatchObject({ active: true, ticketd_tenant: 'other' });
    for (const token of ['nope', 'Fe26.2**forged', 'x'.repeat(5000)])
      expect(await introspect(token)).toEqual({ active: false });
    // Revoking what the caller may not see does nothing, and says nothing.
    await oauth.processRevocationResponse(await revoke(ticket, onlyOther));
    expect((await introspect(ticket)).active).toBe(true);
  });

  it('revocation ends an opaque ticket, and a login ticket with its session and grants', async () => {
    const ticket = await createTicket();
    await oauth.processRevocationResponse(await revoke(ticket));
    expect(await introspect(ticket)).toEqual({ active: false });
    // An unknown token: 200 as well (RFC 7009 §2.2).
    await oauth.processRevocationResponse(await revoke('no-such-token'));

    const app = await createApp(t);
    const { ticket: user, session } = await userTicket(t, app);
    await oauth.processRevocationResponse(await revoke(session));
    expect(await introspect(session)).toEqual({ active: false });
    expect(await introspect(user.id as string)).toEqual({ active: false });
  });

  it('without a live bearer access token: 401 with WWW-Authenticate; a bad form: invalid_request', async () => {
    for (const authorization of [undefined, 'Bearer nope', `Basic ${Buffer.from('a:b').toString('base64')}`]) {
      const res = await fetch(`${issuer.origin}/oauth/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(authorization ? { authorization } : {}),
        },
        body: 'token=abc',
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      expect(await res.json()).toMatchObject({ error: 'invalid_token' });
    }
    for (const body of ['', 'token=a&token=b', 'token_type_hint=x']) {
      const res = await fetch(`${issuer.origin}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${MASTER}` },
        body,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    }
  });
});
