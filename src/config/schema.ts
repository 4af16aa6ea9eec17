import { type Static, Type } from '@sinclair/typebox';
import { TenantSettingsSchema } from '../core/tenant-settings.js';

/**
 * Every setting of ticketd, its default, and the environment variable that
 * sets it. The README's configuration table is this list.
 */
export const ConfigSchema = Type.Object(
  {
    listen: Type.String({ default: '127.0.0.1:5200', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\s]+):\\d{1,5}$' }),
    store: Type.String({
      default: 'sqlite:./data/ticketd.db',
      pattern: '^(sqlite:|memory:|postgres(ql)?://|redis(s)?://)',
    }),
    multi_tenancy: Type.Boolean({ default: false }),
    log_level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    body_limit: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024 }),
    migrate_on_start: Type.Boolean({ default: true }),
    purge: Type.Object(
      {
        interval_ms: Type.Integer({ minimum: 10, default: 5000 }),
        batch: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
        max_batches: Type.Integer({ minimum: 1, default: 100 }),
      },
      { default: {}, additionalProperties: false },
    ),
    master_token: Type.Optional(
      Type.String({
        minLength: 16,
        maxLength: 200,
        pattern: '^[\\x21-\\x7e]+$',
        description:
          'The master access token created on the first start (16-200 printable ASCII characters); generated and printed once when unset.',
      }),
    ),
    tickets: Type.Object(
      {
        require_token: Type.Boolean({
          default: false,
          description: 'ticket surface requires `Authorization: Bearer <access token>` with MANAGE_TICKETS',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
    tenants: Type.Record(Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$' }), Type.Partial(TenantSettingsSchema), {
      default: {},
      description: 'Tenants ensured at start, with their settings.',
      // Without it a name that fails the key pattern is simply not checked.
      additionalProperties: false,
    }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

/** Environment variables and the setting each one sets (dotted path). */
export const ENV: Record<string, { path: string; type: 'string' | 'boolean' | 'integer' }> = {
  TICKETD_LISTEN: { path: 'listen', type: 'string' },
  TICKETD_STORE: { path: 'store', type: 'string' },
  TICKETD_MULTI_TENANCY: { path: 'multi_tenancy', type: 'boolean' },
  TICKETD_LOG_LEVEL: { path: 'log_level', type: 'string' },
  TICKETD_BODY_LIMIT: { path: 'body_limit', type: 'integer' },
  TICKETD_MIGRATE_ON_START: { path: 'migrate_on_start', type: 'boolean' },
  TICKETD_PURGE_INTERVAL_MS: { path: 'purge.interval_ms', type: 'integer' },
  TICKETD_PURGE_BATCH: { path: 'purge.batch', type: 'integer' },
  TICKETD_MASTER_TOKEN: { path: 'master_token', type: 'string' },
  TICKETD_TICKETS_REQUIRE_TOKEN: { path: 'tickets.require_token', type: 'boolean' },
};
