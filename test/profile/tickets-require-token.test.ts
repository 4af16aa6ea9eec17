import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createTenant, createToken, MASTER, startTestTicketd, type TestTicketd } from './support.js';

/** `tickets.require_token`: the ticket surface wants a bearer access token with MANAGE_TICKETS on the tenant. */
describe('ticket surface with tickets.require_token', () => {
  let t: TestTicketd;
  let good: string;
  let otherTenant: string;
  let profilesOnly: string;
  let expired: string;

  beforeAll(async () => {
    t = await startTestTicketd({ config: { tickets: { require_token: true }, multi_tenancy: true } });
    await createTenant(t, 'shop');
    good = await createToken(t, { tenantPermissions: [{ tenant: 'shop', allowedActions: ['MANAGE_TICKETS'] }] });
    otherTenant = await createToken(t, { tenantPermissions: [{ tenant: 'default', allowedActions: ['*'] }] });
    profilesOnly = await createToken(t, { tenantPermissions: [{ tenant: '*', allowedActions: ['MANAGE_PROFILES'] }] });
    expired = await createToken(t, {
      tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }],
      expiresOn: t.clock.now() + 1000,
    });
    t.clock.advance(1000);
  });
  afterAll(async () => {
    await t.stop();
  });

  const create = (headers: Record<string, string>) =>
    t.server.inject({
      method: 'POST',
      url: '/v1/tickets',
      headers: { 'content-type': 'application/json', project: 'shop', ...headers },
      payload: '{"uses": 1}',
    });

  it('a token with MANAGE_TICKETS on the tenant creates and uses tickets', async () => {
    const res = await create({ authorization: `Bearer ${good}` });
    expect(res.statusCode, res.body).toBe(200);
    const { ticket } = res.json() as { ticket: string };
    const used = await t.server.inject({
      method: 'POST',
      url: '/v1/tickets/use',
      headers: { project: 'shop', authorization: `bearer ${good}` },
      payload: JSON.stringify({ ticket }),
    });
    expect(used.statusCode, used.body).toBe(200);
  });

  it('the master token works too', async () => {
    expect((await create({ authorization: `Bearer ${MASTER}` })).statusCode).toBe(200);
  });

  it('missing, malformed, unknown or expired token: 401 code 2007 with WWW-Authenticate', async () => {
    for (const authorization of [
      undefined,
      '',
      'Bearer',
      `Basic ${good}`,
      'Bearer 0b1e6c42-5d1f-4a4e-9d8f-3f2b8f0c1a2b',
      `Bearer ${expired}`,
    ]) {
      const res = await create(authorization === undefined ? {} : { authorization });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.json()).toEqual({ code: 2007, error: 'a valid access token is required' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('no tenant can be probed without a token: 401 comes before the project check', async () => {
    const res = await t.server.inject({ method: 'POST', url: '/v1/tickets', headers: { project: 'nope' } });
    expect(res.statusCode).toBe(401);
  });

  it('a token without MANAGE_TICKETS on the tenant: 403 code 2008', async () => {
    for (const token of [otherTenant, profilesOnly]) {
      const res = await create({ authorization: `Bearer ${token}` });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ code: 2008, error: 'access token may not manage tickets of this project' });
    }
  });

  it('TICKETD_TICKETS_REQUIRE_TOKEN sets it from the environment', () => {
    expect(loadConfig({ env: { TICKETD_TICKETS_REQUIRE_TOKEN: 'true' } }).tickets.require_token).toBe(true);
    expect(loadConfig({ env: {} }).tickets.require_token).toBe(false);
  });
});

describe('ticket surface without tickets.require_token', () => {
  it('stays open, as Authen’s', async () => {
    const t = await startTestTicketd();
    try {
      const res = await t.server.inject({ method: 'POST', url: '/v1/tickets', payload: '{}' });
      expect(res.statusCode).toBe(200);
    } finally {
      await t.stop();
    }
  });
});
