import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { TenantSettings } from '../../core/tenant-settings.js';
import type { OzAppRecord, OzGrantRecord } from '../oz-types.js';
import type {
  AccessTokenRecord,
  LoginFailure,
  LoginTicketRecord,
  PersistentLoginRecord,
  ProfilePatch,
  ProfileRecord,
} from '../profile-types.js';
import {
  type CreateTicketResult,
  type PurgedTickets,
  type Store,
  StoreUnavailableError,
  type TenantRecord,
  type TicketInfo,
  type TicketRecord,
  type UsedTicket,
} from '../types.js';
import { Checkpointer } from './checkpointer.js';
import { migrations } from './migrations.js';
import { SqliteOz } from './oz.js';
import { SqliteProfiles } from './profiles.js';

/** How many expired tickets of a tenant at its limit are reclaimed in one create. */
const RECLAIM_BATCH = 1000;

/** Writes a connection makes before it hands checkpoints to a thread of their own (see checkpointer.ts). */
const BACKGROUND_CHECKPOINT_AFTER_WRITES = 2000;
/** How often the checkpoint thread copies the WAL back into the database. */
const BACKGROUND_CHECKPOINT_INTERVAL_MS = 200;
/** WAL pages after which the serving connection checkpoints by itself, once the thread is there (SQLite's default is 1000). */
const BACKSTOP_CHECKPOINT_PAGES = 16_384;
/** The WAL file is cut back to this size after a checkpoint has emptied it. */
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

interface PendingWrite {
  step: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Thrown out of a group commit's transaction to roll it back when one of its steps failed. */
class StepFailed extends Error {}

interface TicketRow {
  uses_left: number | null;
  payload: Buffer | null;
}
interface TenantRow {
  name: string;
  settings: string;
  created_at: number;
}

/**
 * The embedded default: one SQLite file in WAL mode. better-sqlite3 is
 * synchronous, so within one process every step runs to completion without
 * interleaving; across processes sharing the file, each write runs in a
 * `BEGIN IMMEDIATE` transaction, which SQLite serialises. Every write is
 * group-committed (see write()); a read runs at once, or with the queued
 * writes when there are some (see read()).
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private prepared:
    | {
        stmts: ReturnType<SqliteStore['prepare']>;
        steps: ReturnType<SqliteStore['ticketSteps']>;
        txn: ReturnType<SqliteStore['transactions']>;
      }
    | undefined;

  private readonly path: string;
  private checkpointer: Checkpointer | undefined;
  private writesBeforeCheckpointer: number;

  /** `backgroundCheckpointAfterWrites`: writes before checkpoints move to their own thread (tests lower it). */
  constructor(path: string, options: { backgroundCheckpointAfterWrites?: number } = {}) {
    this.path = path;
    this.writesBeforeCheckpointer = options.backgroundCheckpointAfterWrites ?? BACKGROUND_CHECKPOINT_AFTER_WRITES;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('busy_timeout = 5000');
    this.enableWal();
    // NORMAL in WAL mode: a commit survives a crash of the process (kill -9);
    // only a power loss may drop the last transactions.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('cache_size = -16000');
    this.db.pragma('temp_store = MEMORY');
    this.db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  }

  async migrate(): Promise<void> {
    this.run(() => {
      this.db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
      );
      for (const m of migrations) {
        this.db
          .transaction(() => {
            const done = this.db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
            if (done) return;
            this.db.exec(m.sql);
            this.db
              .prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
              .run(m.version, Date.now());
          })
          .immediate();
      }
    });
    this.ready();
  }

  async schemaVersion(): Promise<number> {
    return this.run(() => {
      const table = this.db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
        .get();
      if (!table) return 0;
      const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
      return row.v ?? 0;
    });
  }

  async ping(): Promise<void> {
    this.run(() => this.db.prepare('SELECT 1').get());
  }

  /** Whether a thread of its own copies the WAL back into the file (see checkpointer.ts). */
  get checkpointsInBackground(): boolean {
    return this.checkpointer !== undefined;
  }

  async close(): Promise<void> {
    this.commitPending();
    await this.checkpointer?.close();
    this.checkpointer = undefined;
    if (this.db.open) this.db.close();
  }

  async getTenant(name: string): Promise<TenantRecord | null> {
    const row = await this.read(() => this.stmts.getTenant.get(name) as TenantRow | undefined);
    return row ? toTenant(row) : null;
  }

  async putTenant(t: TenantRecord): Promise<void> {
    await this.write(() => this.stmts.putTenant.run(t.name, JSON.stringify(t.settings), t.createdAt));
  }

  async createTenant(t: TenantRecord): Promise<'created' | 'exists'> {
    // One statement: SQLite serialises writers, so of concurrent creates (any process) one inserts.
    const { changes } = await this.write(() =>
      this.stmts.createTenant.run(t.name, JSON.stringify(t.settings), t.createdAt),
    );
    return changes === 1 ? 'created' : 'exists';
  }

  async listTenants(): Promise<TenantRecord[]> {
    return this.read(() => (this.stmts.listTenants.all() as TenantRow[]).map(toTenant));
  }

  createTicket(t: TicketRecord, max: number, now: number): Promise<CreateTicketResult> {
    return this.write(() => this.steps.create(t, max, now));
  }

  useTicket(tenant: string, id: Buffer, now: number): Promise<UsedTicket | null> {
    return this.write(() => this.steps.use(tenant, id, now));
  }

  deleteTicket(tenant: string, id: Buffer, now: number): Promise<{ usesLeft: number | null } | null> {
    return this.write(() => this.steps.delete(tenant, id, now));
  }

  async peekTicket(tenant: string, id: Buffer, now: number): Promise<TicketInfo | null> {
    const row = await this.read(
      () =>
        this.stmts.peek.get(id, tenant, now) as
          | { uses_left: number | null; expires_at: number | null; created_at: number }
          | undefined,
    );
    return row ? { usesLeft: row.uses_left, expiresAt: row.expires_at, createdAt: row.created_at } : null;
  }

  async countTickets(tenant: string): Promise<number> {
    const row = await this.read(() => this.stmts.count.get(tenant) as { live_tickets: number } | undefined);
    return row?.live_tickets ?? 0;
  }

  purgeTickets(now: number, limit: number): Promise<PurgedTickets> {
    return this.write(() => this.steps.purge(now, limit));
  }

  // ---- group commit ----------------------------------------------------------

  /** Writes waiting for the next group commit. */
  private pending: PendingWrite[] = [];

  /**
   * Group commit. A commit costs far more than the statements it commits (it
   * appends every page they changed to the WAL), so writes of every kind
   * (tickets, login tickets, Hawk nonces, ...) queue here and run together in
   * one IMMEDIATE transaction at the end of the event-loop turn that issued
   * them. Each write's promise settles only once
   * that transaction has committed (or failed), so an answer never goes out
   * before its write is durable. Every other call runs the queue first (see
   * run()), so calls still take effect in the order made.
   */
  private write<T>(step: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(this.commitPending);
      this.pending.push({ step, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private readonly commitPending = (): void => {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.countWrites(batch.length);
    if (batch.length > 1) {
      const values: unknown[] = [];
      try {
        this.run(() => this.txn.batch.immediate(batch, values));
        for (let i = 0; i < batch.length; i++) (batch[i] as PendingWrite).resolve(values[i]);
        return;
      } catch (err) {
        if (!(err instanceof StepFailed)) {
          // BEGIN or COMMIT failed: none of the batch took effect.
          for (const p of batch) p.reject(err);
          return;
        }
        // A step failed and rolled the whole batch back: run each alone, so only that one fails.
      }
    }
    for (const p of batch) {
      let value: unknown;
      try {
        value = this.run(() => this.txn.one.immediate(p.step));
      } catch (err) {
        p.reject(err);
        continue;
      }
      p.resolve(value);
    }
  };

  /**
   * A read. With writes queued, it joins them, in order, in the next group
   * commit, so that it sees every write made before it (awaited or not);
   * otherwise it runs at once.
   */
  private read<T>(step: () => T): Promise<T> {
    if (this.pending.length > 0) return this.write(step);
    try {
      return Promise.resolve(step());
    } catch (err) {
      return Promise.reject(this.unavailable(err) ?? err);
    }
  }

  /** Hands checkpoints to their own thread once this connection writes in earnest (file databases only). */
  private countWrites(n: number): void {
    if (this.writesBeforeCheckpointer <= 0) return;
    this.writesBeforeCheckpointer -= n;
    if (this.writesBeforeCheckpointer > 0 || this.path === ':memory:' || this.path === '') return;
    this.checkpointer = new Checkpointer(this.path, BACKGROUND_CHECKPOINT_INTERVAL_MS);
    this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  }

  /**
   * Statements are prepared once, after migrations created their tables: at
   * the end of migrate(), or on first use when another process (or
   * `ticketd migrate`) migrated the file and this one never calls migrate().
   */
  private ready() {
    if (!this.prepared) {
      const stmts = this.prepare();
      const steps = this.ticketSteps(stmts);
      this.prepared = { stmts, steps, txn: this.transactions() };
    }
    return this.prepared;
  }
  private get stmts() {
    return this.ready().stmts;
  }
  private get steps() {
    return this.ready().steps;
  }
  private get txn() {
    return this.ready().txn;
  }

  private prepare() {
    const db = this.db;
    return {
      getTenant: db.prepare('SELECT name, settings, created_at FROM tenants WHERE name = ?'),
      putTenant: db.prepare(
        'INSERT INTO tenants (name, settings, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET settings = excluded.settings',
      ),
      // live_tickets takes its default, 0.
      createTenant: db.prepare(
        'INSERT INTO tenants (name, settings, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
      ),
      listTenants: db.prepare('SELECT name, settings, created_at FROM tenants ORDER BY name'),
      count: db.prepare('SELECT live_tickets FROM tenants WHERE name = ?'),
      // Positional parameters on the hot statements: binding them costs half of binding named ones.
      takeSlot: db.prepare(
        'UPDATE tenants SET live_tickets = live_tickets + 1 WHERE name = ? AND (? = 0 OR live_tickets < ?)',
      ),
      release: db.prepare('UPDATE tenants SET live_tickets = live_tickets - ? WHERE name = ?'),
      reclaim: db.prepare(
        `DELETE FROM tickets WHERE rowid IN (
           SELECT rowid FROM tickets WHERE expires_at <= @now AND tenant = @tenant LIMIT ${RECLAIM_BATCH})`,
      ),
      insert: db.prepare(
        'INSERT INTO tickets (id, tenant, uses_left, expires_at, created_at, payload) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      find: db.prepare(
        'SELECT uses_left, payload FROM tickets WHERE id = ? AND tenant = ? AND (expires_at IS NULL OR expires_at > ?)',
      ),
      decrement: db.prepare('UPDATE tickets SET uses_left = uses_left - 1 WHERE id = ?'),
      remove: db.prepare('DELETE FROM tickets WHERE id = ?'),
      peek: db.prepare(
        `SELECT uses_left, expires_at, created_at FROM tickets WHERE id = ? AND tenant = ? AND (expires_at IS NULL OR expires_at > ?)`,
      ),
      purge: db.prepare(
        `DELETE FROM tickets WHERE rowid IN (
           SELECT rowid FROM tickets WHERE expires_at <= ? ORDER BY expires_at LIMIT ?) RETURNING tenant`,
      ),
    };
  }

  /** The ticket writes, as plain steps: the group commit runs them inside its transaction. */
  private ticketSteps(s: ReturnType<SqliteStore['prepare']>) {
    return {
      create: (t: TicketRecord, max: number, now: number): CreateTicketResult => {
        if (s.takeSlot.run(t.tenant, max, max).changes === 0) {
          const freed = s.reclaim.run({ now, tenant: t.tenant }).changes;
          if (freed === 0) return 'limit';
          s.release.run(freed, t.tenant);
          if (s.takeSlot.run(t.tenant, max, max).changes === 0) return 'limit';
        }
        s.insert.run(t.id, t.tenant, t.usesLeft, t.expiresAt, t.createdAt, t.payload);
        return 'created';
      },
      use: (tenant: string, id: Buffer, now: number): UsedTicket | null => {
        const row = s.find.get(id, tenant, now) as TicketRow | undefined;
        if (!row) return null;
        if (row.uses_left === null) return { usesLeft: null, payload: row.payload };
        if (row.uses_left <= 1) {
          s.remove.run(id);
          s.release.run(1, tenant);
          return { usesLeft: 0, payload: row.payload };
        }
        s.decrement.run(id);
        return { usesLeft: row.uses_left - 1, payload: row.payload };
      },
      delete: (tenant: string, id: Buffer, now: number) => {
        const row = s.find.get(id, tenant, now) as TicketRow | undefined;
        if (!row) return null;
        s.remove.run(id);
        s.release.run(1, tenant);
        return { usesLeft: row.uses_left };
      },
      purge: (now: number, limit: number): PurgedTickets => {
        const rows = s.purge.all(now, limit) as { tenant: string }[];
        const byTenant: Record<string, number> = {};
        for (const r of rows) byTenant[r.tenant] = (byTenant[r.tenant] ?? 0) + 1;
        for (const [tenant, n] of Object.entries(byTenant)) s.release.run(n, tenant);
        return { removed: rows.length, byTenant };
      },
    };
  }

  private transactions() {
    const db = this.db;
    return {
      /** One write in a transaction of its own. */
      one: db.transaction((step: () => unknown) => step()),
      /**
       * A group commit's writes in one transaction, without a savepoint each
       * (two more statements per write): a step that throws rolls back them
       * all, and commitPending() then runs each alone.
       */
      batch: db.transaction((batch: PendingWrite[], values: unknown[]) => {
        for (const p of batch) {
          try {
            values.push(p.step());
          } catch (err) {
            throw new StepFailed('a step of the group commit failed', { cause: err });
          }
        }
      }),
    };
  }

  // ---- profile surface (profiles.ts) ---------------------------------------

  /** Prepared on first use, once migration 2 created the tables. */
  private profileSteps: SqliteProfiles | undefined;
  private get profiles(): SqliteProfiles {
    this.profileSteps ??= new SqliteProfiles(this.db);
    return this.profileSteps;
  }

  async deleteTenant(name: string): Promise<boolean> {
    // The Oz apps and grants of the tenant go in the same IMMEDIATE transaction
    // (the profile side's own transaction nests in it as a savepoint).
    return this.write(() => this.deleteTenantTxn.immediate(name));
  }
  private deleteTenantSteps: Database.Transaction<(name: string) => boolean> | undefined;
  private get deleteTenantTxn() {
    this.deleteTenantSteps ??= this.db.transaction((name: string): boolean => {
      this.oz.deleteTenant(name);
      return this.profiles.deleteTenant(name);
    });
    return this.deleteTenantSteps;
  }

  async createProfile(profile: ProfileRecord): Promise<'created' | 'exists'> {
    return this.write(() => this.profiles.createProfile(profile));
  }
  async getProfile(id: string): Promise<ProfileRecord | null> {
    return this.read(() => this.profiles.getProfile(id));
  }
  async getProfileByUsername(tenant: string, username: string): Promise<ProfileRecord | null> {
    return this.read(() => this.profiles.getProfileByUsername(tenant, username));
  }
  async listProfiles(tenant: string, offset: number, limit: number): Promise<ProfileRecord[]> {
    return this.read(() => this.profiles.listProfiles(tenant, offset, limit));
  }
  async countProfiles(tenant: string): Promise<number> {
    return this.read(() => this.profiles.countProfiles(tenant));
  }
  async updateProfile(id: string, patch: ProfilePatch, now: number): Promise<ProfileRecord | 'exists' | null> {
    return this.write(() => this.profiles.updateProfile(id, patch, now));
  }
  async deleteProfile(id: string): Promise<boolean> {
    return this.write(() => this.profiles.deleteProfile(id));
  }
  async recordLoginFailure(id: string, now: number, lockAfter: number, lockMs: number): Promise<LoginFailure | null> {
    return this.write(() => this.profiles.recordLoginFailure(id, now, lockAfter, lockMs));
  }
  async resetLoginFailures(id: string): Promise<void> {
    await this.write(() => this.profiles.resetLoginFailures(id));
  }

  async createLoginTicket(ticket: LoginTicketRecord): Promise<void> {
    await this.write(() => this.profiles.createLoginTicket(ticket));
  }
  async getLoginTicket(id: Buffer, now: number): Promise<LoginTicketRecord | null> {
    return this.read(() => this.profiles.getLoginTicket(id, now));
  }
  async touchLoginTicket(id: Buffer, now: number, maxAgeMs: number): Promise<LoginTicketRecord | null> {
    return this.write(() => this.profiles.touchLoginTicket(id, now, maxAgeMs));
  }
  async deleteLoginTicket(id: Buffer): Promise<boolean> {
    return this.write(() => this.profiles.deleteLoginTicket(id));
  }
  async deleteLoginTicketsOfProfile(profileId: string): Promise<number> {
    return this.write(() => this.profiles.deleteLoginTicketsOfProfile(profileId));
  }
  async purgeLoginTickets(now: number, limit: number): Promise<number> {
    return this.write(() => this.profiles.purgeLoginTickets(now, limit));
  }

  async createPersistentLogin(login: PersistentLoginRecord): Promise<void> {
    await this.write(() => this.profiles.createPersistentLogin(login));
  }
  async getPersistentLogin(id: Buffer, now: number): Promise<PersistentLoginRecord | null> {
    return this.read(() => this.profiles.getPersistentLogin(id, now));
  }
  async refreshPersistentLogin(
    id: Buffer,
    token: Buffer,
    now: number,
    expiresAt: number,
  ): Promise<PersistentLoginRecord | null> {
    return this.write(() => this.profiles.refreshPersistentLogin(id, token, now, expiresAt));
  }
  async deletePersistentLogin(id: Buffer): Promise<boolean> {
    return this.write(() => this.profiles.deletePersistentLogin(id));
  }
  async deletePersistentLoginsOfProfile(profileId: string): Promise<number> {
    return this.write(() => this.profiles.deletePersistentLoginsOfProfile(profileId));
  }
  async purgePersistentLogins(now: number, limit: number): Promise<number> {
    return this.write(() => this.profiles.purgePersistentLogins(now, limit));
  }

  async createAccessToken(token: AccessTokenRecord): Promise<'created' | 'exists'> {
    return this.write(() => this.profiles.createAccessToken(token));
  }
  async getAccessToken(id: Buffer): Promise<AccessTokenRecord | null> {
    return this.read(() => this.profiles.getAccessToken(id));
  }
  async listAccessTokens(): Promise<AccessTokenRecord[]> {
    return this.read(() => this.profiles.listAccessTokens());
  }
  async deleteAccessToken(id: Buffer): Promise<boolean> {
    return this.write(() => this.profiles.deleteAccessToken(id));
  }

  async getMeta(key: string): Promise<string | null> {
    return this.read(() => this.profiles.getMeta(key));
  }
  async putMetaIfAbsent(key: string, value: string): Promise<string> {
    return this.write(() => this.profiles.putMetaIfAbsent(key, value));
  }

  // ---- Oz surface (oz.ts) ----------------------------------------------------

  /** Prepared on first use, once migration 3 created the tables. */
  private ozSteps: SqliteOz | undefined;
  private get oz(): SqliteOz {
    this.ozSteps ??= new SqliteOz(this.db);
    return this.ozSteps;
  }

  async createApp(app: OzAppRecord): Promise<'created' | 'exists'> {
    return this.write(() => this.oz.createApp(app));
  }
  async getApp(id: string): Promise<OzAppRecord | null> {
    return this.read(() => this.oz.getApp(id));
  }
  async listApps(tenant: string | null): Promise<OzAppRecord[]> {
    return this.read(() => this.oz.listApps(tenant));
  }
  async setAppKey(id: string, key: string): Promise<OzAppRecord | null> {
    return this.write(() => this.oz.setAppKey(id, key));
  }
  async deleteApp(id: string): Promise<boolean> {
    return this.write(() => this.oz.deleteApp(id));
  }

  async createGrant(grant: OzGrantRecord): Promise<void> {
    await this.write(() => this.oz.createGrant(grant));
  }
  async getGrant(id: string, now: number): Promise<OzGrantRecord | null> {
    return this.read(() => this.oz.getGrant(id, now));
  }
  async listGrants(filter: { app?: string; user?: string }, now: number, limit: number): Promise<OzGrantRecord[]> {
    return this.read(() => this.oz.listGrants(filter, now, limit));
  }
  async deleteGrant(id: string): Promise<boolean> {
    return this.write(() => this.oz.deleteGrant(id));
  }
  async deleteGrantsOfUser(user: string): Promise<number> {
    return this.write(() => this.oz.deleteGrantsOfUser(user));
  }
  async purgeGrants(now: number, limit: number): Promise<number> {
    return this.write(() => this.oz.purgeGrants(now, limit));
  }

  async useNonce(credentialId: string, nonce: string, now: number, expiresAt: number): Promise<boolean> {
    return this.write(() => this.oz.useNonce(credentialId, nonce, now, expiresAt));
  }
  async purgeNonces(now: number, limit: number): Promise<number> {
    return this.write(() => this.oz.purgeNonces(now, limit));
  }

  /**
   * Switches the file to WAL (a setting kept in the file). On a new file,
   * several processes starting together race for it and SQLite answers
   * SQLITE_BUSY at once, without waiting out busy_timeout (it would risk a
   * deadlock), so retry for as long as busy_timeout would have waited.
   */
  private enableWal(): void {
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        this.db.pragma('journal_mode = WAL');
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5 + Math.random() * 20);
      }
    }
  }

  /**
   * Runs a synchronous step, turning "cannot reach the file" into
   * StoreUnavailableError. Writes still queued for a group commit run
   * first, so that every call sees the writes made before it.
   */
  private run<T>(step: () => T): T {
    if (this.pending.length > 0) this.commitPending();
    try {
      return step();
    } catch (err) {
      throw this.unavailable(err) ?? err;
    }
  }

  private unavailable(err: unknown): StoreUnavailableError | undefined {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_IOERR' || !this.db.open) {
      return new StoreUnavailableError(`sqlite: ${code || 'database closed'}`, { cause: err });
    }
    return undefined;
  }
}

function toTenant(row: TenantRow): TenantRecord {
  return { name: row.name, settings: JSON.parse(row.settings) as TenantSettings, createdAt: row.created_at };
}
