/**
 * The events of the profile surface, the purge and the audit log
 * (docs/events.md), raised by real requests on an in-process ticketd and
 * read back from its outbox: logins (succeeded, failed, locked), every
 * session of a profile ending, tickets expiring in the purge, audit records
 * of the admin API and the Crafter management routes, and subscriptions to
 * a family (`login.*`).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { admin, ok } from '../admin/support.js';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { api, apiJson, authenticate, createToken, type ProfileJson } from '../profile/support.js';

let t: TestTicketd;

beforeAll(async () => {
  t = await startTestTicketd({ config: { multi_tenancy: true } });
  ok(
    await admin(t, 'POST', '/tenants', {
      name: 'ev',
      failedLoginAttemptsBeforeLock: 3,
      failedLoginAttemptsBeforeDelay: 0,
      lockTime: 60,
    }),
    201,
  );
  ok(await admin(t, 'POST', '/tenants', { name: 'other' }), 201);
  ok(
    await admin(t, 'POST', '/webhooks', {
      url: 'http://127.0.0.1:9/hook',
      tenant: 'ev',
      events: ['login.*', 'profile.*', 'session.*', 'ticket.expired', 'audit.*'],
    }),
    201,
  );
});
afterAll(() => t.stop());
beforeEach(async () => {
  await drain();
});

interface Raised {
  type: string;
  data: Record<string, unknown>;
}

/** The events the outbox holds now, oldest first: fanned out to one endpoint that takes every type, claimed. */
async function drain(): Promise<Raised[]> {
  const route = ['ev', 'other'].map((tenant) => ({ endpointId: `ep_${tenant}`, tenant, type: '*' }));
  while ((await t.store.outbox.fanOut(100, route, t.clock.now())) > 0);
  const claimed = await t.store.outbox.claim(1000, t.clock.now(), 60_000);
  return claimed
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((d) => JSON.parse(d.body) as Raised)
    .map(({ type, data }) => ({ type, data }));
}

const ofType = (events: Raised[], prefix: string) => events.filter((e) => e.type.startsWith(prefix));

async function profile(username: string, password = 'right-password-1'): Promise<ProfileJson> {
  return ok<ProfileJson>(
    await api(t, 'POST', '/profile/create', {
      tenantName: 'ev',
      username,
      password,
      email: `${username}@example.com`,
      enabled: true,
    }),
  );
}

describe('events of logins, sessions, the purge and the audit log', () => {
  it('a login raises login.succeeded; wrong passwords login.failed, the third profile.locked, then locked', async () => {
    const p = await profile('alice');
    await drain();
    ok(await authenticate(t, 'alice', 'right-password-1', 'ev'));
    expect(await drain()).toEqual([{ type: 'login.succeeded', data: { tenant: 'ev', profileId: p.id } }]);

    for (let i = 0; i < 4; i++) await authenticate(t, 'alice', 'wrong', 'ev');
    await authenticate(t, 'nobody', 'wrong', 'ev');
    const failed = { type: 'login.failed', data: { tenant: 'ev', profileId: p.id, reason: 'bad_credentials' } };
    const events = await drain();
    expect(events.slice(0, 2)).toEqual([failed, failed]);
    expect(events[2]).toMatchObject({ type: 'profile.locked', data: { tenant: 'ev', profileId: p.id } });
    expect(Date.parse(String(events[2]?.data.lockedUntil))).toBe(t.clock.now() + 60_000);
    const locked = { type: 'login.failed', data: { tenant: 'ev', profileId: p.id, reason: 'locked' } };
    // The third (it locks) and the fourth (refused unheard); an unknown username has no profile id.
    expect(events.slice(3)).toEqual([
      locked,
      locked,
      { type: 'login.failed', data: { tenant: 'ev', profileId: null, reason: 'bad_credentials' } },
    ]);
    // Nothing in any event names the username or the password.
    expect(JSON.stringify(events)).not.toMatch(/alice|nobody|wrong|right-password/);
  });

  it('a disabled profile refused is login.failed with reason disabled', async () => {
    const p = await profile('bob');
    ok(await api(t, 'POST', `/profile/${p.id}/disable`));
    await drain();
    await authenticate(t, 'bob', 'right-password-1', 'ev');
    expect(ofType(await drain(), 'login.')).toEqual([
      { type: 'login.failed', data: { tenant: 'ev', profileId: p.id, reason: 'disabled' } },
    ]);
  });

  it('disable, new password and delete each end every session with one session.ended', async () => {
    const p = await profile('carol');
    ok(await authenticate(t, 'carol', 'right-password-1', 'ev'));
    await drain();
    ok(await api(t, 'POST', `/profile/${p.id}/disable`));
    ok(await api(t, 'POST', `/profile/${p.id}/enable`));
    ok(await api(t, 'POST', `/profile/${p.id}/change_password`, { newPassword: 'another-password-2' }));
    ok(await api(t, 'POST', `/profile/${p.id}/delete`));
    const ended = (reason: string) => ({ type: 'session.ended', data: { tenant: 'ev', profileId: p.id, reason } });
    expect(ofType(await drain(), 'session.')).toEqual([ended('disabled'), ended('password_changed'), ended('deleted')]);
  });

  it('the purge raises ticket.expired for each expired ticket of a subscribed tenant', async () => {
    const created = ok<{ ticket: string }>(
      await t.server.inject({
        method: 'POST',
        url: '/v1/tickets',
        headers: { 'content-type': 'application/json', project: 'ev' },
        payload: JSON.stringify({ ttl: 60 }),
      }),
    );
    expect(created.ticket).toBeTruthy();
    await drain();
    t.clock.advance(61_000);
    await t.purger.runOnce();
    const expired = ofType(await drain(), 'ticket.');
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ type: 'ticket.expired', data: { tenant: 'ev' } });
    expect(expired[0]?.data.ticket).toMatch(/^[0-9a-f]{16}$/);
    expect(Date.parse(String(expired[0]?.data.expiresAt))).toBe(t.clock.now() - 1000);
  });

  it('management changes on /api/1 and the admin API are audited, and raise audit.recorded', async () => {
    const p = await profile('dave');
    const token = await createToken(t, { tenantPermissions: [{ tenant: 'ev', allowedActions: ['*'] }] });
    ok(await api(t, 'POST', `/profile/${p.id}/update`, { email: 'dave2@example.com' }, { accessTokenId: token }));
    // Refused: not a change, but an outcome worth recording.
    const refused = await api(t, 'POST', '/profile/no-such-id/update', { email: 'x@example.com' });
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);
    ok(await admin(t, 'PATCH', `/profiles/${p.id}`, { email: 'dave3@example.com' }));
    // A caller without a valid token changes nothing and is not recorded.
    await api(t, 'POST', `/profile/${p.id}/update`, { email: 'x@example.com' }, { accessTokenId: 'not-a-token' });

    const audit = ofType(await drain(), 'audit.').map((e) => e.data);
    expect(audit.map(({ action, actor, target, outcome }) => ({ action, actor, target, outcome }))).toEqual([
      { action: 'profile.create', actor: 'token:test-mas', target: p.id, outcome: 'ok' },
      { action: 'profile.update', actor: `token:${token.slice(0, 8)}`, target: p.id, outcome: 'ok' },
      { action: 'profile.update', actor: 'token:test-mas', target: p.id, outcome: 'ok' },
    ]);
    // The refused one names no tenant (there is no such profile): in the log, but no tenant's event.
    const listed = ok<{ records: { action: string; tenant: string | null; target: string; outcome: string }[] }>(
      await admin(t, 'GET', '/audit?action=profile.update&limit=3'),
    );
    expect(listed.records.map((r) => [r.tenant, r.target, r.outcome])).toEqual([
      ['ev', p.id, 'ok'],
      [null, 'no-such-id', 'NO_SUCH_PROFILE'],
      ['ev', p.id, 'ok'],
    ]);
    // Tenants and access tokens on /api/1: recorded, the token by its first 8 characters only.
    ok(await apiJson(t, '/tenant/create', { name: 'made-on-api' }));
    const made = ok<{ id: string }>(
      await apiJson(t, '/access_token/create', { application: 'x', master: false, tenantPermissions: [] }),
    );
    ok(await api(t, 'POST', `/access_token/${made.id}/delete`));
    const all = ok<{ records: { action: string; target: string | null }[] }>(await admin(t, 'GET', '/audit?limit=3'));
    expect(all.records.map((r) => [r.action, r.target])).toEqual([
      ['access-token.delete', made.id.slice(0, 8)],
      ['access-token.create', made.id.slice(0, 8)],
      ['tenant.create', 'made-on-api'],
    ]);
    expect(JSON.stringify(all)).not.toContain(made.id);
  });

  it('events of a tenant without a subscription are not written', async () => {
    await drain();
    ok(await admin(t, 'PATCH', '/tenants/other', { lockTime: 30 }));
    expect(await drain()).toEqual([]);
  });
});
