/** One administrative action (docs/admin.md, "Audit log"): who did what to what, from where, and how it ended. */
export interface AuditRecord {
  /** Sorts as the records were written: the time in ms (13 digits), `-`, a per-process sequence, random. */
  id: string;
  at: number;
  /** `cli`, or `token:` and the first 8 characters of the access token's id. */
  actor: string;
  /** The client's address (HTTP); null on the CLI. */
  address: string | null;
  /** `<resource>.<verb>` of the admin operation, e.g. `tenant.create`. */
  action: string;
  /** The tenant it concerned, when it names one. */
  tenant: string | null;
  /** What it acted on: an id or a name; never a secret. */
  target: string | null;
  /** `ok`, or the error code it ended with. */
  outcome: string;
}

export interface AuditFilter {
  tenant?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  /** Epoch ms, inclusive. */
  since?: number | undefined;
  /** Epoch ms, exclusive. */
  until?: number | undefined;
  /** Only records older than this id (the next page). */
  before?: string | undefined;
}

/** The audit log: appended, read newest first, purged by age. */
export interface AuditStore {
  append(record: AuditRecord): Promise<void>;
  /** Records matching the filter, newest first (by id), at most `limit`. */
  list(filter: AuditFilter, limit: number): Promise<AuditRecord[]>;
  /** Removes up to `limit` records written before `before` (epoch ms); how many. */
  purge(before: number, limit: number): Promise<number>;
}
