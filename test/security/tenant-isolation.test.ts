import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OzAppRecord } from '../../src/store/types.js';
import { appCredentials, createApp, type OzReply, post, ticketCredentials, userTicket } from '../oz/support.js';
import {
  api,
  apiCreateProfile,
  authenticate,
  createTenant,
  createToken,
  ok,
  startTestTicketd,
  type TestTicketd,
  type TicketJson,
} from '../profile/support.js';

/**
 * docs/security.md: no operation in tenant A can read, use or delete
 * anything of tenant B, on any surface. Each surface holds its own cases:
 * test/tickets/security.test.ts (tickets by Project), test/profile/security.test.ts
 * (every profile route with a token of A against B), test/admin/security.test.ts
 * (every admin route wants a master token). Here: what crosses surfaces — a
 * person of B signed in with an app of A, tickets of B handed to A, and one
 * access token of A tried on every surface that takes one.
 */
describe('tenant isolation across surfaces', () => {
  let t: TestTicketd;
  let oz: TestTicketd;
  let appA: OzAppRecord;
  let appB: OzAppRecord;
  let tokenA: string;
  let sessionB: TicketJson;
  let userTicketB: Record<string, unknown>;

  beforeAll(async () => {
    t = await startTestTicketd({ config: { multi_tenancy: true, tickets: { require_token: true } } });
    oz = t;
    await createTenant(t, 'tenant-a');
    await createTenant(t, 'tenant-b');
    tokenA = await createToken(t, { tenantPermissions: [{ tenant: 'tenant-a', allowedActions: ['*'] }] });
    appA = await createApp(oz, { tenant: 'tenant-a' });
    // B may delegate: only the tenant stands between B's tickets and A.
    appB = await createApp(oz, { tenant: 'tenant-b', delegate: true });
    const b = await apiCreateProfile(t, { tenantName: 'tenant-b' });
    sessionB = ok<TicketJson>(await authenticate(t, b.username, b.password, 'tenant-b'));
    userTicketB = (await userTicket(oz, appB, b.id)).ticket;
  });
  afterAll(async () => {
    await t.stop();
  });

  const expectOz = (res: OzReply, status: number, message: string) =>
    expect([res.status, res.body.message], res.text).toEqual([status, message]);

  it('an app of A cannot take a session of a person of B: no user ticket, no rsvp', async () => {
    expectOz(await post(oz, '/v1/ticket', appCredentials(appA), { session: sessionB.id }), 401, 'Invalid session');
    const rsvp = await post(oz, '/v1/rsvp', null, { session: sessionB.id, app: appA.id });
    expectOz(rsvp, 401, 'Invalid session');
  });

  it('a user ticket of B cannot be reissued to an app of A, nor pass for an app of A', async () => {
    const toA = await post(oz, '/oz/reissue', ticketCredentials(userTicketB), { issueTo: appA.id });
    expectOz(toA, 403, 'Unknown application to issue to');
    const asA = await post(oz, '/v1/ticket/reissue', ticketCredentials(userTicketB), {}, { app: appA.id });
    expectOz(asA, 401, 'Mismatching application id');
    // The ticket itself still works for B.
    expect((await post(oz, '/v1/ticket/reissue', ticketCredentials(userTicketB), {})).status).toBe(200);
  });

  it('an access token of A opens nothing of B on the ticket and profile surfaces', async () => {
    const bearerA = { authorization: `Bearer ${tokenA}` };
    const createB = await t.server.inject({
      method: 'POST',
      url: '/v1/tickets',
      headers: { 'content-type': 'application/json', project: 'tenant-b', ...bearerA },
      payload: '{"uses": 1}',
    });
    expect([createB.statusCode, createB.json().code]).toEqual([403, 2008]);
    const bySession = await api(t, 'GET', '/profile/by_ticket', { ticketId: sessionB.id }, { accessTokenId: tokenA });
    expect([bySession.statusCode, bySession.json().errorCode]).toEqual([403, 'ACTION_DENIED']);
    const admin = await t.server.inject({ method: 'GET', url: '/admin/v1/tenants', headers: bearerA });
    expect([admin.statusCode, admin.json().code]).toEqual([403, 103002]);
  });

  it('a ticket of A is not found in B, with the answer an unknown ticket gets', async () => {
    const master = { authorization: 'Bearer test-master-token-0123456789abcdef', 'content-type': 'application/json' };
    const created = await t.server.inject({
      method: 'POST',
      url: '/v1/tickets',
      headers: { ...master, project: 'tenant-a' },
      payload: '{"uses": 1, "payload": {"of": "a"}}',
    });
    const { ticket } = created.json() as { ticket: string };
    const inB = await t.server.inject({
      method: 'POST',
      url: '/v1/tickets/use',
      headers: { ...master, project: 'tenant-b' },
      payload: JSON.stringify({ ticket }),
    });
    expect([inB.statusCode, inB.body]).toEqual([404, '{"code":102011,"error":"ticket not found"}']);
    const inA = await t.server.inject({
      method: 'POST',
      url: '/v1/tickets/use',
      headers: { ...master, project: 'tenant-a' },
      payload: JSON.stringify({ ticket }),
    });
    expect(inA.json()).toEqual({ uses: 0, payload: { of: 'a' } });
  });
});
