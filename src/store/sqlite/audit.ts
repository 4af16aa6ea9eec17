import type { AuditFilter, AuditRecord, AuditStore } from '../parts/audit.js';
import { audit as table } from '../sql/tables.js';
import { dialect, type SqliteDb } from './db.js';

/** The audit log on SQLite (table `audit_log`), one statement each. */
export class SqliteAudit implements AuditStore {
  private readonly s;

  constructor(private readonly h: SqliteDb) {
    this.s = h.prepared((db) => ({
      append: db.prepare(table.insert(dialect)),
      list: db.prepare(
        `SELECT ${table.select(dialect)} FROM audit_log
          WHERE (@tenant IS NULL OR tenant = @tenant) AND (@actor IS NULL OR actor = @actor)
            AND (@action IS NULL OR action = @action) AND (@since IS NULL OR at >= @since)
            AND (@until IS NULL OR at < @until) AND (@before IS NULL OR id < @before)
          ORDER BY id DESC LIMIT @limit`,
      ),
      purge: db.prepare('DELETE FROM audit_log WHERE rowid IN (SELECT rowid FROM audit_log WHERE at < ? LIMIT ?)'),
    }));
  }

  async append(r: AuditRecord): Promise<void> {
    await this.h.write(() => this.s().append.run(...table.params(r, dialect)));
  }

  list(f: AuditFilter, limit: number): Promise<AuditRecord[]> {
    const p = {
      tenant: f.tenant ?? null,
      actor: f.actor ?? null,
      action: f.action ?? null,
      since: f.since ?? null,
      until: f.until ?? null,
      before: f.before ?? null,
      limit: Math.max(0, limit),
    };
    return this.h.read(() => (this.s().list.all(p) as Record<string, unknown>[]).map((r) => table.record(r, dialect)));
  }

  async purge(before: number, limit: number): Promise<number> {
    return (await this.h.write(() => this.s().purge.run(before, Math.max(0, limit)))).changes;
  }
}
