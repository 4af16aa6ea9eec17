import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  apiCreateProfile,
  authenticate,
  createTenant,
  createToken,
  expectProfileError,
  ok,
  type ProfileJson,
  startTestTicketd,
  type TestTicketd,
} from './support.js';

const KEYS = [
  'username',
  'email',
  'verified',
  'enabled',
  'createdOn',
  'lastModified',
  'tenant',
  'roles',
  'attributes',
  'id',
];
const ABSENT = '5925a68def86951f895cf497';
const MALFORMED = [
  'x',
  '5925a68def86951f895cf49',
  '5925a68def86951f895cf4970',
  'g925a68def86951f895cf497',
  '%20',
  '...',
  ' '.repeat(24),
  'a/b',
];

describe('profiles', () => {
  let t: TestTicketd;

  beforeAll(async () => {
    t = await startTestTicketd();
  });
  afterAll(async () => {
    await t.stop();
  });

  describe('POST /profile/create', () => {
    it('answers the profile in Crafter’s key order, never the password', async () => {
      const res = await api(t, 'POST', '/profile/create', {
        tenantName: 'default',
        username: 'john.doe',
        password: 'hunter2!',
        email: 'john.doe@example.com',
        enabled: true,
        role: ['SOCIAL_USER', 'ADMIN'],
        attributes: JSON.stringify({ firstName: 'John', nested: { a: [1, 2] } }),
      });
      const p = ok<ProfileJson>(res);
      expect(Object.keys(p)).toEqual(KEYS);
      expect(p).toEqual({
        username: 'john.doe',
        email: 'john.doe@example.com',
        verified: false,
        enabled: true,
        createdOn: t.clock.now(),
        lastModified: t.clock.now(),
        tenant: 'default',
        roles: ['SOCIAL_USER', 'ADMIN'],
        attributes: { firstName: 'John', nested: { a: [1, 2] } },
        id: p.id,
      });
      expect(p.id).toMatch(/^[0-9a-f]{24}$/);
      // The first 4 bytes are the creation second, as in an ObjectId.
      expect(Number.parseInt(p.id.slice(0, 8), 16)).toBe(Math.floor(t.clock.now() / 1000));
      expect(res.body).not.toContain('hunter2');
      expect(res.body).not.toContain('scrypt');
    });

    it('roles: repeated, comma-separated, or a JSON array; duplicates dropped', async () => {
      const repeated = await apiCreateProfile(t, { role: ['A', 'B'] });
      expect(repeated.roles).toEqual(['A', 'B']);
      const comma = await apiCreateProfile(t, { role: 'A,B, C' });
      expect(comma.roles).toEqual(['A', 'B', 'C']);
      const json = ok<ProfileJson>(
        await api(
          t,
          'POST',
          '/profile/create',
          { tenantName: 'default', username: 'json-roles', password: 'pw', email: 'j@x.io', role: ['A', 'A'] },
          { as: 'json' },
        ),
      );
      expect(json.roles).toEqual(['A']);
    });

    it('enabled defaults to true; Spring spellings of booleans are accepted', async () => {
      expect((await apiCreateProfile(t, { enabled: undefined })).enabled).toBe(true);
      expect((await apiCreateProfile(t, { enabled: 'off' })).enabled).toBe(false);
      expect((await apiCreateProfile(t, { enabled: 'YES' })).enabled).toBe(true);
    });

    it('verifyNewProfiles: new profiles start disabled and unverified', async () => {
      await createTenant(t, 'verifying', { verifyNewProfiles: true });
      const p = await apiCreateProfile(t, { tenantName: 'verifying', enabled: true });
      expect(p).toMatchObject({ enabled: false, verified: false });
    });

    it('availableRoles limits roles when not empty', async () => {
      await createTenant(t, 'roled', { availableRoles: ['USER', 'ADMIN'] });
      expect((await apiCreateProfile(t, { tenantName: 'roled', role: 'USER' })).roles).toEqual(['USER']);
      const res = await api(t, 'POST', '/profile/create', {
        tenantName: 'roled',
        username: 'bad-role',
        password: 'pw',
        email: 'b@x.io',
        role: 'ROOT',
      });
      expectProfileError(res, 400, 'PARAM_DESERIALIZATION_ERROR', 'Role "ROOT" is not available in tenant "roled"');
    });

    it('same username in the tenant: 409 PROFILE_EXISTS; in another tenant: fine', async () => {
      const p = await apiCreateProfile(t);
      const res = await api(t, 'POST', '/profile/create', {
        tenantName: 'default',
        username: p.username,
        password: 'pw',
        email: 'x@y.z',
      });
      expectProfileError(res, 409, 'PROFILE_EXISTS', `A profile with name "${p.username}" already exists`);
      await createTenant(t, 'second');
      expect((await apiCreateProfile(t, { tenantName: 'second', username: p.username })).tenant).toBe('second');
    });

    it('unknown tenant: 404 NO_SUCH_TENANT', async () => {
      const res = await api(t, 'POST', '/profile/create', {
        tenantName: 'nowhere',
        username: 'u',
        password: 'pw',
        email: 'u@x.io',
      });
      expectProfileError(res, 404, 'NO_SUCH_TENANT');
    });

    it('bad input: 400 PARAM_DESERIALIZATION_ERROR', async () => {
      const base = { tenantName: 'default', username: 'bad-input', password: 'pw', email: 'b@x.io' };
      const cases: Record<string, unknown>[] = [
        { username: undefined },
        { password: undefined },
        { email: undefined },
        { email: 'not-an-email' },
        { username: '' },
        { password: '' },
        { username: 'u'.repeat(256) },
        { password: 'p'.repeat(1025) },
        { enabled: 'maybe' },
        { attributes: '{not json' },
        { attributes: '[1,2]' },
        { attributes: '"text"' },
        { attributes: `${'{"a":'.repeat(40)}1${'}'.repeat(40)}` },
        { role: 'r'.repeat(101) },
        // Control characters: PostgreSQL text cannot hold U+0000, so every store refuses them alike.
        { username: 'a\u0000b' },
        { username: 'tab\there' },
        { email: 'a\u0000@x.io' },
        { role: 'R\u007f' },
      ];
      for (const c of cases) {
        const res = await api(t, 'POST', '/profile/create', { ...base, ...c } as Record<string, string>);
        expectProfileError(res, 400, 'PARAM_DESERIALIZATION_ERROR');
      }
    });

    it('needs MANAGE_PROFILES on the tenant', async () => {
      const token = await createToken(t, {
        tenantPermissions: [{ tenant: 'default', allowedActions: ['MANAGE_TICKETS'] }],
      });
      const res = await api(
        t,
        'POST',
        '/profile/create',
        { tenantName: 'default', username: 'denied', password: 'pw', email: 'd@x.io' },
        { accessTokenId: token },
      );
      expectProfileError(
        res,
        403,
        'ACTION_DENIED',
        'Current subject does not have permission to execute action "MANAGE_PROFILES" on tenant "default"',
      );
    });
  });

  describe('GET /profile/{id}', () => {
    it('answers the profile', async () => {
      const p = await apiCreateProfile(t, { attributes: JSON.stringify({ a: 1, b: 2 }) });
      const { password: _, ...expected } = p;
      const got = ok<ProfileJson>(await api(t, 'GET', `/profile/${p.id}`));
      expect(got).toEqual(expected);
      expect(Object.keys(got)).toEqual(KEYS);
      expect(ok<ProfileJson>(await api(t, 'GET', `/profile/${p.id}`, { attributeToReturn: 'b' })).attributes).toEqual({
        b: 2,
      });
      expect(
        ok<ProfileJson>(await api(t, 'GET', `/profile/${p.id}`, { attributeToReturn: '$none' })).attributes,
      ).toEqual({});
    });

    it('unknown or malformed id: 404 NO_SUCH_PROFILE, never 500', async () => {
      expectProfileError(
        await api(t, 'GET', `/profile/${ABSENT}`),
        404,
        'NO_SUCH_PROFILE',
        `No profile with ID "${ABSENT}" found`,
      );
      for (const id of MALFORMED) {
        expectProfileError(await api(t, 'GET', `/profile/${encodeURIComponent(id)}`), 404, 'NO_SUCH_PROFILE');
      }
    });
  });

  describe('POST /profile/{id}/update', () => {
    it('changes only what is given; attributes are merged; lastModified moves', async () => {
      const p = await apiCreateProfile(t, { role: 'A', attributes: JSON.stringify({ keep: 1, change: 1 }) });
      t.clock.advance(5000);
      const res = await api(t, 'POST', `/profile/${p.id}/update`, {
        email: 'new@example.com',
        attributes: JSON.stringify({ change: 2, added: true, __proto__: 'plain' }),
      });
      const u = ok<ProfileJson>(res);
      expect(u).toMatchObject({
        username: p.username,
        email: 'new@example.com',
        roles: ['A'],
        enabled: true,
        createdOn: p.createdOn,
        lastModified: p.createdOn + 5000,
      });
      expect(u.attributes).toEqual({ keep: 1, change: 2, added: true });
    });

    it('role replaces the roles; an empty role clears them', async () => {
      const p = await apiCreateProfile(t, { role: 'A,B' });
      expect(ok<ProfileJson>(await api(t, 'POST', `/profile/${p.id}/update`, { role: 'C' })).roles).toEqual(['C']);
      expect(ok<ProfileJson>(await api(t, 'POST', `/profile/${p.id}/update`, { role: '' })).roles).toEqual([]);
    });

    it('a new username taken in the tenant: 409 PROFILE_EXISTS', async () => {
      const a = await apiCreateProfile(t);
      const b = await apiCreateProfile(t);
      expectProfileError(
        await api(t, 'POST', `/profile/${b.id}/update`, { username: a.username }),
        409,
        'PROFILE_EXISTS',
      );
    });

    it('a new password works for authentication, the old one no longer', async () => {
      const p = await apiCreateProfile(t);
      ok(await api(t, 'POST', `/profile/${p.id}/update`, { password: 'brand-new' }));
      expectProfileError(await authenticate(t, p.username, p.password), 401, 'BAD_CREDENTIALS');
      ok(await authenticate(t, p.username, 'brand-new'));
    });

    it('unknown or malformed id: 404; bad values: 400', async () => {
      expectProfileError(await api(t, 'POST', `/profile/${ABSENT}/update`, { email: 'a@b.c' }), 404, 'NO_SUCH_PROFILE');
      expectProfileError(await api(t, 'POST', '/profile/zzz/update', { email: 'a@b.c' }), 404, 'NO_SUCH_PROFILE');
      const p = await apiCreateProfile(t);
      expectProfileError(
        await api(t, 'POST', `/profile/${p.id}/update`, { email: 'nope' }),
        400,
        'PARAM_DESERIALIZATION_ERROR',
      );
      expectProfileError(
        await api(t, 'POST', `/profile/${p.id}/update`, { enabled: 'perhaps' }),
        400,
        'PARAM_DESERIALIZATION_ERROR',
      );
    });
  });

  describe('POST /profile/{id}/enable and /disable', () => {
    it('toggle enabled', async () => {
      const p = await apiCreateProfile(t, { enabled: false });
      expect(ok<ProfileJson>(await api(t, 'POST', `/profile/${p.id}/enable`)).enabled).toBe(true);
      ok(await authenticate(t, p.username, p.password));
      expect(ok<ProfileJson>(await api(t, 'POST', `/profile/${p.id}/disable`)).enabled).toBe(false);
      expectProfileError(await authenticate(t, p.username, p.password), 403, 'DISABLED_PROFILE');
    });

    it('unknown or malformed id: 404 NO_SUCH_PROFILE', async () => {
      for (const op of ['enable', 'disable']) {
        expectProfileError(await api(t, 'POST', `/profile/${ABSENT}/${op}`), 404, 'NO_SUCH_PROFILE');
        expectProfileError(await api(t, 'POST', `/profile/not-an-id/${op}`), 404, 'NO_SUCH_PROFILE');
      }
    });
  });

  describe('POST /profile/{id}/change_password', () => {
    it('sets the new password', async () => {
      const p = await apiCreateProfile(t);
      const got = ok<ProfileJson>(await api(t, 'POST', `/profile/${p.id}/change_password`, { newPassword: 'n3w' }));
      expect(got.id).toBe(p.id);
      ok(await authenticate(t, p.username, 'n3w'));
      expectProfileError(await authenticate(t, p.username, p.password), 401, 'BAD_CREDENTIALS');
    });

    it('errors: missing newPassword 400, unknown id 404', async () => {
      const p = await apiCreateProfile(t);
      expectProfileError(await api(t, 'POST', `/profile/${p.id}/change_password`), 400, 'PARAM_DESERIALIZATION_ERROR');
      expectProfileError(
        await api(t, 'POST', `/profile/${ABSENT}/change_password`, { newPassword: 'x' }),
        404,
        'NO_SUCH_PROFILE',
      );
      expectProfileError(
        await api(t, 'POST', `/profile/${p.id}/change_password`, { newPassword: '' }),
        400,
        'PARAM_DESERIALIZATION_ERROR',
      );
    });
  });

  describe('POST /profile/{id}/delete', () => {
    it('removes the profile and answers it as it was', async () => {
      const p = await apiCreateProfile(t);
      const { password: _, ...expected } = p;
      expect(ok(await api(t, 'POST', `/profile/${p.id}/delete`))).toEqual(expected);
      expectProfileError(await api(t, 'GET', `/profile/${p.id}`), 404, 'NO_SUCH_PROFILE');
      expectProfileError(await api(t, 'POST', `/profile/${p.id}/delete`), 404, 'NO_SUCH_PROFILE');
      // The username is free again.
      expect((await apiCreateProfile(t, { username: p.username })).username).toBe(p.username);
    });

    it('malformed id: 404 NO_SUCH_PROFILE', async () => {
      expectProfileError(await api(t, 'POST', '/profile/123/delete'), 404, 'NO_SUCH_PROFILE');
    });
  });

  describe('parameter encodings', () => {
    it('query string, form body and JSON body are the same parameters', async () => {
      for (const as of ['query', 'form', 'json'] as const) {
        const res = await api(
          t,
          'POST',
          '/profile/create',
          { tenantName: 'default', username: `enc-${as}`, password: 'pw', email: `${as}@x.io`, role: 'R' },
          { as },
        );
        expect(ok<ProfileJson>(res)).toMatchObject({ username: `enc-${as}`, roles: ['R'] });
      }
    });

    it('a JSON body may carry attributes as an object', async () => {
      const res = await api(
        t,
        'POST',
        '/profile/create',
        { tenantName: 'default', username: 'json-attrs', password: 'pw', email: 'ja@x.io' },
        { as: 'json' },
      );
      const p = ok<ProfileJson>(res);
      const upd = await t.server.inject({
        method: 'POST',
        url: `/api/1/profile/${p.id}/update`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ accessTokenId: 'test-master-token-0123456789abcdef', attributes: { x: { y: 1 } } }),
      });
      expect(ok<ProfileJson>(upd).attributes).toEqual({ x: { y: 1 } });
    });

    it('malformed bodies: 400 PARAM_DESERIALIZATION_ERROR', async () => {
      const url = '/api/1/profile/create?accessTokenId=test-master-token-0123456789abcdef';
      const bodies: [string, string | Buffer][] = [
        ['application/json', '{"tenantName":'],
        ['application/json', '[1,2,3]'],
        ['application/json', '"text"'],
        ['application/json', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
        ['application/json', `${'['.repeat(100)}${']'.repeat(100)}`],
        ['text/plain', 'tenantName=default'],
        ['multipart/form-data; boundary=x', '--x--'],
      ];
      for (const [type, payload] of bodies) {
        const res = await t.server.inject({ method: 'POST', url, headers: { 'content-type': type }, payload });
        expectProfileError(res, 400, 'PARAM_DESERIALIZATION_ERROR');
      }
    });

    it('an oversized body: 413 BODY_TOO_LARGE', async () => {
      const res = await t.server.inject({
        method: 'POST',
        url: '/api/1/profile/create',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `attributes=${'a'.repeat(1024 * 1024 + 10)}`,
      });
      expectProfileError(res, 413, 'BODY_TOO_LARGE');
    });
  });
});
