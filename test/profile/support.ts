import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryStore } from '../../src/store/memory/index.js';
import type { Store } from '../../src/store/types.js';
import { createTicketd, type Ticketd } from '../../src/wire.js';

/**
 * A real ticketd for the profile surface: SQLite in a temp dir (or the memory
 * store with TICKETD_TEST_STORE=memory), a manual clock, cheap scrypt, a
 * lockout sleep that records instead of waiting, a captured log, and a known
 * master token.
 */

export const MASTER = 'test-master-token-0123456789abcdef';
/** scrypt cost for tests: same code path, a fraction of the time. */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface ProfileTicketd extends Ticketd {
  clock: ManualClock;
  /** Delays the lockout asked for, in ms, in order. */
  sleeps: number[];
  /** Lines printed on "stdout" (the generated master token). */
  printed: string[];
  logs(): string;
  stop(): Promise<void>;
}

export interface ProfileTestOptions {
  /** Settings as in a config file (snake_case keys). */
  config?: Record<string, unknown>;
  /** No master_token in the config. */
  noMasterToken?: boolean;
  store?: Store;
  /** Real sleeps (timing tests). */
  realSleep?: boolean;
  scrypt?: { N: number; r: number; p: number };
}

export async function startProfileTicketd(options: ProfileTestOptions = {}): Promise<ProfileTicketd> {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-profile-'));
  const useMemory = process.env.TICKETD_TEST_STORE === 'memory';
  const config = loadConfig({
    env: {},
    flags: {
      store: useMemory ? 'memory:' : `sqlite:${join(dir, 'ticketd.db')}`,
      log_level: 'info',
      ...(options.noMasterToken ? {} : { master_token: MASTER }),
      ...options.config,
    },
  });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sleeps: number[] = [];
  const printed: string[] = [];
  const t = await createTicketd(config, {
    clock,
    logger: pino({ level: 'info' }, sink),
    store: options.store ?? (useMemory ? new MemoryStore() : undefined),
    print: (line) => printed.push(line),
    identity: {
      scrypt: options.scrypt ?? TEST_SCRYPT,
      ...(options.realSleep
        ? {}
        : {
            sleep: async (ms: number) => {
              sleeps.push(ms);
            },
          }),
    },
  });
  await t.server.ready();
  return Object.assign(t, {
    clock,
    sleeps,
    printed,
    logs: () => lines.join(''),
    stop: async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export type Reply = Awaited<ReturnType<ProfileTicketd['server']['inject']>>;
export type Encoding = 'form' | 'query' | 'json';
type ParamValue = string | number | boolean | string[] | undefined;

/**
 * Calls /api/1{path}. Parameters go as a form body (POST, default), in the
 * query string (GET, or `as: 'query'`), or as a JSON object (`as: 'json'`).
 * The master token is sent unless `accessTokenId` is given (null: none).
 */
export async function api(
  t: ProfileTicketd,
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
  t: ProfileTicketd,
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

export function ok<T = Record<string, unknown>>(res: Reply): T {
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as T;
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
export async function createProfile(
  t: ProfileTicketd,
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
  t: ProfileTicketd,
  username: string,
  password: string,
  tenantName = 'default',
  accessTokenId?: string,
): Promise<Reply> {
  return api(t, 'POST', '/authentication/authenticate', { tenantName, username, password }, { accessTokenId });
}

/** Creates an access token with these permissions and returns its id. */
export async function createToken(
  t: ProfileTicketd,
  tenantPermissions: { tenant: string; allowedActions: string[] }[],
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await apiJson(t, '/access_token/create', { application: 'test-app', tenantPermissions, ...extra });
  return ok<{ id: string }>(res).id;
}

export async function createTenant(t: ProfileTicketd, name: string, settings: Record<string, unknown> = {}) {
  return ok(await apiJson(t, '/tenant/create', { name, ...settings }));
}

/**
 * Makes the store's tenant reads and writes answer `ms` later, as over the
 * network to PostgreSQL or Redis: the SQLite and memory stores answer within
 * one turn of the event loop, so concurrent requests would never interleave
 * between a read and a write. Returns the undo.
 */
export function delayTenantCalls(store: Store, ms = 5): () => void {
  const { getTenant, putTenant, createTenant } = store;
  const later = async <T>(call: () => Promise<T>): Promise<T> => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return call();
  };
  store.getTenant = (name) => later(() => getTenant.call(store, name));
  store.putTenant = (tenant) => later(() => putTenant.call(store, tenant));
  store.createTenant = (tenant) => later(() => createTenant.call(store, tenant));
  return () => {
    store.getTenant = getTenant;
    store.putTenant = putTenant;
    store.createTenant = createTenant;
  };
}
