export interface TenantPermission {
  /** A tenant name or `*`. */
  tenant: string;
  /** Action names (CREATE_TENANT, ..., MANAGE_TICKETS) or `*`. */
  allowedActions: string[];
}

export interface AccessTokenRecord {
  /** SHA-256 of the token id (a UUID v4). */
  id: Buffer;
  /** The first 8 characters of the id, to tell tokens apart in listings. */
  idPrefix: string;
  application: string;
  master: boolean;
  tenantPermissions: TenantPermission[];
  /** Epoch ms; null when it never expires. Expired tokens are still returned (the check reports them). */
  expiresOn: number | null;
  createdOn: number;
}

/** Access tokens (docs/profile.md), stored under a digest of their id. */
export interface AccessTokenStore {
  /** Inserts the token; `exists` when one with this id already exists. */
  create(token: AccessTokenRecord): Promise<'created' | 'exists'>;
  get(id: Buffer): Promise<AccessTokenRecord | null>;
  /** Oldest first (createdOn, then id). */
  list(): Promise<AccessTokenRecord[]>;
  delete(id: Buffer): Promise<boolean>;
}
