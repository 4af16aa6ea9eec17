import hawk from 'hawk';
import { SYSTEM_ACTOR } from '../../src/core/access-tokens.js';
import { sealAppKey } from '../../src/oz/app-keys.js';
import type { OzAppRecord } from '../../src/store/types.js';
import { createProfile } from '../helpers/fixtures.js';
import type { TestTicketd } from '../helpers/ticketd.js';

/**
 * Helpers of the Oz surface's tests, on the one in-process ticketd of
 * test/helpers/ticketd.ts: apps, profiles and sessions, and requests signed
 * with hawk's own client (`hawk.client.header`) at the clock's time.
 */

export { startTestTicketd, T0, type TestTicketd } from '../helpers/ticketd.js';

/** The host and port tests sign for (sent as the Host header). */
export const HOST = 'ticketd.test';
export const PORT = 5200;

/** The string with one character changed (at `at`, default the last): never the same string. */
export function tamper(s: string, at = s.length - 1): string {
  return `${s.slice(0, at)}${s[at] === 'A' ? 'B' : 'A'}${s.slice(at + 1)}`;
}

let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}`;

export async function createApp(t: TestTicketd, fields: Partial<OzAppRecord> = {}): Promise<OzAppRecord> {
  const app: OzAppRecord = {
    id: fields.id ?? unique('com.example.app'),
    tenant: 'default',
    key: `${unique('key-')}-${'k'.repeat(40)}`,
    algorithm: 'sha256',
    scope: ['mylet'],
    delegate: false,
    extAttributes: ['dbs'],
    createdOn: t.clock.now(),
    ...fields,
  };
  // Kept as ticketd keeps app keys: sealed under the keyring. The test gets the key in clear.
  await t.store.apps.create({ ...app, key: sealAppKey(t.keyring, app.id, app.key) });
  return app;
}

/** A profile of the tenant (default `default`) whose attributes hold an ext value and a secret; its id. */
export async function createProfileId(
  t: TestTicketd,
  fields: { tenant?: string; attributes?: Record<string, unknown>; enabled?: boolean } = {},
): Promise<string> {
  const attributes = fields.attributes ?? { dbs: '2e2ed05a-4f63-4850-9297-5b8384397dd0', secret: 'not for apps' };
  return (await createProfile(t, { ...fields, attributes })).id;
}

/** A session token: a live login ticket of the profile. */
export async function login(t: TestTicketd, profileId: string): Promise<string> {
  return (await t.identity.logins.createTicket(SYSTEM_ACTOR, profileId)).id;
}

export interface HawkCredentials {
  id: string;
  key: string;
  algorithm: string;
  app?: string;
  dlg?: string;
}

export interface SignOptions {
  /** Seconds offset of the signature's timestamp from the clock. */
  skewSec?: number;
  nonce?: string;
  /** Sign the body (payload hash). */
  hash?: boolean;
  contentType?: string;
  /** Override the header's app / dlg attributes (default: the ticket's). */
  app?: string | null;
  dlg?: string | null;
  host?: string;
  port?: number;
}

/** An Authorization header from hawk's own client, at the test clock's time. */
export function hawkHeader(
  t: TestTicketd,
  path: string,
  credentials: HawkCredentials,
  body: string | undefined,
  options: SignOptions = {},
): string {
  const app = options.app === null ? undefined : (options.app ?? credentials.app);
  const dlg = options.dlg === null ? undefined : (options.dlg ?? credentials.dlg);
  return hawk.client.header(`http://${options.host ?? HOST}:${options.port ?? PORT}${path}`, 'POST', {
    credentials: { id: credentials.id, key: credentials.key, algorithm: credentials.algorithm },
    timestamp: Math.floor(t.clock.now() / 1000) + (options.skewSec ?? 0),
    ...(options.nonce ? { nonce: options.nonce } : {}),
    ...(app ? { app } : {}),
    ...(dlg ? { dlg } : {}),
    ...(options.hash ? { payload: body ?? '', contentType: options.contentType ?? 'application/json' } : {}),
  }).header;
}

export interface OzReply {
  status: number;
  body: Record<string, unknown>;
  text: string;
  headers: Record<string, string | string[] | number | undefined>;
}

/** POSTs to ticketd, Hawk-signed with `credentials` unless they are null; `body` is JSON-encoded unless a string. */
export async function post(
  t: TestTicketd,
  path: string,
  credentials: HawkCredentials | null,
  body?: unknown,
  options: SignOptions & { authorization?: string; headers?: Record<string, string> } = {},
): Promise<OzReply> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { host: `${HOST}:${PORT}` };
  if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (credentials) headers.authorization = hawkHeader(t, path, credentials, payload, options);
  const res = await t.server.inject({
    method: 'POST',
    url: path,
    headers: { ...headers, ...options.headers },
    ...(payload !== undefined ? { payload } : {}),
  });
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { status: res.statusCode, body: parsed, text: res.body, headers: res.headers };
}

/** Credentials of an app for hawk's client. */
export const appCredentials = (app: OzAppRecord): HawkCredentials => ({
  id: app.id,
  key: app.key,
  algorithm: app.algorithm,
});

/** Credentials of a ticket (as answered) for hawk's client, with its app and dlg. */
export const ticketCredentials = (ticket: Record<string, unknown>): HawkCredentials => ({
  id: ticket.id as string,
  key: ticket.key as string,
  algorithm: ticket.algorithm as string,
  app: ticket.app as string,
  ...(typeof ticket.dlg === 'string' ? { dlg: ticket.dlg } : {}),
});

/** A user ticket for a fresh profile and session of `app`. */
export async function userTicket(
  t: TestTicketd,
  app: OzAppRecord,
  profile?: string,
): Promise<{ ticket: Record<string, unknown>; profile: string; session: string }> {
  const p = profile ?? (await createProfileId(t));
  const session = await login(t, p);
  const res = await post(t, '/v1/ticket', appCredentials(app), { session });
  if (res.status !== 200) throw new Error(`no user ticket: ${res.status} ${res.text}`);
  return { ticket: res.body, profile: p, session };
}

/** Hawk's client check of a response: its Server-Authorization (and body hash) made with `credentials`. */
export function verifyServerAuthorization(
  path: string,
  credentials: HawkCredentials,
  authorization: string,
  reply: OzReply,
): void {
  const artifacts = hawk.utils.parseAuthorizationHeader(authorization);
  hawk.client.authenticate(
    { headers: reply.headers as Record<string, string> },
    { id: credentials.id, key: credentials.key, algorithm: credentials.algorithm },
    {
      method: 'POST',
      host: HOST,
      port: PORT,
      resource: path,
      ts: artifacts.ts as string,
      nonce: artifacts.nonce,
      app: artifacts.app,
      dlg: artifacts.dlg,
    },
    { payload: reply.text, required: true },
  );
}
