import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, authenticate } from '../profile/support.js';
import {
  admin,
  createProfile,
  expectAdminError,
  expectInvalid,
  MASTER,
  ok,
  type ProfileJson,
  startTestTicketd,
  type TestTicketd,
} from './support.js';

const PROFILE_KEYS = [
  'id',
  'tenant',
  'username',
  'email',
  'enabled',
  'verified',
  'roles',
  'attributes',
  'createdOn',
  'lastModified',
  'failedLoginAttempts',
  'lockedUntil',
];

let t: TestTicketd;
let seq = 0;

/** A profile made by POST /admin/v1/profiles: the admin API's view of it (what its other routes answer). */
async function postProfile(body: Record<string, unknown> = {}): Promise<ProfileJson> {
  seq += 1;
  const base = { username: `admin-made-${seq}`, password: `secret-${seq}`, email: `admin-made-${seq}@example.com` };
  return ok<ProfileJson>(await admin(t, 'POST', '/profiles', { ...base, ...body }), 201);
}
beforeAll(async () => {
  t = await startTestTicketd();
  ok(await admin(t, 'POST', '/tenants', { name: 'acme', availableRoles: ['USER', 'ADMIN'] }), 201);
});
afterAll(async () => {
  await t.stop();
});

describe('profiles: happy paths', () => {
  it('POST /profiles creates a profile (201) in tenant default unless told; never returns the password', async () => {
    const res = await admin(t, 'POST', '/profiles', {
      username: 'alice',
      password: 'alice-pw',
      email: 'alice@example.com',
      attributes: { team: 'blue', n: 1 },
    });
    const p = ok<ProfileJson>(res, 201);
    expect(Object.keys(p)).toEqual(PROFILE_KEYS);
    expect(p).toMatchObject({
      tenant: 'default',
      username: 'alice',
      email: 'alice@example.com',
      enabled: true,
      verified: false,
      roles: [],
      attributes: { team: 'blue', n: 1 },
      failedLoginAttempts: 0,
      lockedUntil: null,
    });
    expect(p.id).toMatch(/^[0-9a-f]{24}$/);
    expect(res.body).not.toContain('alice-pw');
    expect(res.body).not.toContain('scrypt');
    expect(ok(await admin(t, 'GET', `/profiles/${p.id}`))).toEqual(p);
    // The profile surface authenticates it with that password.
    expect((await authenticate(t, 'alice', 'alice-pw')).statusCode).toBe(200);
  });

  it('GET /profiles?tenant= pages through a tenant’s profiles by username, with the total', async () => {
    ok(await admin(t, 'POST', '/tenants', { name: 'paging' }), 201);
    for (const u of ['dave', 'bob', 'erin', 'carol', 'alan']) await createProfile(t, { tenant: 'paging', username: u });
    const page = ok<{ profiles: ProfileJson[] }>(
      await admin(t, 'GET', '/profiles', undefined, { query: { tenant: 'paging', offset: '1', limit: '2' } }),
    );
    expect(page).toMatchObject({ tenant: 'paging', total: 5, offset: 1, limit: 2 });
    expect(page.profiles.map((p) => p.username)).toEqual(['bob', 'carol']);
    const all = ok<{ profiles: ProfileJson[]; limit: number }>(
      await admin(t, 'GET', '/profiles', undefined, { query: { tenant: 'paging' } }),
    );
    expect(all.limit).toBe(100);
    expect(all.profiles.map((p) => p.username)).toEqual(['alan', 'bob', 'carol', 'dave', 'erin']);
    const past = ok<{ profiles: ProfileJson[] }>(
      await admin(t, 'GET', '/profiles', undefined, { query: { tenant: 'paging', offset: '2147483647' } }),
    );
    expect(past.profiles).toEqual([]);
    // Without ?tenant: tenant default.
    expect(ok(await admin(t, 'GET', '/profiles'))).toMatchObject({ tenant: 'default' });
  });

  it('PATCH /profiles/:id changes the fields given: roles replace, attributes merge, a new password ends sessions', async () => {
    const p = await createProfile(t, { tenant: 'acme', password: 'old-pw', roles: ['USER'], attributes: { a: 1 } });
    const login = ok<{ id: string }>(await authenticate(t, p.username, 'old-pw', 'acme'));
    t.clock.advance(1000);
    const changed = ok<ProfileJson>(
      await admin(t, 'PATCH', `/profiles/${p.id}`, {
        email: 'new@example.com',
        roles: ['ADMIN'],
        attributes: { b: 2 },
        password: 'new-pw',
      }),
    );
    expect(changed).toMatchObject({ email: 'new@example.com', roles: ['ADMIN'], attributes: { a: 1, b: 2 } });
    expect(changed.lastModified).toBe(p.lastModified + 1000);
    expect((await api(t, 'GET', `/authentication/ticket/${login.id}`)).statusCode).toBe(404);
    expect((await authenticate(t, p.username, 'old-pw', 'acme')).statusCode).toBe(401);
    expect((await authenticate(t, p.username, 'new-pw', 'acme')).statusCode).toBe(200);
  });

  it('POST /profiles/:id/disable ends the sessions and refuses logins; /enable allows them again', async () => {
    const p = await postProfile({ password: 'pw' });
    const login = ok<{ id: string }>(await authenticate(t, p.username, 'pw'));
    expect(ok(await admin(t, 'POST', `/profiles/${p.id}/disable`))).toMatchObject({ enabled: false });
    expect((await api(t, 'GET', `/authentication/ticket/${login.id}`)).statusCode).toBe(404);
    expect((await authenticate(t, p.username, 'pw')).json()).toMatchObject({ errorCode: 'DISABLED_PROFILE' });
    expect(ok(await admin(t, 'POST', `/profiles/${p.id}/enable`))).toMatchObject({ enabled: true });
    expect((await authenticate(t, p.username, 'pw')).statusCode).toBe(200);
  });

  it('a tenant that verifies new profiles creates them disabled; an administrator enables them', async () => {
    ok(await admin(t, 'POST', '/tenants', { name: 'verified', verifyNewProfiles: true }), 201);
    const p = await createProfile(t, { tenant: 'verified', enabled: true });
    expect(p.enabled).toBe(false);
    expect(ok(await admin(t, 'POST', `/profiles/${p.id}/enable`))).toMatchObject({ enabled: true });
  });

  it('POST /profiles/:id/unlock clears the failed logins and the lock at once', async () => {
    const p = await createProfile(t, { password: 'right' });
    for (let i = 0; i < 8; i++) await authenticate(t, p.username, 'wrong');
    const locked = ok<ProfileJson>(await admin(t, 'GET', `/profiles/${p.id}`));
    expect(locked.failedLoginAttempts).toBe(8);
    expect(locked.lockedUntil).toBe(t.clock.now() + 600_000);
    expect((await authenticate(t, p.username, 'right')).statusCode).toBe(423);
    const unlocked = ok<ProfileJson>(await admin(t, 'POST', `/profiles/${p.id}/unlock`));
    expect(unlocked).toMatchObject({ failedLoginAttempts: 0, lockedUntil: null });
    expect((await authenticate(t, p.username, 'right')).statusCode).toBe(200);
  });

  it('DELETE /profiles/:id removes it with its sessions and answers it as it was', async () => {
    const p = await postProfile({ password: 'pw' });
    const login = ok<{ id: string }>(await authenticate(t, p.username, 'pw'));
    expect(ok(await admin(t, 'DELETE', `/profiles/${p.id}`))).toEqual(p);
    expectAdminError(await admin(t, 'GET', `/profiles/${p.id}`), 404, 103005, `No profile with ID "${p.id}" found`);
    expect((await api(t, 'GET', `/authentication/ticket/${login.id}`)).statusCode).toBe(404);
    // The username is free again.
    await createProfile(t, { username: p.username });
  });

  it('ids are case-insensitive, as on the profile surface', async () => {
    const p = await postProfile();
    expect(ok(await admin(t, 'GET', `/profiles/${p.id.toUpperCase()}`))).toEqual(p);
  });
});

describe('profiles: errors', () => {
  it('404 103003 for an unknown tenant (create, list)', async () => {
    expectAdminError(
      await admin(t, 'POST', '/profiles', { tenant: 'nope', username: 'u', password: 'p', email: 'u@x.io' }),
      404,
      103003,
      'No tenant with name "nope" found',
    );
    expectAdminError(await admin(t, 'GET', '/profiles', undefined, { query: { tenant: 'nope' } }), 404, 103003);
  });

  it('404 103005 for an unknown or malformed id, on every route with an id', async () => {
    for (const id of ['0123456789abcdef01234567', 'not-an-id', '%00', 'x'.repeat(200)]) {
      expectAdminError(await admin(t, 'GET', `/profiles/${id}`), 404, 103005);
      expectAdminError(await admin(t, 'PATCH', `/profiles/${id}`, { email: 'a@b.c' }), 404, 103005);
      expectAdminError(await admin(t, 'DELETE', `/profiles/${id}`), 404, 103005);
      for (const verb of ['enable', 'disable', 'unlock']) {
        expectAdminError(await admin(t, 'POST', `/profiles/${id}/${verb}`), 404, 103005);
      }
    }
  });

  it('409 103006 for a username in use in the tenant (create, rename); other tenants may use it', async () => {
    const p = await postProfile({ username: 'taken' });
    expectAdminError(
      await admin(t, 'POST', '/profiles', { username: 'taken', password: 'p', email: 'a@b.c' }),
      409,
      103006,
    );
    const q = await createProfile(t);
    expectAdminError(await admin(t, 'PATCH', `/profiles/${q.id}`, { username: 'taken' }), 409, 103006);
    await createProfile(t, { tenant: 'acme', username: 'taken' });
    expect(ok(await admin(t, 'GET', `/profiles/${p.id}`))).toEqual(p);
  });

  it('400 103010 for values the domain refuses, with the reason in detail', async () => {
    const base = { tenant: 'acme', username: 'v', password: 'p' };
    expectAdminError(
      await admin(t, 'POST', '/profiles', { ...base, email: 'v@x.io', roles: ['ROOT'] }),
      400,
      103010,
      'Role "ROOT" is not available in tenant "acme"',
    );
    expectAdminError(await admin(t, 'POST', '/profiles', { ...base, email: 'no-at-sign' }), 400, 103010, /email/);
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expectAdminError(
      await admin(t, 'POST', '/profiles', { ...base, email: 'v@x.io', attributes: deep }),
      400,
      103010,
      /nested deeper/,
    );
  });

  it('2004 for missing, mistyped and out-of-range parameters', async () => {
    expectInvalid(await admin(t, 'POST', '/profiles', {}), { username: 1001, password: 1001, email: 1001 });
    expectInvalid(
      await admin(t, 'POST', '/profiles', {
        username: '',
        password: 'x'.repeat(1025),
        email: 5,
        enabled: 'true',
        roles: 'USER',
        attributes: [],
        tenant: null,
      }),
      { username: 1003, password: 1003, email: 1002, enabled: 103101, roles: 103105, attributes: 103107, tenant: 1002 },
    );
    expectInvalid(
      await admin(t, 'POST', '/profiles', {
        username: 'u',
        password: 'p',
        email: 'a@b.c',
        roles: Array(101).fill('R'),
      }),
      { roles: 103106 },
    );
    expectInvalid(await admin(t, 'GET', '/profiles', undefined, { query: { limit: '0', offset: 'x' } }), {
      limit: 1006,
      offset: 1005,
    });
    expectInvalid(await admin(t, 'GET', '/profiles', undefined, { query: { limit: '1001', offset: '-1' } }), {
      limit: 1007,
      offset: 1006,
    });
    expectInvalid(await admin(t, 'GET', '/profiles', undefined, { query: { tenant: 'a', color: 'red' } }), {
      color: 103103,
    });
    const p = await createProfile(t);
    expectInvalid(await admin(t, 'POST', `/profiles/${p.id}/enable`, { enabled: true }), { enabled: 103103 });
    expectInvalid(await admin(t, 'PATCH', `/profiles/${p.id}`, { id: p.id }), { id: 103103 });
    const twice = await t.server.inject({
      method: 'GET',
      url: '/admin/v1/profiles?tenant=a&tenant=b',
      headers: { authorization: `Bearer ${MASTER}` },
    });
    expectInvalid(twice, { tenant: 1002 });
  });
});
