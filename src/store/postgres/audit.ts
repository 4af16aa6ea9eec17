import type { AuditFilter, AuditRecord, AuditStore } from '../parts/audit.js';
import { audit as table } from '../sql/tables.js';
import { dialect, type PgPool, statement } from './pool.js';

/** The audit log on PostgreSQL (table `audit_log`), one statement each. */
export class PgAudit implements AuditStore {
  private readonly sql;
  private readonly record = (row: Record<string, unknown>) => table.record(row, dialect);

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    this.sql = {
      append: statement('audit_append', table.insert(dialect, `${s}.audit_log`)),
      list: statement(
        'audit_list',
        `SELECT ${table.select(dialect)} FROM ${s}.audit_log
          WHERE ($1::text IS NULL OR tenant = $1) AND ($2::text IS NULL OR actor = $2)
            AND ($3::text IS NULL OR action = $3) AND ($4::bigint IS NULL OR at >= $4)
            AND ($5::bigint IS NULL OR at < $5) AND ($6::text IS NULL OR id < $6)
          ORDER BY id DESC LIMIT $7`,
      ),
      purge: statement(
        'audit_purge',
        `DELETE FROM ${s}.audit_log WHERE id IN (SELECT id FROM ${s}.audit_log WHERE at < $1 LIMIT $2)`,
      ),
    };
  }

  async append(r: AuditRecord): Promise<void> {
    await this.pg.query(this.sql.append, table.params(r, dialect));
  }

  async list(f: AuditFilter, limit: number): Promise<AuditRecord[]> {
    const values = [f.tenant, f.actor, f.action, f.since, f.until, f.before].map((v) => v ?? null);
    return (await this.pg.query(this.sql.list, [...values, Math.max(0, limit)])).rows.map(this.record);
  }

  purge(before: number, limit: number): Promise<number> {
    return this.pg.count(this.sql.purge, [before, Math.max(0, limit)]);
  }
}
