import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathParams } from '../../src/admin/operation.js';
import { ADMIN_OPERATIONS } from '../../src/admin/operations.js';
import { runAdminCli } from '../../src/cli/admin.js';
import { testKeyringFile } from '../helpers/process.js';
import { TEST_SCRYPT } from '../profile/support.js';
import { admin, createProfile, createToken, ok, startTestTicketd, type TestTicketd } from './support.js';

/**
 * The admin API and `ticketd admin` are both made from ADMIN_OPERATIONS:
 * every operation is a documented route and a CLI command, and nothing else is.
 */

type OpenApiOperation = {
  tags?: string[];
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
};
type Doc = {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { securitySchemes?: Record<string, unknown> };
};

let t: TestTicketd;
let doc: Doc;
beforeAll(async () => {
  t = await startTestTicketd();
  doc = (await t.server.inject({ method: 'GET', url: '/openapi.json' })).json() as Doc;
});
afterAll(async () => {
  await t.stop();
});

/** The CLI, on the test instance's store when `shared` (else on the default config, for help only). */
async function cli(args: string[], shared = false): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAdminCli(args, {
    env: { TICKETD_KEYRING_FILE: testKeyringFile() },
    ...(shared ? { store: t.store, clock: t.clock, identity: { scrypt: TEST_SCRYPT } } : {}),
    io: { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) },
  });
  return { code, out, err };
}

describe('the admin operation table', () => {
  it('names each operation once, as a CLI command and as a route', () => {
    const commands = ADMIN_OPERATIONS.map((op) => `${op.resource} ${op.verb}`);
    const routes = ADMIN_OPERATIONS.map((op) => `${op.method} ${op.path}`);
    expect(new Set(commands).size).toBe(commands.length);
    expect(new Set(routes).size).toBe(routes.length);
    for (const op of ADMIN_OPERATIONS) {
      for (const name of pathParams(op)) expect(op.params.required, `${op.path} :${name}`).toContain(name);
      expect(op.params.additionalProperties, `${op.resource} ${op.verb}`).toBe(false);
    }
  });

  it('/openapi.json documents every operation, tagged admin, with bearer security, and no other admin path', () => {
    expect(doc.components?.securitySchemes?.masterToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    const documented: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith('/admin/v1')) continue;
      for (const [method, o] of Object.entries(methods)) {
        if (method === 'head') continue;
        documented.push(`${method.toUpperCase()} ${path}`);
        expect(o.tags).toEqual(['admin']);
        expect(o.security).toEqual([{ masterToken: [] }]);
        expect(Object.keys(o.responses ?? {})).toEqual(expect.arrayContaining(['400', '401', '403', '500', '503']));
      }
    }
    const expected = ADMIN_OPERATIONS.map((op) => `${op.method} /admin/v1${op.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(documented.sort()).toEqual(expected.sort());
    for (const op of ADMIN_OPERATIONS) {
      const o = doc.paths[`/admin/v1${op.path.replace(/:(\w+)/g, '{$1}')}`]?.[op.method.toLowerCase()];
      expect(Object.keys(o?.responses ?? {})).toContain(String(op.status ?? 200));
      const inQuery = (o?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const inPath = (o?.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(inPath).toEqual(pathParams(op));
      const rest = Object.keys(op.params.properties).filter((k) => !pathParams(op).includes(k));
      if (op.method === 'GET' || op.method === 'DELETE') expect(inQuery.sort()).toEqual(rest.sort());
      else expect(o?.requestBody !== undefined).toBe(rest.length > 0);
    }
  });

  it('`ticketd admin --help` lists every resource with its verbs; each verb has its help with its route', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const op of ADMIN_OPERATIONS) {
      expect(top.out).toMatch(new RegExp(`^  ${op.resource} .*\\b${op.verb}\\b`, 'm'));
      const res = await cli([op.resource, '--help']);
      expect(res.code).toBe(0);
      expect(res.out).toContain(`ticketd admin ${op.resource} ${op.verb}`);
      const one = await cli([op.resource, op.verb, '--help']);
      expect(one.code).toBe(0);
      expect(one.out).toContain(`HTTP: ${op.method} /admin/v1${op.path}`);
      expect(one.out).toContain(op.summary);
    }
  });
});

describe('one implementation', () => {
  it('`--json` prints byte for byte what the admin API answers, for every read of the table', async () => {
    ok(await admin(t, 'POST', '/tenants', { name: 'same', ticketMax: 3, availableRoles: ['R'] }), 201);
    const profile = await createProfile(t, { tenant: 'same', roles: ['R'], attributes: { a: [1, { b: null }] } });
    const token = await createToken(t, { tenantPermissions: [{ tenant: 'same', allowedActions: ['MANAGE_TICKETS'] }] });
    const reads: [string[], string][] = [
      [['tenant', 'list'], '/tenants'],
      [['tenant', 'get', '--name', 'same'], '/tenants/same'],
      [['profile', 'list', '--tenant', 'same'], '/profiles?tenant=same'],
      [['profile', 'get', '--id', profile.id], `/profiles/${profile.id}`],
      [['access-token', 'list'], '/access-tokens'],
      [['access-token', 'get', '--id', token], `/access-tokens/${token}`],
      [['stats'], '/stats'],
    ];
    for (const [args, path] of reads) {
      const res = await cli([...args, '--json'], true);
      expect(res.code, res.err).toBe(0);
      const api = await admin(t, 'GET', path);
      expect(JSON.stringify(JSON.parse(res.out)), args.join(' ')).toBe(api.body);
    }
  });
});
