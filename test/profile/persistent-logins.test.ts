import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginIdHash } from '../../src/core/logins.js';
import {
  api,
  apiCreateProfile,
  createTenant,
  createToken,
  expectProfileError,
  ok,
  type PersistentLoginJson,
  type ProfileJson,
  startTestTicketd,
  type TestTicketd,
} from './support.js';

const UNKNOWN = '0b1e6c42-5d1f-4a4e-9d8f-3f2b8f0c1a2b';

describe('persistent logins', () => {
  let t: TestTicketd;
  let profile: ProfileJson;

  beforeAll(async () => {
    t = await startTestTicketd();
    profile = await apiCreateProfile(t);
  });
  afterAll(async () => {
    await t.stop();
  });

  const create = async (profileId = profile.id) =>
    ok<PersistentLoginJson>(await api(t, 'POST', '/authentication/persistent_login/create', { profileId }));

  describe('POST /authentication/persistent_login/create', () => {
    it('answers {id, tenant, profileId, token, timestamp} in that order', async () => {
      const login = await create();
      expect(Object.keys(login)).toEqual(['id', 'tenant', 'profileId', 'token', 'timestamp']);
      expect(login).toMatchObject({ tenant: 'default', profileId: profile.id, timestamp: t.clock.now() });
      expect(login.id).not.toBe(login.token);
    });

    it('the store holds neither the id nor the token in clear', async () => {
      const login = await create();
      const stored = await t.store.sessions.get('persistent', loginIdHash(login.id), t.clock.now());
      expect(stored).not.toBeNull();
      expect(stored?.id.toString('hex')).not.toContain(Buffer.from(login.id).toString('hex'));
      expect(stored?.token?.toString('latin1')).not.toContain(login.token);
    });

    it('unknown or malformed profile: 404 NO_SUCH_PROFILE; disabled: 403 DISABLED_PROFILE', async () => {
      expectProfileError(
        await api(t, 'POST', '/authentication/persistent_login/create', { profileId: '5925a68def86951f895cf497' }),
        404,
        'NO_SUCH_PROFILE',
      );
      expectProfileError(
        await api(t, 'POST', '/authentication/persistent_login/create', { profileId: '../../etc' }),
        404,
        'NO_SUCH_PROFILE',
      );
      const off = await apiCreateProfile(t, { enabled: false });
      expectProfileError(
        await api(t, 'POST', '/authentication/persistent_login/create', { profileId: off.id }),
        403,
        'DISABLED_PROFILE',
      );
    });

    it('needs MANAGE_TICKETS: 403 ACTION_DENIED', async () => {
      const token = await createToken(t, {
        tenantPermissions: [{ tenant: 'default', allowedActions: ['MANAGE_PROFILES'] }],
      });
      expectProfileError(
        await api(
          t,
          'POST',
          '/authentication/persistent_login/create',
          { profileId: profile.id },
          { accessTokenId: token },
        ),
        403,
        'ACTION_DENIED',
      );
    });
  });

  describe('GET /authentication/persistent_login/{id}', () => {
    it('answers the login with its token', async () => {
      const login = await create();
      expect(ok(await api(t, 'GET', `/authentication/persistent_login/${login.id}`))).toEqual(login);
    });

    it('unknown: 404 NO_SUCH_PERSISTENT_LOGIN', async () => {
      expectProfileError(
        await api(t, 'GET', `/authentication/persistent_login/${UNKNOWN}`),
        404,
        'NO_SUCH_PERSISTENT_LOGIN',
        `No persistent login with ID "${UNKNOWN}" found`,
      );
    });

    it('expires persistentLoginMaxAge after its timestamp', async () => {
      await createTenant(t, 'short-remember', { persistentLoginMaxAge: 60 });
      const p = await apiCreateProfile(t, { tenantName: 'short-remember' });
      const login = await create(p.id);
      t.clock.advance(59_999);
      ok(await api(t, 'GET', `/authentication/persistent_login/${login.id}`));
      t.clock.advance(1);
      expectProfileError(
        await api(t, 'GET', `/authentication/persistent_login/${login.id}`),
        404,
        'NO_SUCH_PERSISTENT_LOGIN',
      );
    });
  });

  describe('POST /authentication/persistent_login/{id}/refresh_token', () => {
    it('gives a new token and timestamp; the login then lives persistentLoginMaxAge from now', async () => {
      const login = await create();
      t.clock.advance(1_000_000_000);
      const refreshed = ok<PersistentLoginJson>(
        await api(t, 'POST', `/authentication/persistent_login/${login.id}/refresh_token`),
      );
      expect(refreshed.id).toBe(login.id);
      expect(refreshed.token).not.toBe(login.token);
      expect(refreshed.timestamp).toBe(t.clock.now());
      expect(ok(await api(t, 'GET', `/authentication/persistent_login/${login.id}`))).toEqual(refreshed);
      t.clock.advance(1_000_000_000); // past the first timestamp's expiry, within the refreshed one
      ok(await api(t, 'GET', `/authentication/persistent_login/${login.id}`));
    });

    it('unknown: 404 NO_SUCH_PERSISTENT_LOGIN', async () => {
      expectProfileError(
        await api(t, 'POST', `/authentication/persistent_login/${UNKNOWN}/refresh_token`),
        404,
        'NO_SUCH_PERSISTENT_LOGIN',
      );
    });
  });

  describe('POST /authentication/persistent_login/{id}/delete', () => {
    it('removes it: 200, empty', async () => {
      const login = await create();
      const res = await api(t, 'POST', `/authentication/persistent_login/${login.id}/delete`);
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('');
      expectProfileError(
        await api(t, 'GET', `/authentication/persistent_login/${login.id}`),
        404,
        'NO_SUCH_PERSISTENT_LOGIN',
      );
    });

    it('unknown: 200, a no-op', async () => {
      const res = await api(t, 'POST', `/authentication/persistent_login/${UNKNOWN}/delete`);
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('');
    });

    it('needs MANAGE_TICKETS on its tenant', async () => {
      const login = await create();
      const token = await createToken(t, { tenantPermissions: [{ tenant: 'other', allowedActions: ['*'] }] });
      expectProfileError(
        await api(t, 'POST', `/authentication/persistent_login/${login.id}/delete`, {}, { accessTokenId: token }),
        403,
        'ACTION_DENIED',
      );
      ok(await api(t, 'GET', `/authentication/persistent_login/${login.id}`));
    });
  });
});
