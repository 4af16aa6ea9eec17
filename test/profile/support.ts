import { expect } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { ok } from '../helpers/fixtures.js';
import { MASTER, type TestTicketd } from '../helpers/ticketd.js';

/**
 * Helpers of the profile surface's tests, on the one in-process ticketd of
 * test/helpers/ticketd.ts: calls to /api/1 with an access token, the
 * records they make.
 */

export { createToken, ok } from '../helpers/fixtures.js';
export { MASTER, startTestTicketd, TEST_SCRYPT, type TestOptions, type TestTicketd } from '../helpers/ticketd.js';

export type Reply = Awaited<ReturnType<TestTicketd['server']['inject']>>;
export type Encoding = 'form' | 'query' | 'json';
type ParamValue = string | number | boolean | string[] | undefined;

/**
 * Calls /api/1{path}. Parameters go as a form body (POST, default), in the
 * query string (GET, or `as: 'query'`), or as a JSON object (`as: 'json'`).
 * The master token is sent unless `accessTokenId` is given (null: none).
 */
export async function api(
  t: TestTicketd,
  method: 'GET' | 'POST',
  path: string,
  params: Record<string, ParamValue> = {},
  options: { as?: Encoding; accessTokenId?: string | null } = {},
): Promise<Reply> {
  const token = options.accessTokenId === undefined ? MASTER : options.accessTokenId;
  const all: Record<string, ParamValue> = { ...(token === null ? {} : { accessTokenId: token }), ...params };
  const as = options.as ?? (method === 'GET' ? 'query' : 'form');
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(all)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) search.append(k, String(one));
  }
  const url = `/api/1${path}`;
  if (as === 'query') {
    const qs = search.toString();
    return t.server.inject({ method, url: qs ? `${url}?${qs}` : url });
  }
  if (as === 'json') {
    return t.server.inject({
      method,
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(all),
    });
  }
  return t.server.inject({
    method,
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: search.toString(),
  });
}

/** A JSON-body call (tenant/create, access_token/create); the token goes in the query string. */
export async function apiJson(
  t: TestTicketd,
  path: string,
  body: unknown,
  accessTokenId: string | null = MASTER,
): Promise<Reply> {
  const url =
    accessTokenId === null ? `/api/1${path}` : `/api/1${path}?accessTokenId=${encodeURIComponent(accessTokenId)}`;
  return t.server.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

/** An error answer: status, and exactly `{errorCode, message}` (message checked when given). */
export function expectProfileError(res: Reply, status: number, errorCode: string, message?: string | RegExp): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(['errorCode', 'message']);
  expect(body.errorCode).toBe(errorCode);
  if (typeof message === 'string') expect(body.message).toBe(message);
  else if (message) expect(body.message).toMatch(message);
}

export interface ProfileJson {
  username: string;
  email: string;
  verified: boolean;
  enabled: boolean;
  createdOn: number;
  lastModified: number;
  tenant: string;
  roles: string[];
  attributes: Record<string, unknown>;
  id: string;
}

export interface TicketJson {
  tenant: string;
  profileId: string;
  lastRequestTime: number;
  id: string;
}

export interface PersistentLoginJson {
  id: string;
  tenant: string;
  profileId: string;
  token: string;
  timestamp: number;
}

let seq = 0;

/** Creates a profile (default tenant, password "secret-<n>") and returns it with its password. */
/** A profile made through POST /api/1/profile/create, with Crafter's parameters; with its password. */
export async function apiCreateProfile(
  t: TestTicketd,
  params: Record<string, ParamValue> = {},
  accessTokenId?: string,
): Promise<ProfileJson & { password: string }> {
  seq += 1;
  const password = (params.password as string | undefined) ?? `secret-${seq}`;
  const res = await api(
    t,
    'POST',
    '/profile/create',
    {
      tenantName: 'default',
      username: `user${seq}`,
      email: `user${seq}@example.com`,
      enabled: true,
      password,
      ...params,
    },
    { accessTokenId },
  );
  return { ...ok<ProfileJson>(res), password };
}

export async function authenticate(
  t: TestTicketd,
  username: string,
  password: string,
  tenantName = 'default',
  accessTokenId?: string,
): Promise<Reply> {
  return api(t, 'POST', '/authentication/authenticate', { tenantName, username, password }, { accessTokenId });
}

/** Creates an access token with these permissions and returns its id. */

export async function createTenant(t: TestTicketd, name: string, settings: Record<string, unknown> = {}) {
  return ok(await apiJson(t, '/tenant/create', { name, ...settings }));
}

/**
 * Makes the store's tenant reads and writes answer `ms` later, as over the
 * network to PostgreSQL or Redis: the SQLite and memory stores answer within
 * one turn of the event loop, so concurrent requests would never interleave
 * between a read and a write. Returns the undo.
 */
export function delayTenantCalls(store: Store, ms = 5): () => void {
  const tenants = store.tenants;
  const { get, put, create } = tenants;
  const later = async <T>(call: () => Promise<T>): Promise<T> => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return call();
  };
  tenants.get = (name) => later(() => get.call(tenants, name));
  tenants.put = (tenant) => later(() => put.call(tenants, tenant));
  tenants.create = (tenant) => later(() => create.call(tenants, tenant));
  return () => {
    tenants.get = get;
    tenants.put = put;
    tenants.create = create;
  };
}
