/**
 * Versioned schema of the SQLite store. Append new versions; never edit a
 * released one. Each runs in its own IMMEDIATE transaction together with the
 * row that records it, so concurrent starts apply each version once.
 */
export const migrations: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE tenants (
        name          TEXT PRIMARY KEY,
        settings      TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        -- tickets rows of this tenant (live or expired-but-unpurged): the O(1) limit check
        live_tickets  INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE tickets (
        id          BLOB NOT NULL UNIQUE,
        tenant      TEXT NOT NULL,
        uses_left   INTEGER,
        expires_at  INTEGER,
        created_at  INTEGER NOT NULL,
        payload     BLOB
      );
      CREATE INDEX tickets_expiry ON tickets (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    // The profile surface (parts/profiles.ts, sessions.ts, access-tokens.ts, meta.ts). JSON values are TEXT, booleans 0/1,
    // times epoch ms, hashed ids 32-byte BLOBs.
    version: 2,
    sql: `
      CREATE TABLE profiles (
        id                     TEXT PRIMARY KEY,
        tenant                 TEXT NOT NULL,
        username               TEXT NOT NULL,
        email                  TEXT NOT NULL,
        password_hash          TEXT,
        enabled                INTEGER NOT NULL,
        verified               INTEGER NOT NULL,
        roles                  TEXT NOT NULL,
        attributes             TEXT NOT NULL,
        created_on             INTEGER NOT NULL,
        last_modified          INTEGER NOT NULL,
        failed_login_attempts  INTEGER NOT NULL DEFAULT 0,
        last_failed_login      INTEGER,
        locked_until           INTEGER
      );
      -- usernames are unique per tenant; also lists a tenant's profiles by username
      CREATE UNIQUE INDEX profiles_tenant_username ON profiles (tenant, username);

      CREATE TABLE login_tickets (
        id                 BLOB PRIMARY KEY,
        tenant             TEXT NOT NULL,
        profile_id         TEXT NOT NULL,
        last_request_time  INTEGER NOT NULL,
        expires_at         INTEGER NOT NULL
      );
      CREATE INDEX login_tickets_expiry ON login_tickets (expires_at);
      CREATE INDEX login_tickets_profile ON login_tickets (profile_id);
      CREATE INDEX login_tickets_tenant ON login_tickets (tenant);

      CREATE TABLE persistent_logins (
        id          BLOB PRIMARY KEY,
        tenant      TEXT NOT NULL,
        profile_id  TEXT NOT NULL,
        token       BLOB NOT NULL,
        timestamp   INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
      );
      CREATE INDEX persistent_logins_expiry ON persistent_logins (expires_at);
      CREATE INDEX persistent_logins_profile ON persistent_logins (profile_id);
      CREATE INDEX persistent_logins_tenant ON persistent_logins (tenant);

      CREATE TABLE access_tokens (
        id                  BLOB PRIMARY KEY,
        id_prefix           TEXT NOT NULL,
        application         TEXT NOT NULL,
        master              INTEGER NOT NULL,
        tenant_permissions  TEXT NOT NULL,
        expires_on          INTEGER,
        created_on          INTEGER NOT NULL
      );

      CREATE TABLE meta (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
      );

      -- deleteTenant removes a tenant's opaque tickets without scanning everyone's
      CREATE INDEX tickets_tenant ON tickets (tenant);
    `,
  },
  {
    // The Oz surface (parts/apps.ts, grants.ts, nonces.ts): apps, grants and Hawk nonces. Lists are JSON TEXT,
    // booleans 0/1, times epoch ms.
    version: 3,
    sql: `
      CREATE TABLE oz_apps (
        id              TEXT PRIMARY KEY,
        tenant          TEXT NOT NULL,
        key             TEXT NOT NULL,
        algorithm       TEXT NOT NULL,
        scope           TEXT NOT NULL,
        delegate        INTEGER NOT NULL,
        ext_attributes  TEXT NOT NULL,
        created_on      INTEGER NOT NULL
      );
      -- listApps(tenant), in id order
      CREATE INDEX oz_apps_tenant ON oz_apps (tenant, id);

      CREATE TABLE oz_grants (
        id          TEXT PRIMARY KEY,
        tenant      TEXT NOT NULL,
        app         TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        scope       TEXT NOT NULL,
        exp         INTEGER NOT NULL,
        session     BLOB,
        created_on  INTEGER NOT NULL
      );
      CREATE INDEX oz_grants_exp ON oz_grants (exp);
      -- listGrants by app or by user, newest first; deleteApp; deleteGrantsOfUser
      CREATE INDEX oz_grants_app ON oz_grants (app, created_on, id);
      CREATE INDEX oz_grants_user ON oz_grants (user_id, created_on, id);

      CREATE TABLE oz_nonces (
        credential_id  TEXT NOT NULL,
        nonce          TEXT NOT NULL,
        expires_at     INTEGER NOT NULL,
        PRIMARY KEY (credential_id, nonce)
      );
      CREATE INDEX oz_nonces_expiry ON oz_nonces (expires_at);
    `,
  },
  {
    // One table for both kinds of profile session (parts/sessions.ts), with
    // the time each was created; the two tables of version 2 move into it.
    version: 4,
    sql: `
      CREATE TABLE sessions (
        id          BLOB PRIMARY KEY,
        kind        TEXT NOT NULL,
        tenant      TEXT NOT NULL,
        profile_id  TEXT NOT NULL,
        token       BLOB,
        created_at  INTEGER NOT NULL,
        touched_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
      );
      CREATE INDEX sessions_expiry ON sessions (expires_at);
      CREATE INDEX sessions_profile ON sessions (profile_id);
      CREATE INDEX sessions_tenant ON sessions (tenant);
      INSERT INTO sessions (id, kind, tenant, profile_id, token, created_at, touched_at, expires_at)
        SELECT id, 'login', tenant, profile_id, NULL, last_request_time, last_request_time, expires_at FROM login_tickets;
      INSERT INTO sessions (id, kind, tenant, profile_id, token, created_at, touched_at, expires_at)
        SELECT id, 'persistent', tenant, profile_id, token, timestamp, timestamp, expires_at FROM persistent_logins;
      DROP TABLE login_tickets;
      DROP TABLE persistent_logins;
    `,
  },
  {
    // Failed logins of usernames with no profile (parts/lockouts.ts), by digest.
    version: 5,
    sql: `
      CREATE TABLE lockouts (
        key           BLOB PRIMARY KEY,
        failed        INTEGER NOT NULL,
        locked_until  INTEGER,
        expires_at    INTEGER NOT NULL
      );
      CREATE INDEX lockouts_expiry ON lockouts (expires_at);
      -- Windows of the optional rate limits (parts/rate-limits.ts).
      CREATE TABLE rate_limits (
        key       TEXT PRIMARY KEY,
        count     INTEGER NOT NULL,
        reset_at  INTEGER NOT NULL
      );
      CREATE INDEX rate_limits_reset ON rate_limits (reset_at);
    `,
  },
  {
    // Webhook endpoints (parts/webhooks.ts).
    version: 6,
    sql: `
      CREATE TABLE webhook_endpoints (
        id              TEXT PRIMARY KEY,
        tenant          TEXT NOT NULL,
        url             TEXT NOT NULL,
        events          TEXT NOT NULL,
        description     TEXT NOT NULL,
        enabled         INTEGER NOT NULL,
        secret          TEXT NOT NULL,
        previous_secret TEXT,
        previous_until  INTEGER,
        created_on      INTEGER NOT NULL,
        updated_on      INTEGER NOT NULL
      );
      CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant, created_on, id);
      -- The outbox (parts/outbox.ts): events in the order written, then one delivery per endpoint.
      CREATE TABLE outbox_events (
        seq         INTEGER PRIMARY KEY,
        id          TEXT NOT NULL,
        tenant      TEXT NOT NULL,
        type        TEXT NOT NULL,
        body        TEXT NOT NULL,
        created_at  INTEGER NOT NULL
      );
      CREATE TABLE webhook_deliveries (
        event_id     TEXT NOT NULL,
        endpoint_id  TEXT NOT NULL,
        tenant       TEXT NOT NULL,
        type         TEXT NOT NULL,
        body         TEXT NOT NULL,
        status       TEXT NOT NULL,
        attempts     INTEGER NOT NULL,
        next_at      INTEGER NOT NULL,
        last_status  INTEGER,
        last_error   TEXT,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        PRIMARY KEY (event_id, endpoint_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
      CREATE INDEX webhook_deliveries_done ON webhook_deliveries (updated_at) WHERE status <> 'pending';
      -- The audit log (parts/audit.ts): ids sort as written.
      CREATE TABLE audit_log (
        id       TEXT PRIMARY KEY,
        at       INTEGER NOT NULL,
        actor    TEXT NOT NULL,
        address  TEXT,
        action   TEXT NOT NULL,
        tenant   TEXT,
        target   TEXT,
        outcome  TEXT NOT NULL
      );
      CREATE INDEX audit_log_at ON audit_log (at);
    `,
  },
];

export const LATEST_VERSION = migrations.at(-1)?.version ?? 0;
