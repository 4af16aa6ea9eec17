/**
 * Abuse that must not get through (docs/security.md), on every store and
 * across two instances sharing it: concurrent password guesses past the lock
 * threshold are refused unheard, unknown and known usernames answer alike
 * whichever instance is asked, rate limits count across instances, and a
 * session ends at its tenant's absolute lifetime however active it is.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { openStore } from '../../src/store/open.js';
import type { FreshStore } from '../helpers/backends.js';
import { ok } from '../helpers/fixtures.js';
import { storeTargets } from '../helpers/targets.js';
import { MASTER, startTestTicketd, T0, type TestTicketd } from '../helpers/ticketd.js';
import {
  api,
  apiCreateProfile,
  authenticate,
  createTenant,
  expectProfileError,
  type Reply,
} from '../profile/support.js';
import { expectError, post } from '../tickets/client.js';

describe.each(storeTargets('abuse'))('abuse on $name, two instances', (target) => {
  let fresh: FreshStore;
  let a: TestTicketd;
  let b: TestTicketd;
  let n = 0;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    fresh = await target.prepare();
    // Multi-tenancy: the ticket surface acts in the tenant the Project header names.
    const config = { multi_tenancy: true };
    a = await startTestTicketd({ store: await openStore(fresh.url), clock, config });
    b = await startTestTicketd({ store: await openStore(fresh.url), clock, config });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await fresh?.cleanup();
  });

  async function tenantWithProfile(settings: Record<string, unknown> = {}) {
    n += 1;
    const tenant = `abuse-${n}`;
    await createTenant(a, tenant, settings);
    const p = await apiCreateProfile(a, { tenantName: tenant });
    return { ...p, tenant };
  }

  it('40 concurrent guesses with the right password 35th: refused 423, at most the threshold evaluated', async () => {
    const p = await tenantWithProfile();
    const verify = [vi.spyOn(a.identity.passwords, 'verify'), vi.spyOn(b.identity.passwords, 'verify')];
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          authenticate(i % 2 === 0 ? a : b, p.username, i === 34 ? p.password : `wrong-${i}`, p.tenant),
        ),
      );
      expectProfileError(answers[34] as Reply, 423, 'PROFILE_LOCKED');
      const evaluated = verify.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
      expect(evaluated).toBeLessThanOrEqual(8);
      const codes = answers.map((r) => r.json().errorCode);
      expect(codes.filter((c) => c === 'BAD_CREDENTIALS').length).toBeLessThanOrEqual(7);
      expect(codes.filter((c) => c === undefined)).toEqual([]);
    } finally {
      for (const spy of verify) spy.mockRestore();
    }
    // Still locked afterwards, on both instances.
    expectProfileError(await authenticate(a, p.username, p.password, p.tenant), 423, 'PROFILE_LOCKED');
    expectProfileError(await authenticate(b, p.username, p.password, p.tenant), 423, 'PROFILE_LOCKED');
  });

  it('an unknown username answers as a known one, whichever instance is asked', async () => {
    const p = await tenantWithProfile();
    const known: Reply[] = [];
    const unknown: Reply[] = [];
    for (let i = 0; i < 10; i++) known.push(await authenticate(i % 2 ? a : b, p.username, 'wrong', p.tenant));
    for (let i = 0; i < 10; i++) unknown.push(await authenticate(i % 2 ? a : b, 'nobody', 'wrong', p.tenant));
    expect(unknown.map((r) => r.statusCode)).toEqual(known.map((r) => r.statusCode));
    expect(unknown.map((r) => r.json().errorCode)).toEqual(known.map((r) => r.json().errorCode));
    expect(unknown.map((r) => r.headers['retry-after'])).toEqual(known.map((r) => r.headers['retry-after']));
    expect(known.at(-1)?.statusCode).toBe(423);
  });

  it('ticket create and use limits count per tenant across instances: 429 2009 with Retry-After', async () => {
    n += 1;
    const tenant = `limited-${n}`;
    await createTenant(a, tenant, { ticketCreateRateLimit: 4, ticketUseRateLimit: 2 });
    await createTenant(a, `${tenant}-free`);
    const created: Reply[] = [];
    for (let i = 0; i < 5; i++) created.push(await createIn(i % 2 ? a : b, tenant));
    expect(created.slice(0, 4).map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expectError(created[4] as Reply, 429, 2009);
    expect(Number(created[4]?.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(created[4]?.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Another tenant is not limited by this one's window.
    expect((await createIn(a, `${tenant}-free`)).statusCode).toBe(200);

    const ticket = (created[0] as Reply).json().ticket as string;
    const other = (created[1] as Reply).json().ticket as string;
    expect((await useIn(a, tenant, ticket)).statusCode).toBe(200);
    expect((await useIn(b, tenant, other)).statusCode).toBe(200);
    expectError(await useIn(a, tenant, ticket), 429, 2009);
    // The window ends a minute after its first request.
    clock.advance(60_000);
    expect((await createIn(b, tenant)).statusCode).toBe(200);
  });

  it('authenticate is limited per client address: 429 TOO_MANY_REQUESTS, other addresses unaffected', async () => {
    const p = await tenantWithProfile({ authenticateRateLimit: 3 });
    const from = (t: TestTicketd, address: string) =>
      t.server.inject({
        method: 'POST',
        url: '/api/1/authentication/authenticate',
        remoteAddress: address,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          accessTokenId: MASTER,
          tenantName: p.tenant,
          username: p.username,
          password: p.password,
        }).toString(),
      });
    for (let i = 0; i < 3; i++) ok(await from(i % 2 ? a : b, '10.0.0.1'));
    const refused = await from(a, '10.0.0.1');
    expectProfileError(refused, 429, 'TOO_MANY_REQUESTS');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    ok(await from(b, '10.0.0.2'));
  });

  it('a session ends at sessionMaxLifetime after its login, however active', async () => {
    const p = await tenantWithProfile({ sessionMaxLifetime: 100, loginTicketMaxAge: 60 });
    const ticket = ok<{ id: string }>(await authenticate(a, p.username, p.password, p.tenant)).id;
    clock.advance(50_000);
    ok(await api(b, 'GET', `/authentication/ticket/${ticket}`));
    clock.advance(49_000);
    ok(await api(a, 'GET', `/authentication/ticket/${ticket}`));
    clock.advance(1_000);
    expectProfileError(await api(b, 'GET', `/authentication/ticket/${ticket}`), 404, 'NO_SUCH_TICKET');
  });
});

function createIn(t: TestTicketd, tenant: string): Promise<Reply> {
  return post(t, '/v1/tickets', { uses: 5 }, { headers: { project: tenant } });
}
function useIn(t: TestTicketd, tenant: string, ticket: string): Promise<Reply> {
  return post(t, '/v1/tickets/use', { ticket }, { headers: { project: tenant } });
}
