import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../../src/cli/admin.js';
import { createProfileId, login, post, startTestTicketd, type TestTicketd, ticketCredentials } from './support.js';

/** Oz apps and grants in the admin API (/admin/v1) and `ticketd admin`. */

const MASTER = 'test-master-token-0123456789abcdef';
let t: TestTicketd;

beforeAll(async () => {
  t = await startTestTicketd();
});
afterAll(async () => {
  await t.stop();
});

async function adminCall(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  body?: unknown,
  token: string | null = MASTER,
) {
  const res = await t.server.inject({
    method,
    url: `/admin/v1${url}`,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
}

/** A listing's records. */
async function adminList(url: string): Promise<Record<string, unknown>[]> {
  const res = await adminCall('GET', url);
  expect(res.status).toBe(200);
  return res.body as unknown as Record<string, unknown>[];
}

describe('admin API: apps', () => {
  it('create answers the key once; get and list never show it', async () => {
    const created = await adminCall('POST', '/apps', {
      id: 'com.example.mymylet',
      scope: ['mylet'],
      extAttributes: ['dbs'],
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual([
      'id',
      'tenant',
      'algorithm',
      'scope',
      'delegate',
      'extAttributes',
      'createdOn',
      'key',
    ]);
    expect(created.body).toMatchObject({
      id: 'com.example.mymylet',
      tenant: 'default',
      algorithm: 'sha256',
      scope: ['mylet'],
      delegate: false,
      extAttributes: ['dbs'],
      createdOn: t.clock.now(),
    });
    expect(created.body.key).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const got = await adminCall('GET', '/apps/com.example.mymylet');
    expect(got.status).toBe(200);
    expect(got.body.key).toBeUndefined();
    const list = await adminList('/apps?tenant=default');
    expect(list.map((a) => a.id)).toContain('com.example.mymylet');
    expect(JSON.stringify(list)).not.toContain(created.body.key as string);

    // The key works: an app ticket.
    const creds = { id: 'com.example.mymylet', key: created.body.key as string, algorithm: 'sha256' };
    expect((await post(t, '/oz/app', creds)).status).toBe(200);
  });

  it('refusals: exists, unknown tenant, bad ids and values, unknown app, no token', async () => {
    await adminCall('POST', '/apps', { id: 'com.example.dup' });
    expect((await adminCall('POST', '/apps', { id: 'com.example.dup' })).body).toMatchObject({ code: 103012 });
    expect((await adminCall('POST', '/apps', { id: 'x.y', tenant: 'nope' })).body).toMatchObject({ code: 103003 });
    const bad = await adminCall('POST', '/apps', { id: 'has"quote', scope: ['a', 'a'], key: 'short' });
    expect(bad.status).toBe(400);
    expect((bad.body.invalid as { field: string }[]).map((f) => f.field).sort()).toEqual(['id', 'key', 'scope']);
    expect((await adminCall('GET', '/apps/com.example.none')).body).toMatchObject({ code: 103011 });
    expect((await adminCall('DELETE', '/apps/com.example.none')).status).toBe(404);
    expect((await adminCall('GET', '/apps', undefined, null)).status).toBe(401);
  });

  it('rotate-key: a new key (given or generated); the old one stops working', async () => {
    const { body: app } = await adminCall('POST', '/apps', { id: 'com.example.rotate' });
    const old = { id: app.id as string, key: app.key as string, algorithm: 'sha256' };
    const rotated = await adminCall('POST', '/apps/com.example.rotate/key', {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.key).not.toBe(app.key);
    expect((await post(t, '/oz/app', old)).body.message).toBe('Bad mac');
    expect((await post(t, '/oz/app', { ...old, key: rotated.body.key as string })).status).toBe(200);
    const chosen = 'c'.repeat(40);
    expect((await adminCall('POST', '/apps/com.example.rotate/key', { key: chosen })).body.key).toBe(chosen);
  });

  it('delete returns the app as it was and removes its grants', async () => {
    const { body: app } = await adminCall('POST', '/apps', { id: 'com.example.gone', scope: ['s'] });
    const session = await login(t, await createProfileId(t));
    const creds = { id: app.id as string, key: app.key as string, algorithm: 'sha256' };
    const ticket = (await post(t, '/v1/ticket', creds, { session })).body;
    const deleted = await adminCall('DELETE', '/apps/com.example.gone');
    expect(deleted.body).toMatchObject({ id: 'com.example.gone', scope: ['s'] });
    expect(await t.store.grants.get(ticket.grant as string, t.clock.now())).toBeNull();
    expect((await post(t, '/v1/ticket/reissue', ticketCredentials(ticket))).body.message).toBe('Invalid application');
  });
});

describe('admin API: grants', () => {
  it('list by app and by user, get, revoke (then the ticket’s reissue is refused)', async () => {
    const { body: app } = await adminCall('POST', '/apps', { id: 'com.example.granted', scope: ['x'] });
    const creds = { id: app.id as string, key: app.key as string, algorithm: 'sha256' };
    const profile = await createProfileId(t);
    const ticket = (await post(t, '/v1/ticket', creds, { session: await login(t, profile) })).body;
    const other = (await post(t, '/v1/ticket', creds, { session: await login(t, await createProfileId(t)) })).body;

    const byApp = await adminList('/grants?app=com.example.granted');
    expect(byApp.map((g) => g.id).sort()).toEqual([ticket.grant, other.grant].sort());
    const byUser = await adminList(`/grants?user=${profile}`);
    expect(byUser).toEqual([
      {
        id: ticket.grant,
        tenant: 'default',
        app: 'com.example.granted',
        user: profile,
        scope: ['x'],
        exp: t.clock.now() + 30 * 86400_000,
        createdOn: t.clock.now(),
      },
    ]);
    expect(await adminList('/grants?app=com.example.granted&limit=1')).toHaveLength(1);
    expect((await adminCall('GET', `/grants/${ticket.grant}`)).body).toEqual(byUser[0]);

    const revoked = await adminCall('DELETE', `/grants/${ticket.grant}`);
    expect(revoked.body).toEqual(byUser[0]);
    expect((await post(t, '/v1/ticket/reissue', ticketCredentials(ticket))).body.message).toBe('Invalid grant');
    expect((await post(t, '/v1/ticket/reissue', ticketCredentials(other))).status).toBe(200);
    expect((await adminCall('DELETE', `/grants/${ticket.grant}`)).body).toMatchObject({ code: 103013 });
    expect((await adminCall('GET', '/grants?limit=0')).status).toBe(400);
  });
});

describe('ticketd admin app / grant', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-oz-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const store = `sqlite:${join(dir, 'cli.db')}`;

  async function cli(...args: string[]) {
    let out = '';
    let err = '';
    const code = await runAdminCli([...args, '--store', store], {
      env: {},
      io: { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) },
    });
    return { code, out, err };
  }

  it('docs/admin.md’s example; the key once, with a notice; list as a table; rotate; delete', async () => {
    const created = await cli(
      'app',
      'create',
      '--id',
      'com.example.mymylet',
      '--scope',
      'mylet',
      '--tenant',
      'default',
    );
    expect(created.code, created.err).toBe(0);
    expect(created.out).toMatch(/^key {2,}[A-Za-z0-9_-]{43}$/m);
    expect(created.err).toContain('shown only this once');

    const json = await cli(
      'app',
      'create',
      '--id',
      'com.example.two',
      '--scope',
      'a',
      '--scope',
      'b',
      '--delegate',
      '--ext-attributes',
      'dbs',
      '--json',
    );
    expect(JSON.parse(json.out)).toMatchObject({
      id: 'com.example.two',
      scope: ['a', 'b'],
      delegate: true,
      extAttributes: ['dbs'],
    });

    const list = await cli('app', 'list');
    const rows = list.out.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID +TENANT +SCOPE +DELEGATE +EXT ATTRIBUTES +CREATED$/);
    expect(rows.slice(1).map((r) => r.split(/ +/)[0])).toEqual(['com.example.mymylet', 'com.example.two']);
    expect(list.out).not.toMatch(/[A-Za-z0-9_-]{43}/);

    const rotated = await cli('app', 'rotate-key', '--id', 'com.example.two', '--json');
    expect(JSON.parse(rotated.out).key).not.toBe(JSON.parse(json.out).key);
    expect((await cli('grant', 'list', '--app', 'com.example.two')).code).toBe(0);
    expect((await cli('app', 'delete', '--id', 'com.example.two')).code).toBe(0);
    const missing = await cli('app', 'get', '--id', 'com.example.two');
    expect(missing.code).toBe(1);
    expect((await cli('grant', 'revoke', '--id', 'nope')).code).toBe(1);
  });
});
