/** The record tables SQLite and PostgreSQL share in shape (see table.ts), by part. */
import type { AccessTokenRecord } from '../parts/access-tokens.js';
import type { OzAppRecord } from '../parts/apps.js';
import type { AuditRecord } from '../parts/audit.js';
import type { OzGrantRecord } from '../parts/grants.js';
import type { DeliveryRecord } from '../parts/outbox.js';
import type { ProfileRecord } from '../parts/profiles.js';
import type { SessionRecord } from '../parts/sessions.js';
import type { WebhookEndpointRecord } from '../parts/webhooks.js';
import { Table } from './table.js';

export const profiles = new Table<ProfileRecord>('profiles', {
  id: ['id', 'text'],
  tenant: ['tenant', 'text'],
  username: ['username', 'text'],
  email: ['email', 'text'],
  passwordHash: ['password_hash', 'text'],
  enabled: ['enabled', 'bool'],
  verified: ['verified', 'bool'],
  roles: ['roles', 'json'],
  attributes: ['attributes', 'json'],
  createdOn: ['created_on', 'int'],
  lastModified: ['last_modified', 'int'],
  failedLoginAttempts: ['failed_login_attempts', 'int'],
  lastFailedLogin: ['last_failed_login', 'int'],
  lockedUntil: ['locked_until', 'int'],
});

export const sessions = new Table<SessionRecord>('sessions', {
  id: ['id', 'bytes'],
  kind: ['kind', 'text'],
  tenant: ['tenant', 'text'],
  profileId: ['profile_id', 'text'],
  token: ['token', 'bytes'],
  createdAt: ['created_at', 'int'],
  touchedAt: ['touched_at', 'int'],
  expiresAt: ['expires_at', 'int'],
});

export const accessTokens = new Table<AccessTokenRecord>('access_tokens', {
  id: ['id', 'bytes'],
  idPrefix: ['id_prefix', 'text'],
  application: ['application', 'text'],
  master: ['master', 'bool'],
  tenantPermissions: ['tenant_permissions', 'json'],
  expiresOn: ['expires_on', 'int'],
  createdOn: ['created_on', 'int'],
});

export const apps = new Table<OzAppRecord>('oz_apps', {
  id: ['id', 'text'],
  tenant: ['tenant', 'text'],
  key: ['key', 'text'],
  algorithm: ['algorithm', 'text'],
  scope: ['scope', 'json'],
  delegate: ['delegate', 'bool'],
  extAttributes: ['ext_attributes', 'json'],
  createdOn: ['created_on', 'int'],
});

export const grants = new Table<OzGrantRecord>('oz_grants', {
  id: ['id', 'text'],
  tenant: ['tenant', 'text'],
  app: ['app', 'text'],
  user: ['user_id', 'text'],
  scope: ['scope', 'json'],
  exp: ['exp', 'int'],
  session: ['session', 'bytes'],
  createdOn: ['created_on', 'int'],
});

export const webhooks = new Table<WebhookEndpointRecord>('webhook_endpoints', {
  id: ['id', 'text'],
  tenant: ['tenant', 'text'],
  url: ['url', 'text'],
  events: ['events', 'json'],
  description: ['description', 'text'],
  enabled: ['enabled', 'bool'],
  secret: ['secret', 'text'],
  previousSecret: ['previous_secret', 'text'],
  previousUntil: ['previous_until', 'int'],
  createdOn: ['created_on', 'int'],
  updatedOn: ['updated_on', 'int'],
});

export const deliveries = new Table<DeliveryRecord>('webhook_deliveries', {
  eventId: ['event_id', 'text'],
  endpointId: ['endpoint_id', 'text'],
  tenant: ['tenant', 'text'],
  type: ['type', 'text'],
  body: ['body', 'text'],
  status: ['status', 'text'],
  attempts: ['attempts', 'int'],
  nextAt: ['next_at', 'int'],
  lastStatus: ['last_status', 'int'],
  lastError: ['last_error', 'text'],
  createdAt: ['created_at', 'int'],
  updatedAt: ['updated_at', 'int'],
});

export const audit = new Table<AuditRecord>('audit_log', {
  id: ['id', 'text'],
  at: ['at', 'int'],
  actor: ['actor', 'text'],
  address: ['address', 'text'],
  action: ['action', 'text'],
  tenant: ['tenant', 'text'],
  target: ['target', 'text'],
  outcome: ['outcome', 'text'],
});
