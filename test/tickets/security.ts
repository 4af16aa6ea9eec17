import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { createTicket, expectError, peekTicket, post, type Reply } from './client.js';

/**
 * The ticket surface's credential is the `Project` header (multi-tenant mode).
 * Like unkey's shared security helper, `describeTenantChecks` tries a missing,
 * a wrong, and an under-privileged credential (another tenant's) against one
 * route; security.test.ts runs it for every route in `ticketRoutes`.
 */

export const TENANTS_CONFIG = { multi_tenancy: true, tenants: { acme: {}, beta: {} } };

export interface TicketRouteCase {
  name: string;
  url: string;
  /** A body this route accepts, acting on `ticket` where it needs one. */
  body(ticket: string): Record<string, unknown>;
  /**
   * Checks the answer of this route in tenant beta on acme's `ticket`: it
   * must reveal and change nothing.
   */
  expectForeign(res: Reply): void;
}

export const ticketRoutes: TicketRouteCase[] = [
  {
    name: 'create',
    url: '/v1/tickets',
    body: () => ({ uses: 3, payload: { user_id: 9001 } }),
    // Creating in beta works, and the new ticket lives in beta only.
    expectForeign: (res) => expect(res.statusCode).toBe(200),
  },
  {
    name: 'use',
    url: '/v1/tickets/use',
    body: (ticket) => ({ ticket }),
    expectForeign: (res) => expectError(res, 404, 102011),
  },
  {
    name: 'delete',
    url: '/v1/tickets/delete',
    body: (ticket) => ({ ticket }),
    expectForeign: (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('{"uses":null,"deleted":0}');
    },
  },
  {
    name: 'peek',
    url: '/v1/tickets/peek',
    body: (ticket) => ({ ticket }),
    expectForeign: (res) => expectError(res, 404, 102011),
  },
];

const acme = { headers: { project: 'acme' } };
const beta = { headers: { project: 'beta' } };

/** Registers the tenant checks of one route in the current `describe`. */
export function describeTenantChecks(route: TicketRouteCase): void {
  // One instance per route; every check gets a fresh ticket of acme.
  let t: TestTicketd;
  let ticket: string;
  let acmeCount: number;
  beforeAll(async () => {
    t = await startTestTicketd({ config: TENANTS_CONFIG });
  });
  afterAll(async () => {
    await t.stop();
  });
  beforeEach(async () => {
    ticket = await createTicket(t, { uses: 3, payload: { user_id: 9001 } }, acme);
    acmeCount = await t.store.tickets.count('acme');
  });

  /** Acme's ticket is exactly as it was created, and acme holds no more and no fewer tickets. */
  const expectUntouched = async () => {
    expect((await peekTicket(t, ticket, acme)).json()).toMatchObject({ uses: 3 });
    expect(await t.store.tickets.count('acme')).toBe(acmeCount);
  };

  it('missing Project header: 400 102002, nothing done', async () => {
    const res = await post(t, route.url, route.body(ticket));
    expect(res.json()).toEqual({ code: 102002, error: 'project header is required' });
    expect(res.statusCode).toBe(400);
    await expectUntouched();
  });

  it('empty Project header: 400 102002', async () => {
    expectError(await post(t, route.url, route.body(ticket), { headers: { project: '' } }), 400, 102002);
    await expectUntouched();
  });

  it('the Project header is checked before the body is read', async () => {
    const bad = { 'content-type': 'application/json' };
    expectError(await post(t, route.url, '{not json', { headers: bad }), 400, 102002);
    expectError(await post(t, route.url, '{not json', { headers: { ...bad, project: 'nope' } }), 400, 102003);
  });

  it.each(['nope', 'ACME', 'acme ', 'default-x', '../acme'])('Project %j names no tenant: 400 102003', async (name) => {
    const res = await post(t, route.url, route.body(ticket), { headers: { project: name } });
    expect(res.json()).toEqual({ code: 102003, error: 'project not found' });
    expect(res.statusCode).toBe(400);
    await expectUntouched();
  });

  it("another tenant's ticket: reveals and changes nothing", async () => {
    const res = await post(t, route.url, route.body(ticket), beta);
    route.expectForeign(res);
    expect(res.body).not.toContain('9001');
    await expectUntouched();
  });

  it('the right Project header works', async () => {
    const res = await post(t, route.url, route.body(ticket), acme);
    expect(res.statusCode, res.body).toBe(200);
  });
}
