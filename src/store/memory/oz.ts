import type { OzAppRecord, OzGrantRecord } from '../oz-types.js';
import { ExpiryHeap } from './expiry-heap.js';

/**
 * The Oz side of the memory store (oz-types.ts): apps, grants with their
 * indexes by app and by user and an expiry heap, and Hawk nonces with theirs.
 * Like the rest of the memory store, every method runs to completion
 * synchronously, so each one is atomic by construction (of concurrent
 * useNonce calls with one pair, the first to run is the one that sees no
 * record). Records go in and come out as copies.
 */
export class MemoryOz {
  private readonly apps = new Map<string, OzAppRecord>();
  private readonly grants = new Map<string, OzGrantRecord>();
  private readonly grantsByApp = new Map<string, Set<string>>();
  private readonly grantsByUser = new Map<string, Set<string>>();
  /** Grant ids by exp. A grant's exp never changes; entries of removed grants are skipped. */
  private readonly grantExpiry = new ExpiryHeap();
  /** Nonce records by pair key (pairKey), with the expiry of the use that was accepted. */
  private readonly nonces = new Map<string, number>();
  /** Pair keys by expiry; one entry per accepted use, stale ones skipped by the purge. */
  private readonly nonceExpiry = new ExpiryHeap();

  // ---- apps -----------------------------------------------------------------

  createApp(app: OzAppRecord): 'created' | 'exists' {
    if (this.apps.has(app.id)) return 'exists';
    this.apps.set(app.id, copyApp(app));
    return 'created';
  }

  getApp(id: string): OzAppRecord | null {
    const app = this.apps.get(id);
    return app ? copyApp(app) : null;
  }

  listApps(tenant: string | null): OzAppRecord[] {
    return [...this.apps.values()]
      .filter((a) => tenant === null || a.tenant === tenant)
      .sort((x, y) => byUtf8(x.id, y.id))
      .map(copyApp);
  }

  setAppKey(id: string, key: string): OzAppRecord | null {
    const app = this.apps.get(id);
    if (!app) return null;
    app.key = key;
    return copyApp(app);
  }

  deleteApp(id: string): boolean {
    // Grants go even when the app is gone already: nothing may outlive it.
    for (const grantId of [...(this.grantsByApp.get(id) ?? [])]) this.removeGrant(grantId);
    return this.apps.delete(id);
  }

  /** Removes the tenant's apps with their grants (part of the store's deleteTenant). */
  deleteTenant(tenant: string): void {
    for (const app of [...this.apps.values()]) if (app.tenant === tenant) this.deleteApp(app.id);
  }

  // ---- grants ---------------------------------------------------------------

  createGrant(grant: OzGrantRecord): void {
    if (this.grants.has(grant.id)) throw new Error('a grant with this id already exists');
    this.grants.set(grant.id, copyGrant(grant));
    addTo(this.grantsByApp, grant.app, grant.id);
    addTo(this.grantsByUser, grant.user, grant.id);
    this.grantExpiry.push(grant.exp, grant.id);
  }

  getGrant(id: string, now: number): OzGrantRecord | null {
    const grant = this.grants.get(id);
    return grant && grant.exp > now ? copyGrant(grant) : null;
  }

  listGrants(filter: { app?: string; user?: string }, now: number, limit: number): OzGrantRecord[] {
    // Walk the smaller of the indexes that apply, then check the other field on each record.
    const byApp = filter.app === undefined ? undefined : (this.grantsByApp.get(filter.app) ?? new Set<string>());
    const byUser = filter.user === undefined ? undefined : (this.grantsByUser.get(filter.user) ?? new Set<string>());
    let candidates: Iterable<string>;
    if (byApp && byUser) candidates = byApp.size <= byUser.size ? byApp : byUser;
    else candidates = byApp ?? byUser ?? this.grants.keys();
    const out: OzGrantRecord[] = [];
    for (const id of candidates) {
      const g = this.grants.get(id);
      if (!g || g.exp <= now) continue;
      if (filter.app !== undefined && g.app !== filter.app) continue;
      if (filter.user !== undefined && g.user !== filter.user) continue;
      out.push(g);
    }
    return out
      .sort((x, y) => y.createdOn - x.createdOn || byUtf8(y.id, x.id))
      .slice(0, Math.max(0, limit))
      .map(copyGrant);
  }

  deleteGrant(id: string): boolean {
    return this.removeGrant(id);
  }

  deleteGrantsOfUser(user: string): number {
    let n = 0;
    for (const id of [...(this.grantsByUser.get(user) ?? [])]) if (this.removeGrant(id)) n += 1;
    return n;
  }

  purgeGrants(now: number, limit: number): number {
    let removed = 0;
    while (removed < limit) {
      const id = this.grantExpiry.popDue(now);
      if (id === undefined) break;
      // The heap may name a grant that was revoked meanwhile (or a later grant of the same id).
      const g = this.grants.get(id);
      if (g && g.exp <= now && this.removeGrant(id)) removed += 1;
    }
    return removed;
  }

  // ---- Hawk nonces ------------------------------------------------------------

  useNonce(credentialId: string, nonce: string, now: number, expiresAt: number): boolean {
    const key = pairKey(credentialId, nonce);
    const current = this.nonces.get(key);
    if (current !== undefined && current > now) return false;
    this.nonces.set(key, expiresAt);
    this.nonceExpiry.push(expiresAt, key);
    return true;
  }

  purgeNonces(now: number, limit: number): number {
    let removed = 0;
    while (removed < limit) {
      const due = this.nonceExpiry.popDueEntry(now);
      if (!due) break;
      const current = this.nonces.get(due.key);
      // Only the entry of the record's current expiry removes it: a pair reused after it
      // expired has a later entry, and one purged already has none.
      if (current === due.expiresAt) {
        this.nonces.delete(due.key);
        removed += 1;
      }
    }
    return removed;
  }

  private removeGrant(id: string): boolean {
    const g = this.grants.get(id);
    if (!g) return false;
    this.grants.delete(id);
    removeFrom(this.grantsByApp, g.app, id);
    removeFrom(this.grantsByUser, g.user, id);
    return true;
  }
}

/** An unambiguous key for a (credential id, nonce) pair: no two pairs share one. */
function pairKey(credentialId: string, nonce: string): string {
  return `${credentialId.length}:${credentialId}${nonce}`;
}

function addTo(index: Map<string, Set<string>>, at: string, id: string): void {
  const set = index.get(at);
  if (set) set.add(id);
  else index.set(at, new Set([id]));
}

function removeFrom(index: Map<string, Set<string>>, at: string, id: string): void {
  const set = index.get(at);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) index.delete(at);
}

/** Byte order of the UTF-8 encodings: SQLite's BINARY collation, PostgreSQL's "C". */
function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function copyApp(a: OzAppRecord): OzAppRecord {
  return {
    id: a.id,
    tenant: a.tenant,
    key: a.key,
    algorithm: a.algorithm,
    scope: [...a.scope],
    delegate: a.delegate,
    extAttributes: [...a.extAttributes],
    createdOn: a.createdOn,
  };
}

function copyGrant(g: OzGrantRecord): OzGrantRecord {
  return {
    id: g.id,
    tenant: g.tenant,
    app: g.app,
    user: g.user,
    scope: [...g.scope],
    exp: g.exp,
    session: g.session === null ? null : Buffer.from(g.session),
    createdOn: g.createdOn,
  };
}
