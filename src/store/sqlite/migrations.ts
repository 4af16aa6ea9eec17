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
];

export const LATEST_VERSION = migrations.at(-1)?.version ?? 0;
