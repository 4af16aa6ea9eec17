import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../../src/cli/admin.js';
import { withDefaults } from '../../src/core/tenant-settings.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { runTicketd, testKeyringFile } from '../helpers/process.js';
import { TEST_SCRYPT } from '../profile/support.js';
import { admin, MASTER, ok, startTestTicketd } from './support.js';

/**
 * `ticketd admin`: in process for the many cases (same code path as the
 * bin, minus process start-up), and as the real bin (`node --import tsx
 * src/cli/main.ts admin ...`) for output, exit status and a store shared
 * with a server started afterwards.
 */

const dir = mkdtempSync(join(tmpdir(), 'ticketd-admin-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshStore = () => `sqlite:${join(dir, `cli-${files++}.db`)}`;

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(store: string, ...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runAdminCli([...args, '--store', store], {
    env: { TICKETD_KEYRING_FILE: testKeyringFile() },
    identity: { scrypt: TEST_SCRYPT },
    io: { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) },
  });
  return { code, out, err };
}

async function json<T = Record<string, unknown>>(store: string, ...args: string[]): Promise<T> {
  const r = await cli(store, ...args, '--json');
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as T;
}

describe('ticketd admin (in process)', () => {
  it('tenant create prints the tenant as key/value lines; list as a table', async () => {
    const store = freshStore();
    const created = await cli(store, 'tenant', 'create', '--name', 'acme', '--ticket-max', '1000', '--lock-time=30');
    expect(created.code, created.err).toBe(0);
    expect(created.err).toBe('');
    const lines = created.out.trimEnd().split('\n');
    expect(lines[0]).toBe('name                            acme');
    expect(lines).toContain('ticketMax                       1000');
    expect(lines).toContain('lockTime                        30');
    expect(lines).toContain('availableRoles                  -');
    expect(lines.find((l) => l.startsWith('createdAt'))).toMatch(/ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const list = await cli(store, 'tenant', 'list');
    expect(list.code).toBe(0);
    const rows = list.out.trimEnd().split('\n');
    expect(rows[0]).toMatch(
      /^NAME {5}TICKET MAX {2}PAYLOAD MAX {2}LOGIN TTL {2}LOCK AFTER {2}VERIFY {2}ROLES {2}CREATED$/,
    );
    expect(rows[1]).toMatch(/^acme {5}1000 {8}0 {12}900 {8}8 {11}false {3}- {6}\d{4}-/);
    expect(rows[2]).toMatch(/^default {2}0 /);
    expect(rows).toHaveLength(3);
  });

  it('--json prints what the admin API answers', async () => {
    const store = freshStore();
    const tenant = await json(
      store,
      'tenant',
      'create',
      '--name',
      'acme',
      '--available-roles',
      'USER',
      '--available-roles',
      'ADMIN',
    );
    expect(tenant).toMatchObject({ name: 'acme', availableRoles: ['USER', 'ADMIN'], ticketMax: 0 });
    const list = await json<{ name: string }[]>(store, 'tenant', 'list');
    expect(list.map((x) => x.name)).toEqual(['acme', 'default']);
    expect(list[0]).toEqual(tenant);
  });

  it('booleans: --flag, --flag=false, --flag false, --no-flag', async () => {
    const store = freshStore();
    await json(store, 'tenant', 'create', '--name', 'v');
    const set = (...flags: string[]) =>
      json<{ verifyNewProfiles: boolean }>(store, 'tenant', 'update', '--name', 'v', ...flags);
    expect((await set('--verify-new-profiles')).verifyNewProfiles).toBe(true);
    expect((await set('--verify-new-profiles=false')).verifyNewProfiles).toBe(false);
    expect((await set('--verify-new-profiles', 'true')).verifyNewProfiles).toBe(true);
    expect((await set('--no-verify-new-profiles')).verifyNewProfiles).toBe(false);
    const bad = await cli(store, 'tenant', 'update', '--name', 'v', '--verify-new-profiles=maybe');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--verify-new-profiles: must be true or false');
  });

  it('profiles: create with roles and JSON attributes, list as a table with paging, disable, unlock, delete', async () => {
    const store = freshStore();
    await json(store, 'tenant', 'create', '--name', 'acme', '--available-roles', 'USER');
    const p = await json<{ id: string; roles: string[]; attributes: unknown; enabled: boolean }>(
      store,
      'profile',
      'create',
      '--tenant',
      'acme',
      '--username',
      'alice',
      '--password',
      'pw',
      '--email',
      'alice@example.com',
      '--roles',
      'USER',
      '--attributes',
      '{"team":"blue"}',
    );
    expect(p).toMatchObject({ roles: ['USER'], attributes: { team: 'blue' }, enabled: true });
    await json(
      store,
      'profile',
      'create',
      '--tenant',
      'acme',
      '--username',
      'bob',
      '--password',
      'pw',
      '--email',
      'b@x.io',
      '--enabled=false',
    );
    const list = await cli(store, 'profile', 'list', '--tenant', 'acme', '--limit', '1', '--offset', '1');
    expect(list.code, list.err).toBe(0);
    const rows = list.out.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID {24}USERNAME {2}EMAIL {3}ENABLED {2}VERIFIED {2}ROLES {2}LOCKED UNTIL$/);
    expect(rows[1]).toMatch(/^[0-9a-f]{24} {2}bob {7}b@x\.io {2}false {4}false {5}- {6}-$/);
    expect(rows[2]).toBe('profiles 2-2 of 2 in tenant acme');
    expect((await json(store, 'profile', 'disable', '--id', p.id)).enabled).toBe(false);
    expect(await json(store, 'profile', 'unlock', '--id', p.id)).toMatchObject({
      failedLoginAttempts: 0,
      lockedUntil: null,
    });
    expect(await json(store, 'profile', 'delete', '--id', p.id)).toMatchObject({ username: 'alice' });
    const gone = await cli(store, 'profile', 'get', '--id', p.id);
    expect(gone.code).toBe(1);
    expect(gone.err).toBe(`ticketd admin: profile not found (103005): No profile with ID "${p.id}" found\n`);
  });

  it('access-token create shows the id once (a notice on stderr); list shows prefixes; --permission is TENANT:ACTIONS', async () => {
    const store = freshStore();
    const made = await cli(
      store,
      'access-token',
      'create',
      '--application',
      'backoffice',
      '--permission',
      'acme:MANAGE_PROFILES,MANAGE_TICKETS',
      '--permission',
      '*:READ_TENANT',
      '--expires-on',
      '2027-01-01T00:00:00Z',
    );
    expect(made.code, made.err).toBe(0);
    const id = /^id +([0-9a-f-]{36})$/m.exec(made.out)?.[1] as string;
    expect(id).toBeDefined();
    expect(made.out).toMatch(/^tenantPermissions +acme:MANAGE_PROFILES,MANAGE_TICKETS \*:READ_TENANT$/m);
    expect(made.out).toMatch(/^expiresOn +2027-01-01T00:00:00\.000Z$/m);
    expect(made.err).toContain('shown only this once');
    const list = await cli(store, 'access-token', 'list');
    expect(list.out).toContain(id.slice(0, 8));
    expect(list.out).not.toContain(id);
    expect(list.out.split('\n')[0]).toMatch(/^ID PREFIX {2}APPLICATION {2}MASTER {2}PERMISSIONS/);
    expect(await json(store, 'access-token', 'get', '--id', id)).toMatchObject({ id, application: 'backoffice' });
    const asJson = await cli(store, 'access-token', 'create', '--application', 'x', '--master', '--json');
    expect(asJson.err).toBe('');
    expect(JSON.parse(asJson.out)).toMatchObject({ master: true, tenantPermissions: [] });
    const bad = await cli(store, 'access-token', 'create', '--application', 'x', '--permission', 'acme:FLY');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--permission (0.allowedActions.0): is not an allowed value');
  });

  it('stats: the verb may be left out; a TOTAL row', async () => {
    const store = freshStore();
    await json(store, 'tenant', 'create', '--name', 'acme');
    await json(
      store,
      'profile',
      'create',
      '--tenant',
      'acme',
      '--username',
      'u',
      '--password',
      'p',
      '--email',
      'u@x.io',
    );
    const r = await cli(store, 'stats');
    expect(r.code).toBe(0);
    expect(r.out).toBe('TENANT   TICKETS  PROFILES\nacme     0        1\ndefault  0        0\nTOTAL    0        1\n');
    expect(await json(store, 'stats', 'show')).toMatchObject({ total: { tenants: 2, tickets: 0, profiles: 1 } });
  });

  it('purge: removes every expired record, batch by batch, saying what each batch removed as it goes', async () => {
    const url = freshStore();
    const store = new SqliteStore(url.slice('sqlite:'.length));
    await store.migrate();
    await store.tenants.put({ name: 'default', settings: withDefaults({}), createdAt: 0 });
    const past = Date.now() - 60_000;
    for (let i = 0; i < 25; i++) {
      const id = createHash('sha256').update(`expired ${i}`).digest();
      await store.tickets.create(
        { tenant: 'default', id, usesLeft: 1, expiresAt: past, createdAt: past - 1, payload: null },
        0,
        past - 1,
      );
    }
    const live = createHash('sha256').update('live').digest();
    await store.tickets.create(
      { tenant: 'default', id: live, usesLeft: 1, expiresAt: null, createdAt: past, payload: null },
      0,
      past,
    );
    await store.close();

    const r = await cli(url, 'purge', '--batch', '10');
    expect(r.code, r.err).toBe(0);
    expect(r.err.trimEnd().split('\n')).toEqual([
      'purge: tickets: 10 removed (10 so far)',
      'purge: tickets: 10 removed (20 so far)',
      'purge: tickets: 5 removed (25 so far)',
    ]);
    expect(r.out).toMatch(
      /^removed 25 expired records in \d+\.\d s: 25 tickets, 0 sessions, 0 grants, 0 nonces, 0 lockouts, 0 rateLimits, 0 audit\n$/,
    );
    const again = await json<{ total: number; removed: Record<string, number> }>(url, 'purge');
    expect([again.total, again.removed.tickets]).toEqual([0, 0]);
    expect((await json<{ total: { tickets: number } }>(url, 'stats')).total.tickets).toBe(1);
    expect((await cli(url, 'purge', '--batch', 'zero')).code).toBe(2);
  });

  it('master-token rotate: a new master token on stderr only; the old one no longer works', async () => {
    const url = freshStore();
    await (await startTestTicketd({ config: { store: url } })).stop();
    const r = await cli(url, 'master-token', 'rotate');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('');
    const token = /master access token[^:]*: (\S+)/.exec(r.err)?.[1] as string;
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    const t = await startTestTicketd({ config: { store: url, master_token: undefined }, noMasterToken: true });
    try {
      ok(await admin(t, 'GET', '/tenants', undefined, { token }));
      expect((await admin(t, 'GET', '/tenants', undefined, { token: MASTER })).statusCode).toBe(401);
    } finally {
      await t.stop();
    }
  });

  it('activity: kept by a running server only, so the CLI says where to ask (exit 1)', async () => {
    const r = await cli(freshStore(), 'activity');
    expect(r.code).toBe(1);
    expect(r.err).toContain('GET /admin/v1/activity');
  });

  it('errors: the operation failed → exit 1 with the code and what it named; --json → the API error body', async () => {
    const store = freshStore();
    const r = await cli(store, 'tenant', 'get', '--name', 'nope');
    expect(r).toEqual({
      code: 1,
      out: '',
      err: 'ticketd admin: tenant not found (103003): No tenant with name "nope" found\n',
    });
    const j = await cli(store, 'tenant', 'delete', '--name', 'default', '--json');
    expect(j.code).toBe(1);
    expect(JSON.parse(j.err)).toEqual({
      code: 103009,
      error: 'operation not allowed',
      detail: 'The tenant "default" can\'t be deleted',
    });
    await json(store, 'tenant', 'create', '--name', 'dup');
    expect((await cli(store, 'tenant', 'create', '--name', 'dup')).err).toContain('tenant already exists (103004)');
  });

  it('bad values → exit 2 naming each flag; bad usage → exit 2 with a pointer to the help', async () => {
    const store = freshStore();
    const r = await cli(store, 'tenant', 'create', '--name', 'bad name', '--ticket-max', '-5', '--lock-time', 'soon');
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      [
        'ticketd admin: invalid data (2004)',
        '  --name: has an invalid format',
        '  --ticket-max: must be greater or equal to 0',
        '  --lock-time: must be a whole number',
        'see: ticketd admin tenant create --help',
        '',
      ].join('\n'),
    );
    expect((await cli(store, 'tenant', 'create')).err).toContain('--name: required');
    const usage: [string[], string][] = [
      [['tenant', 'create', '--nmae', 'x'], 'unknown flag --nmae\n(see ticketd admin tenant --help)'],
      [['tenant', 'frob'], 'unknown verb "frob" for tenant (list, get, create, update, delete)'],
      [
        ['tenants', 'list'],
        'unknown resource "tenants" (tenant, profile, access-token, app, grant, webhook, audit, stats, activity)',
      ],
      [['tenant', 'get', '--name'], '--name needs a value (write --name=VALUE for one that starts with --)'],
      [['tenant', 'get', '--name', 'a', '--name', 'b'], '--name is given more than once'],
      [['tenant', 'get', '--name', 'a', 'extra'], 'unexpected argument "extra"'],
      [['tenant', 'list', '--no-json=1'], 'unknown flag --no-json'],
    ];
    // A value that starts with -- goes after =.
    expect((await json(store, 'tenant', 'create', '--name=--x')).name).toBe('--x');
    for (const [args, message] of usage) {
      const u = await cli(store, ...args);
      expect(u.code, args.join(' ')).toBe(2);
      expect(u.err).toContain(message);
      expect(u.out).toBe('');
    }
    const bare = await cli(store, 'tenant');
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('Usage: ticketd admin tenant <verb>');
  });

  it('names with control characters are escaped in tables, never sent to the terminal', async () => {
    const store = freshStore();
    // Profile names refuse control characters; an application name may still carry them.
    await json(store, 'access-token', 'create', '--application', 'evil\u001b[2J\u0007');
    const r = await cli(store, 'access-token', 'list');
    expect(r.out).toContain('evil\\u001b[2J\\u0007');
    expect(r.out).not.toContain('\u001b');
  });

  it('a bad --store or config is exit 2 naming the setting; nothing opened', async () => {
    const r = await cli('nowhere:x', 'tenant', 'list');
    expect(r.code).toBe(2);
    expect(r.err).toContain('invalid setting "store" (from flag --store)');
  });
});

describe('ticketd admin (the real bin)', () => {
  const db = join(dir, 'bin.db');
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const p = runTicketd(['admin', ...args], env);
    const timer = setTimeout(p.kill, 60_000);
    const exit = await p.exited;
    clearTimeout(timer);
    return { code: exit.code, stdout: p.stdout(), stderr: p.stderr() };
  };

  it('creates a tenant and a master token before any server ran; a server started afterwards on the file serves both', async () => {
    const created = await run(['tenant', 'create', '--name', 'acme', '--ticket-max', '2', '--store', `sqlite:${db}`]);
    expect(created, created.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^name +acme$/m);
    expect(created.stdout).toMatch(/^ticketMax +2$/m);

    // TICKETD_STORE instead of --store; JSON for the script.
    const token = await run(['access-token', 'create', '--application', 'ops', '--master', '--json'], {
      TICKETD_STORE: `sqlite:${db}`,
    });
    expect(token.code, token.stderr).toBe(0);
    const { id } = JSON.parse(token.stdout) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const failed = await run(['tenant', 'get', '--name', 'nope', '--store', `sqlite:${db}`]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toBe('ticketd admin: tenant not found (103003): No tenant with name "nope" found\n');

    const t = await startTestTicketd({ config: { store: `sqlite:${db}`, multi_tenancy: true } });
    try {
      // The server's first start made its own master token too; the CLI's works as well.
      expect(ok(await admin(t, 'GET', '/tenants/acme', undefined, { token: id }))).toMatchObject({ ticketMax: 2 });
      ok(await admin(t, 'GET', '/tenants/acme', undefined, { token: MASTER }));
      const ticket = () =>
        t.server.inject({ method: 'POST', url: '/v1/tickets', headers: { project: 'acme' }, payload: {} });
      expect((await ticket()).statusCode).toBe(200);
      expect((await ticket()).statusCode).toBe(200);
      expect((await ticket()).json()).toMatchObject({ code: 102009 });
    } finally {
      await t.close();
    }
  }, 120_000);
});

describe('ticketd admin records its changes in the audit log', () => {
  it('as actor cli, without an address', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketd-audit-cli-'));
    try {
      const store = `sqlite:${join(dir, 't.db')}`;
      expect((await cli(store, 'tenant', 'create', '--name', 'clitenant')).code).toBe(0);
      const page = await json<{ records: { actor: string; address: string | null; action: string; target: string }[] }>(
        store,
        'audit',
        'list',
      );
      expect(page.records).toEqual([
        expect.objectContaining({
          actor: 'cli',
          address: null,
          action: 'tenant.create',
          target: 'clitenant',
          outcome: 'ok',
        }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
