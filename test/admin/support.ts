import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminOperation } from '../../src/admin/operation.js';
import { ADMIN_OPERATIONS } from '../../src/admin/operations.js';
import { createProfile, createToken, ok } from '../helpers/fixtures.js';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { MASTER, type Reply } from '../profile/support.js';

/**
 * Admin API tests, on the one in-process ticketd of test/helpers/ticketd.ts
 * (master token MASTER), driven with `server.inject`.
 */

export { createProfile, createToken, ok } from '../helpers/fixtures.js';
export { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
export { delayTenantCalls, MASTER } from '../profile/support.js';

export interface CallOptions {
  /** The bearer token (default MASTER); null: no Authorization header. */
  token?: string | null;
  /** A raw Authorization header instead of `Bearer <token>`. */
  authorization?: string;
  query?: Record<string, string>;
}

/** Calls /admin/v1{path}; a body is sent as JSON. */
export async function admin(
  t: TestTicketd,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
  path: string,
  body?: unknown,
  options: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? MASTER : options.token;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const qs = options.query ? `?${new URLSearchParams(options.query)}` : '';
  return t.server.inject({
    method,
    url: `/admin/v1${path}${qs}`,
    headers,
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

/** An error answer of the admin model: status, code, and `detail` when given. */
export function expectAdminError(res: Reply, status: number, code: number, detail?: string | RegExp): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as Record<string, unknown>;
  expect(body.code, res.body).toBe(code);
  expect(typeof body.error).toBe('string');
  for (const key of Object.keys(body)) expect(['code', 'error', 'detail', 'invalid', 'error_id']).toContain(key);
  if (typeof detail === 'string') expect(body.detail).toBe(detail);
  else if (detail) expect(body.detail).toMatch(detail);
}

/** A 2004 answer; `invalid` as `field → code`. */
export function expectInvalid(res: Reply, fields: Record<string, number>): void {
  expectAdminError(res, 400, 2004);
  const invalid = (res.json() as { invalid: { field: string; code: number }[] }).invalid;
  expect(Object.fromEntries(invalid.map((f) => [f.field, f.code]))).toEqual(fields);
}

export interface ProfileJson {
  id: string;
  tenant: string;
  username: string;
  email: string;
  enabled: boolean;
  verified: boolean;
  roles: string[];
  attributes: Record<string, unknown>;
  createdOn: number;
  lastModified: number;
  failedLoginAttempts: number;
  lockedUntil: number | null;
}

/** Everything the admin API can change, to show that a refused request changed nothing. */
export async function snapshot(t: TestTicketd): Promise<string> {
  const s = t.store;
  const tenants = (await s.tenants.list()).sort((a, b) => a.name.localeCompare(b.name));
  const profiles = await Promise.all(tenants.map((x) => s.profiles.list(x.name, 0, 1000)));
  const tokens = (await s.accessTokens.list()).map((x) => [x.idPrefix, x.application, x.master]).sort();
  return JSON.stringify({ tenants, profiles, tokens });
}

// ---- every route against every credential ------------------------------------------------

/** The URL of an operation with its path parameters filled in. */
export function urlOf(op: AdminOperation, values: Record<string, string>): string {
  return op.path.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(values[name] ?? 'x'));
}

/** A body each operation accepts (so that only the credential can make it fail). */
export function sampleBody(op: AdminOperation): Record<string, unknown> | undefined {
  if (op.method === 'GET' || op.method === 'DELETE') return undefined;
  const samples: Record<string, Record<string, unknown>> = {
    'tenant create': { name: 'newtenant', ticketMax: 5 },
    'tenant update': { ticketMax: 7 },
    'profile create': { tenant: 'acme', username: 'eve', password: 'pw-eve', email: 'eve@example.com' },
    'profile update': { email: 'changed@example.com' },
    'access-token create': { application: 'intruder', master: true },
  };
  return samples[`${op.resource} ${op.verb}`] ?? {};
}

export interface Credential {
  name: string;
  /** Builds the Authorization header (null: none) once the instance is set up. */
  header(ids: { nonMaster: string; expired: string }): string | null;
  status: number;
  code: number;
}

export const CREDENTIALS: Credential[] = [
  { name: 'no Authorization header', header: () => null, status: 401, code: 103001 },
  { name: 'another scheme (Basic)', header: () => `Basic ${btoa(`admin:${MASTER}`)}`, status: 401, code: 103001 },
  { name: 'Bearer without a token', header: () => 'Bearer ', status: 401, code: 103001 },
  { name: 'the token without "Bearer"', header: () => MASTER, status: 401, code: 103001 },
  { name: 'an unknown token', header: () => 'Bearer 9b2f7a5e-0000-4000-8000-000000000000', status: 401, code: 103001 },
  { name: 'a wrong master token (one character off)', header: () => `Bearer ${MASTER}x`, status: 401, code: 103001 },
  { name: 'an expired master token', header: (ids) => `Bearer ${ids.expired}`, status: 401, code: 103001 },
  {
    name: 'a non-master token with every permission',
    header: (ids) => `Bearer ${ids.nonMaster}`,
    status: 403,
    code: 103002,
  },
];

/**
 * Registers, for every operation of the table, one test per credential of
 * CREDENTIALS: the answer is that credential's 401/403 in the admin model,
 * and nothing in the store changed. One instance for all of them.
 */
export function describeCredentialChecks(operations: readonly AdminOperation[] = ADMIN_OPERATIONS): void {
  let t: TestTicketd;
  const ids = { nonMaster: '', expired: '' };
  const values: Record<string, string> = { name: 'acme', id: '' };
  const idsByResource: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestTicketd();
    ok(await admin(t, 'POST', '/tenants', { name: 'acme' }), 201);
    idsByResource.profile = (await createProfile(t, { tenant: 'acme' })).id;
    ids.nonMaster = await createToken(t, { tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }] });
    ids.expired = await createToken(t, { master: true, expiresOn: t.clock.now() + 1000 });
    idsByResource['access-token'] = ids.nonMaster;
    t.clock.advance(60_000);
  });
  afterAll(async () => {
    await t.stop();
  });

  for (const op of operations) {
    describe(`${op.method} /admin/v1${op.path} (${op.resource} ${op.verb})`, () => {
      for (const cred of CREDENTIALS) {
        it(`${cred.name}: ${cred.status} ${cred.code}, nothing changes`, async () => {
          const before = await snapshot(t);
          const header = cred.header(ids);
          const url = urlOf(op, { ...values, id: idsByResource[op.resource] ?? 'x' });
          const res = await admin(t, op.method, url, sampleBody(op), {
            ...(header === null ? { token: null } : { authorization: header }),
          });
          expectAdminError(res, cred.status, cred.code);
          expect(res.json()).not.toHaveProperty('detail');
          if (cred.status === 401) expect(res.headers['www-authenticate']).toBe('Bearer realm="ticketd"');
          expect(await snapshot(t)).toBe(before);
        });
      }
    });
  }
}
