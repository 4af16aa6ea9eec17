import type { Store } from '../types.js';
import { SqliteAccessTokens } from './access-tokens.js';
import { SqliteApps } from './apps.js';
import { SqliteAudit } from './audit.js';
import { SqliteDb, type SqliteDbOptions } from './db.js';
import { SqliteGrants } from './grants.js';
import { SqliteLockouts } from './lockouts.js';
import { SqliteMeta } from './meta.js';
import { LATEST_VERSION, migrations } from './migrations.js';
import { SqliteNonces } from './nonces.js';
import { SqliteOutbox } from './outbox.js';
import { SqliteProfiles } from './profiles.js';
import { SqliteRateLimits } from './rate-limits.js';
import { SqliteSessions } from './sessions.js';
import { SqliteTenants } from './tenants.js';
import { SqliteTickets } from './tickets.js';
import { SqliteWebhooks } from './webhooks.js';

/**
 * The embedded default: one SQLite file in WAL mode (db.ts: the connection
 * and its group commit), or a database in memory (`memory:`, path
 * `:memory:`: the same code, lost when the process ends). Each part of the
 * store is one file of this folder.
 */
export class SqliteStore implements Store {
  readonly kind: 'sqlite' | 'memory';
  readonly latestSchemaVersion = LATEST_VERSION;
  private readonly h: SqliteDb;
  readonly tenants;
  readonly tickets;
  readonly profiles;
  readonly sessions;
  readonly accessTokens;
  readonly webhooks;
  readonly audit;
  readonly outbox;
  readonly meta;
  readonly apps;
  readonly grants;
  readonly nonces;
  readonly lockouts;
  readonly rateLimits;
  private readonly deleteTenantStep;

  constructor(path: string, options: SqliteDbOptions = {}) {
    const h = new SqliteDb(path, options);
    this.h = h;
    this.kind = h.inMemory ? 'memory' : 'sqlite';
    this.tenants = new SqliteTenants(h);
    this.outbox = new SqliteOutbox(h);
    this.tickets = new SqliteTickets(h, this.outbox);
    this.profiles = new SqliteProfiles(h);
    this.sessions = new SqliteSessions(h, this.outbox);
    this.accessTokens = new SqliteAccessTokens(h);
    this.meta = new SqliteMeta(h);
    this.apps = new SqliteApps(h, this.outbox);
    this.grants = new SqliteGrants(h, this.outbox);
    this.nonces = new SqliteNonces(h);
    this.lockouts = new SqliteLockouts(h);
    this.rateLimits = new SqliteRateLimits(h);
    this.webhooks = new SqliteWebhooks(h);
    this.audit = new SqliteAudit(h);
    this.deleteTenantStep = h.prepared((db) => {
      // Every statement goes through a tenant index; the tenant row (with its
      // live_tickets counter) goes last. One step of the group commit: atomic.
      const statements = [
        'DELETE FROM tickets WHERE tenant = ?',
        'DELETE FROM sessions WHERE tenant = ?',
        'DELETE FROM profiles WHERE tenant = ?',
        'DELETE FROM oz_grants WHERE app IN (SELECT id FROM oz_apps WHERE tenant = ?)',
        'DELETE FROM oz_apps WHERE tenant = ?',
        'DELETE FROM webhook_endpoints WHERE tenant = ?',
      ].map((sql) => db.prepare(sql));
      const tenant = db.prepare('DELETE FROM tenants WHERE name = ?');
      return (name: string): boolean => {
        for (const s of statements) s.run(name);
        return tenant.run(name).changes > 0;
      };
    });
  }

  async migrate(): Promise<void> {
    const db = this.h.db;
    this.h.run(() => {
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
      );
      for (const m of migrations) {
        // Each version in its own IMMEDIATE transaction with the row that records it: concurrent starts apply it once.
        db.immediate(() => {
          if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return;
          db.exec(m.sql);
          db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
        });
      }
    });
  }

  async schemaVersion(): Promise<number> {
    const db = this.h.db;
    return this.h.run(() => {
      const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
      if (!table) return 0;
      return (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    });
  }

  async ping(): Promise<void> {
    this.h.run(() => this.h.db.prepare('SELECT 1').get());
  }

  /** Whether a thread of its own copies the WAL back into the file (see checkpointer.ts). */
  get checkpointsInBackground(): boolean {
    return this.h.checkpointsInBackground;
  }

  close(): Promise<void> {
    return this.h.close();
  }

  deleteTenant(name: string): Promise<boolean> {
    return this.h.write(() => this.deleteTenantStep()(name));
  }
}
