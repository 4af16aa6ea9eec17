/**
 * Records for store tests: each field set, so that every field is seen to
 * round-trip; `fields` overrides any of them. Times come from the caller.
 */
import { randomBytes } from 'node:crypto';
import type {
  OzAppRecord,
  OzGrantRecord,
  ProfileRecord,
  SessionKind,
  SessionRecord,
  TicketRecord,
} from '../../src/store/types.js';

const MINUTE = 60_000;

/** An unlimited opaque ticket that never expires, without payload. */
export const ticketRecord = (tenant: string, createdAt: number, fields: Partial<TicketRecord> = {}): TicketRecord => ({
  tenant,
  id: randomBytes(32),
  usesLeft: null,
  expiresAt: null,
  createdAt,
  payload: null,
  ...fields,
});

/** An enabled profile with a password hash, a role and nested attributes. */
export const profileRecord = (
  tenant: string,
  username: string,
  now: number,
  fields: Partial<ProfileRecord> = {},
): ProfileRecord => ({
  id: randomBytes(12).toString('hex'),
  tenant,
  username,
  email: `${username}@example.com`,
  passwordHash: 'scrypt$N=16384,r=8,p=1$c2FsdA$aGFzaA',
  enabled: true,
  verified: false,
  roles: ['SOCIAL_USER'],
  attributes: { firstName: 'Ada', nested: { list: [1, 'two', null, true] } },
  createdOn: now,
  lastModified: now,
  failedLoginAttempts: 0,
  lastFailedLogin: null,
  lockedUntil: null,
  ...fields,
});

/** A session of the profile, created and touched at `now`, live for 15 minutes; a persistent login has a token. */
export const sessionRecord = (
  kind: SessionKind,
  p: Pick<ProfileRecord, 'tenant' | 'id'>,
  now: number,
  fields: Partial<SessionRecord> = {},
): SessionRecord => ({
  kind,
  id: randomBytes(32),
  tenant: p.tenant,
  profileId: p.id,
  token: kind === 'persistent' ? randomBytes(48) : null,
  createdAt: now,
  touchedAt: now,
  expiresAt: now + 15 * MINUTE,
  ...fields,
});

/** An Oz app with a fresh key, two scopes and one ext attribute. */
export const appRecord = (tenant: string, id: string, now: number, fields: Partial<OzAppRecord> = {}): OzAppRecord => ({
  id,
  tenant,
  key: randomBytes(24).toString('base64url'),
  algorithm: 'sha256',
  scope: ['mylet', 'mylet:read'],
  delegate: false,
  extAttributes: ['dbs'],
  createdOn: now,
  ...fields,
});

/** A grant of the app's scope to `user`, made from a session, for 30 minutes. */
export const grantRecord = (
  app: OzAppRecord,
  user: string,
  now: number,
  fields: Partial<OzGrantRecord> = {},
): OzGrantRecord => ({
  id: randomBytes(16).toString('base64url'),
  tenant: app.tenant,
  app: app.id,
  user,
  scope: [...app.scope],
  exp: now + 30 * MINUTE,
  session: randomBytes(32),
  createdOn: now,
  ...fields,
});
