import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ManualClock } from '../../src/core/clock.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { StoreUnavailableError } from '../../src/store/types.js';
import { createTicketd } from '../../src/wire.js';
import {
  api,
  apiCreateProfile,
  apiJson,
  authenticate,
  createTenant,
  createToken,
  expectProfileError,
  MASTER,
  ok,
  type PersistentLoginJson,
  type Reply,
  startTestTicketd,
  TEST_SCRYPT,
  type TestTicketd,
  type TicketJson,
} from './support.js';

describe('secrets never leave', () => {
  it('passwords, hashes, ticket ids, tokens: in no log line; hashes in no answer', async () => {
    const t = await startTestTicketd();
    try {
      const bodies: string[] = [];
      const keep = (r: Reply) => {
        bodies.push(r.body);
        return r;
      };
      const token = await createToken(t, { tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }] });
      const p = await apiCreateProfile(t, { password: 'Very-Secret-Password-1' }, token);
      const ticket = ok<TicketJson>(keep(await authenticate(t, p.username, p.password, 'default', token)));
      keep(await authenticate(t, p.username, 'Wrong-Secret-Password-2'));
      keep(await authenticate(t, p.username, 'x'.repeat(2000)));
      keep(await api(t, 'GET', `/authentication/ticket/${ticket.id}`, {}, { accessTokenId: token }));
      keep(await api(t, 'GET', '/profile/by_ticket', { ticketId: ticket.id }));
      const login = ok<PersistentLoginJson>(
        keep(await api(t, 'POST', '/authentication/persistent_login/create', { profileId: p.id })),
      );
      keep(await api(t, 'POST', `/authentication/persistent_login/${login.id}/refresh_token`));
      keep(await api(t, 'POST', `/profile/${p.id}/update`, { password: 'Updated-Secret-Password-3' }));
      keep(await api(t, 'POST', `/profile/${p.id}/change_password`, { newPassword: 'Changed-Secret-Password-4' }));
      keep(await api(t, 'GET', '/access_token/all'));
      keep(await api(t, 'GET', `/profile/${p.id}`));
      keep(await api(t, 'GET', '/profile/x', {}, { accessTokenId: 'unknown-token-value-1234' }));

      const stored = await t.store.profiles.get(p.id);
      const hash = stored?.passwordHash as string;
      expect(hash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[\w-]+\$[\w-]+$/);
      for (const body of bodies) {
        expect(body).not.toContain(hash.split('$')[5]);
        expect(body).not.toContain('scrypt$');
        expect(body).not.toMatch(/Secret-Password/);
      }
      const logs = t.logs();
      expect(logs.length).toBeGreaterThan(0);
      for (const secret of [
        'Very-Secret-Password-1',
        'Wrong-Secret-Password-2',
        'Updated-Secret-Password-3',
        'Changed-Secret-Password-4',
        'xxxxxxxxxx',
        hash.split('$')[5] as string,
        ticket.id,
        login.id,
        login.token,
        token,
        MASTER,
        'unknown-token-value-1234',
      ]) {
        expect(logs, `the log contains ${secret}`).not.toContain(secret);
      }
    } finally {
      await t.stop();
    }
  });
});

describe('tenant isolation', () => {
  let t: TestTicketd;
  let tokenA: string;
  let b: Awaited<ReturnType<typeof apiCreateProfile>>;
  let ticketB: TicketJson;
  let loginB: PersistentLoginJson;

  beforeAll(async () => {
    t = await startTestTicketd();
    await createTenant(t, 'tenant-a');
    await createTenant(t, 'tenant-b');
    tokenA = await createToken(t, { tenantPermissions: [{ tenant: 'tenant-a', allowedActions: ['*'] }] });
    b = await apiCreateProfile(t, { tenantName: 'tenant-b' });
    ticketB = ok<TicketJson>(await authenticate(t, b.username, b.password, 'tenant-b'));
    loginB = ok<PersistentLoginJson>(
      await api(t, 'POST', '/authentication/persistent_login/create', { profileId: b.id }),
    );
  });
  afterAll(async () => {
    await t.stop();
  });

  it('a token for tenant A works in A', async () => {
    const a = await apiCreateProfile(t, { tenantName: 'tenant-a' }, tokenA);
    ok(await authenticate(t, a.username, a.password, 'tenant-a', tokenA));
    ok(await api(t, 'GET', `/profile/${a.id}`, {}, { accessTokenId: tokenA }));
  });

  it('cannot read, use, change or delete anything of tenant B', async () => {
    const as = { accessTokenId: tokenA };
    const calls: [string, Promise<Reply>][] = [
      ['authenticate', authenticate(t, b.username, b.password, 'tenant-b', tokenA)],
      [
        'profile/create',
        api(t, 'POST', '/profile/create', { tenantName: 'tenant-b', username: 'x', password: 'p', email: 'x@y.z' }, as),
      ],
      ['profile get', api(t, 'GET', `/profile/${b.id}`, {}, as)],
      ['profile update', api(t, 'POST', `/profile/${b.id}/update`, { email: 'evil@x.io' }, as)],
      ['profile disable', api(t, 'POST', `/profile/${b.id}/disable`, {}, as)],
      ['profile enable', api(t, 'POST', `/profile/${b.id}/enable`, {}, as)],
      ['change_password', api(t, 'POST', `/profile/${b.id}/change_password`, { newPassword: 'pwned' }, as)],
      ['profile delete', api(t, 'POST', `/profile/${b.id}/delete`, {}, as)],
      ['ticket/create', api(t, 'POST', '/authentication/ticket/create', { profileId: b.id }, as)],
      ['ticket get', api(t, 'GET', `/authentication/ticket/${ticketB.id}`, {}, as)],
      ['by_ticket', api(t, 'GET', '/profile/by_ticket', { ticketId: ticketB.id }, as)],
      ['invalidate', api(t, 'POST', `/authentication/ticket/${ticketB.id}/invalidate`, {}, as)],
      ['pl create', api(t, 'POST', '/authentication/persistent_login/create', { profileId: b.id }, as)],
      ['pl get', api(t, 'GET', `/authentication/persistent_login/${loginB.id}`, {}, as)],
      ['pl refresh', api(t, 'POST', `/authentication/persistent_login/${loginB.id}/refresh_token`, {}, as)],
      ['pl delete', api(t, 'POST', `/authentication/persistent_login/${loginB.id}/delete`, {}, as)],
      ['tenant get', api(t, 'GET', '/tenant/tenant-b', {}, as)],
      ['tenant delete', api(t, 'POST', '/tenant/tenant-b/delete', {}, as)],
    ];
    for (const [name, call] of calls) {
      const res = await call;
      expect(res.statusCode, `${name}: ${res.body}`).toBe(403);
      expect(res.json().errorCode, name).toBe('ACTION_DENIED');
    }
    expect(ok<{ name: string }[]>(await api(t, 'GET', '/tenant/all', {}, as)).map((x) => x.name)).toEqual(['tenant-a']);
    // Everything of B is as it was.
    const profile = ok<{ email: string; enabled: boolean }>(await api(t, 'GET', `/profile/${b.id}`));
    expect(profile).toMatchObject({ email: b.email, enabled: true });
    const ticket = ok<TicketJson>(await api(t, 'GET', `/authentication/ticket/${ticketB.id}`));
    expect(ticket.lastRequestTime).toBe(ticketB.lastRequestTime);
    expect(ok(await api(t, 'GET', `/authentication/persistent_login/${loginB.id}`))).toEqual(loginB);
    ok(await authenticate(t, b.username, b.password, 'tenant-b'));
  });
});

describe('master token bootstrap', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const configFor = (path: string, extra: Record<string, unknown> = {}) =>
    loadConfig({ env: {}, flags: { store: `sqlite:${path}`, log_level: 'silent', ...extra } });

  it('without TICKETD_MASTER_TOKEN: one is generated and printed once', async () => {
    const t = await startTestTicketd({ noMasterToken: true });
    try {
      expect(t.printed).toHaveLength(1);
      const token = /([0-9a-f-]{36})$/.exec(t.printed[0] as string)?.[1] as string;
      expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
      ok(await api(t, 'GET', '/access_token/all', {}, { accessTokenId: token }));
      expect(t.logs()).not.toContain(token);
    } finally {
      await t.stop();
    }
  });

  it('several instances starting together on one store agree on one master token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketd-boot-'));
    dirs.push(dir);
    const path = join(dir, 'ticketd.db');
    const printed: string[] = [];
    const instances = await Promise.all(
      Array.from({ length: 4 }, () =>
        createTicketd(configFor(path), {
          clock: new ManualClock(),
          store: new SqliteStore(path),
          print: (line) => printed.push(line),
          identity: { scrypt: TEST_SCRYPT },
        }),
      ),
    );
    try {
      expect(printed).toHaveLength(1);
      const masters = (await instances[0]?.store.accessTokens.list())?.filter((x) => x.master);
      expect(masters).toHaveLength(1);
      const token = /([0-9a-f-]{36})$/.exec(printed[0] as string)?.[1] as string;
      for (const inst of instances) {
        const res = await inst.server.inject({ method: 'GET', url: `/api/1/access_token/all?accessTokenId=${token}` });
        expect(res.statusCode).toBe(200);
      }
      // A later start prints nothing.
      const again = await createTicketd(configFor(path), {
        store: new SqliteStore(path),
        print: (l) => printed.push(l),
      });
      await again.close();
      expect(printed).toHaveLength(1);
    } finally {
      for (const inst of instances) await inst.close();
    }
  });

  it('a configured master token is used on the first start, and ignored (with a warning) later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketd-boot-'));
    dirs.push(dir);
    const path = join(dir, 'ticketd.db');
    const first = await createTicketd(configFor(path, { master_token: 'first-configured-token-0001' }), {
      print: () => {},
    });
    const res = await first.server.inject({
      method: 'GET',
      url: '/api/1/access_token/all?accessTokenId=first-configured-token-0001',
    });
    expect(res.statusCode).toBe(200);
    await first.close();
    const warnings: string[] = [];
    const second = await createTicketd(configFor(path, { master_token: 'second-configured-token-002' }), {
      logger: (await import('pino')).default(
        { level: 'warn' },
        {
          write: (l: string) => {
            warnings.push(l);
          },
        },
      ),
    });
    try {
      expect(warnings.join('')).toContain('master_token is ignored');
      const denied = await second.server.inject({
        method: 'GET',
        url: '/api/1/access_token/all?accessTokenId=second-configured-token-002',
      });
      expect(denied.statusCode).toBe(403);
    } finally {
      await second.close();
    }
  });

  it('a too-short TICKETD_MASTER_TOKEN stops the start, without echoing it', () => {
    expect(() => loadConfig({ env: { TICKETD_MASTER_TOKEN: 'short' } })).toThrow(/master_token.*\(hidden\)/);
    try {
      loadConfig({ env: { TICKETD_MASTER_TOKEN: 'short' } });
    } catch (err) {
      expect((err as Error).message).not.toContain('short"');
    }
  });
});

describe('server errors', () => {
  it('a bug is 500 OTHER with an error id that is in the log; a store outage is 503', async () => {
    let mode: 'bug' | 'down' = 'bug';
    const failing = new SqliteStore(':memory:');
    const get = failing.profiles.get.bind(failing.profiles);
    failing.profiles.get = async (id: string) => {
      if (id === 'aaaaaaaaaaaaaaaaaaaaaaaa') {
        if (mode === 'bug') throw new TypeError('boom');
        throw new StoreUnavailableError('down');
      }
      return get(id);
    };
    const t = await startTestTicketd({ store: failing });
    try {
      const res = await api(t, 'GET', '/profile/aaaaaaaaaaaaaaaaaaaaaaaa');
      expect(res.statusCode).toBe(500);
      const body = res.json() as { errorCode: string; message: string; errorId: string };
      expect(body).toEqual({ errorCode: 'OTHER', message: 'Internal server error', errorId: body.errorId });
      expect(res.headers['error-id']).toBe(body.errorId);
      expect(t.logs()).toContain(body.errorId);
      expect(res.body).not.toContain('boom');
      mode = 'down';
      expectProfileError(await api(t, 'GET', '/profile/aaaaaaaaaaaaaaaaaaaaaaaa'), 503, 'STORE_UNAVAILABLE');
    } finally {
      await t.stop();
    }
  });
});

describe('OpenAPI', () => {
  it('documents the profile routes', async () => {
    const t = await startTestTicketd();
    try {
      const doc = ok<{ paths: Record<string, unknown> }>(
        await t.server.inject({ method: 'GET', url: '/openapi.json' }),
      );
      for (const path of [
        '/api/1/authentication/authenticate',
        '/api/1/authentication/ticket/create',
        '/api/1/authentication/ticket/{id}',
        '/api/1/profile/{id}/change_password',
        '/api/1/access_token/create',
      ]) {
        expect(doc.paths, path).toHaveProperty([path]);
      }
      expect(JSON.stringify(doc)).not.toContain(MASTER);
      ok(await apiJson(t, '/tenant/create', { name: 'doc-check' }));
    } finally {
      await t.stop();
    }
  });
});
