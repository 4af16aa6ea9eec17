import { type Static, Type } from '@sinclair/typebox';
import { TenantSettingsSchema } from '../core/tenant-settings.js';

/**
 * Every setting of ticketd, its default, and the environment variable that
 * sets it. docs/operations.md's configuration table is this list.
 */
export const ConfigSchema = Type.Object(
  {
    listen: Type.String({ default: '127.0.0.1:5200', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^:\\s]+):\\d{1,5}$' }),
    store: Type.String({
      default: 'sqlite:./data/ticketd.db',
      pattern: '^(sqlite:|memory:|postgres(ql)?://|rediss?(-cluster)?://)',
    }),
    public_url: Type.Optional(
      Type.String({
        pattern: '^https?://[^/?#\\s]+(/[^?#\\s]*)?$',
        description:
          'the base URL clients reach this server at: the OAuth issuer (docs/oauth.md); default http:// + listen',
      }),
    ),
    keyring_file: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'The keyring (keys that seal the secrets kept in the store): required with PostgreSQL and Redis; with SQLite, ticketd.keyring beside the database file unless set.',
      }),
    ),
    multi_tenancy: Type.Boolean({ default: false }),
    log_level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    body_limit: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024 }),
    http: Type.Object(
      {
        headers_timeout_ms: Type.Integer({
          minimum: 100,
          maximum: 300_000,
          default: 10_000,
          description: 'A request whose headers are not all in by then is answered 408 and closed.',
        }),
        request_timeout_ms: Type.Integer({
          minimum: 100,
          maximum: 300_000,
          default: 30_000,
          description: 'A request (headers and body) not all in by then is answered 408 and closed.',
        }),
        keep_alive_timeout_ms: Type.Integer({
          minimum: 100,
          maximum: 300_000,
          default: 5_000,
          description: 'An idle keep-alive connection is closed after this long.',
        }),
        shutdown_timeout_ms: Type.Integer({
          minimum: 0,
          maximum: 300_000,
          default: 10_000,
          description:
            'On SIGTERM, in-flight requests have this long to finish; then every connection is closed and ticketd exits.',
        }),
        trusted_proxies: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
          default: [],
          maxItems: 100,
          description:
            'Addresses or CIDR ranges of proxies whose X-Forwarded-For names the client address (rate limits, logs); none by default.',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
    migrate_on_start: Type.Boolean({ default: true }),
    purge: Type.Object(
      {
        interval_ms: Type.Integer({ minimum: 10, default: 5000 }),
        batch: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
        max_batches: Type.Integer({ minimum: 1, default: 100 }),
      },
      { default: {}, additionalProperties: false },
    ),
    webhooks: Type.Object(
      {
        interval_ms: Type.Integer({
          minimum: 10,
          default: 1000,
          description: 'how often each instance looks for webhook events and due deliveries',
        }),
        timeout_ms: Type.Integer({
          minimum: 100,
          maximum: 60_000,
          default: 10_000,
          description: 'per delivery attempt',
        }),
        concurrency: Type.Integer({
          minimum: 1,
          maximum: 1000,
          default: 16,
          description: 'attempts in flight per instance',
        }),
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
    oz: Type.Object(
      {
        iron_passwords: Type.Optional(
          Type.Record(Type.String({ pattern: '^\\w{1,64}$' }), Type.String({ minLength: 32 }), {
            additionalProperties: false,
            description:
              'Iron passwords that seal Oz tickets, `{id: secret}` (secrets of at least 32 characters); old ids keep unsealing after a rotation.',
          }),
        ),
        iron_password_id: Type.Optional(
          Type.String({ pattern: '^\\w{1,64}$', description: 'The id of oz.iron_passwords that seals new tickets.' }),
        ),
        iron_password: Type.Optional(
          Type.String({
            minLength: 32,
            description:
              'One Iron password (id "default"); when no password is set, Iron passwords are derived from the keyring.',
          }),
        ),
        host: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 255,
            description: 'Host name Hawk clients sign for (else the request’s).',
          }),
        ),
        port: Type.Optional(
          Type.Integer({ minimum: 1, maximum: 65535, description: 'Port Hawk clients sign for (else the request’s).' }),
        ),
        trust_proxy: Type.Boolean({
          default: false,
          description: 'Take the Hawk host and port from X-Forwarded-Host/-Port/-Proto (behind a trusted proxy only).',
        }),
        require_payload_hash: Type.Boolean({
          default: false,
          description: 'Every Hawk request must carry a payload hash.',
        }),
        ticket_ttl: Type.Integer({ minimum: 1, maximum: 31_536_000, default: 3600, description: 'Seconds.' }),
        grant_ttl: Type.Integer({ minimum: 1, maximum: 315_360_000, default: 2_592_000, description: 'Seconds.' }),
        rsvp_ttl: Type.Integer({ minimum: 1, maximum: 3600, default: 60, description: 'Seconds.' }),
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
  TICKETD_PUBLIC_URL: { path: 'public_url', type: 'string' },
  TICKETD_STORE: { path: 'store', type: 'string' },
  TICKETD_KEYRING_FILE: { path: 'keyring_file', type: 'string' },
  TICKETD_MULTI_TENANCY: { path: 'multi_tenancy', type: 'boolean' },
  TICKETD_LOG_LEVEL: { path: 'log_level', type: 'string' },
  TICKETD_BODY_LIMIT: { path: 'body_limit', type: 'integer' },
  TICKETD_HTTP_HEADERS_TIMEOUT_MS: { path: 'http.headers_timeout_ms', type: 'integer' },
  TICKETD_HTTP_REQUEST_TIMEOUT_MS: { path: 'http.request_timeout_ms', type: 'integer' },
  TICKETD_HTTP_KEEP_ALIVE_TIMEOUT_MS: { path: 'http.keep_alive_timeout_ms', type: 'integer' },
  TICKETD_HTTP_SHUTDOWN_TIMEOUT_MS: { path: 'http.shutdown_timeout_ms', type: 'integer' },
  TICKETD_MIGRATE_ON_START: { path: 'migrate_on_start', type: 'boolean' },
  TICKETD_PURGE_INTERVAL_MS: { path: 'purge.interval_ms', type: 'integer' },
  TICKETD_PURGE_BATCH: { path: 'purge.batch', type: 'integer' },
  TICKETD_WEBHOOKS_INTERVAL_MS: { path: 'webhooks.interval_ms', type: 'integer' },
  TICKETD_WEBHOOKS_TIMEOUT_MS: { path: 'webhooks.timeout_ms', type: 'integer' },
  TICKETD_WEBHOOKS_CONCURRENCY: { path: 'webhooks.concurrency', type: 'integer' },
  TICKETD_MASTER_TOKEN: { path: 'master_token', type: 'string' },
  TICKETD_TICKETS_REQUIRE_TOKEN: { path: 'tickets.require_token', type: 'boolean' },
  TICKETD_OZ_IRON_PASSWORD: { path: 'oz.iron_password', type: 'string' },
  TICKETD_OZ_HOST: { path: 'oz.host', type: 'string' },
  TICKETD_OZ_PORT: { path: 'oz.port', type: 'integer' },
  TICKETD_OZ_TRUST_PROXY: { path: 'oz.trust_proxy', type: 'boolean' },
  TICKETD_OZ_REQUIRE_PAYLOAD_HASH: { path: 'oz.require_payload_hash', type: 'boolean' },
};
