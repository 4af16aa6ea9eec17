import { createHash, randomUUID } from 'node:crypto';
import type { AccessTokenRecord, Store, TenantPermission } from '../store/types.js';
import type { Clock } from './clock.js';
import { domainError } from './domain-error.js';
import type { Keyring } from './keyring.js';

/**
 * Access tokens (docs/profile.md): the credential of a calling application. The
 * id is a random UUID given to the application once; the store keeps only
 * an HMAC of it under the keyring's index key (src/core/keyring.ts), so that
 * a copy of the store cannot be searched for guessable ids offline. Each
 * token carries tenant permissions; `master` tokens also manage access tokens.
 */

export const TENANT_ACTIONS = [
  'CREATE_TENANT',
  'READ_TENANT',
  'UPDATE_TENANT',
  'DELETE_TENANT',
  'MANAGE_PROFILES',
  'MANAGE_TICKETS',
] as const;
export type TenantAction = (typeof TENANT_ACTIONS)[number];

/** How long a token read is reused per instance: a deleted or changed token stops working within this time. */
export const ACCESS_TOKEN_CACHE_MS = 1000;
/** Longest token id looked up; longer ones are unknown without asking the store. */
export const MAX_TOKEN_ID_LENGTH = 200;
/** Meta key under which the master token of the first start (or of the last rotation) is recorded: its stored id, hex. */
export const MASTER_TOKEN_META_KEY = 'profile.master_token';

/** How an earlier ticketd stored token ids: bare SHA-256. Such records move to the keyed digest when next used. */
const legacyDigest = (id: string): Buffer => createHash('sha256').update(id, 'utf8').digest();

/**
 * Whether an id chosen by a caller (a configured master token, a token made
 * with a given id) is too easy to guess to be a credential: shorter than 16
 * characters, or fewer than 8 different characters (a UUID of zeros).
 */
export function weakTokenId(id: string): boolean {
  return id.length < 16 || new Set(id).size < 8;
}

/** The first permission whose tenant matches (`*` matches any) decides; `*` as an action allows any action. */
export function permits(permissions: readonly TenantPermission[], tenant: string, action: string): boolean {
  for (const p of permissions) {
    if (p.tenant === '*' || p.tenant === tenant)
      return p.allowedActions.includes('*') || p.allowedActions.includes(action);
  }
  return false;
}

/** Who performs a domain operation: an application with its access token, or ticketd itself (CLI, bootstrap). */
export interface Actor {
  readonly master: boolean;
  can(tenant: string, action: TenantAction): boolean;
}

/** Trusted callers (the CLI working directly on the store): every action on every tenant. */
export const SYSTEM_ACTOR: Actor = { master: true, can: () => true };

export function tokenActor(token: AccessTokenRecord): Actor {
  return { master: token.master, can: (tenant, action) => permits(token.tenantPermissions, tenant, action) };
}

export function requireAction(actor: Actor, tenant: string, action: TenantAction): void {
  if (!actor.can(tenant, action)) {
    throw domainError(
      'ACTION_DENIED',
      `Current subject does not have permission to execute action "${action}" on tenant "${tenant}"`,
    );
  }
}

export function requireMaster(actor: Actor): void {
  if (!actor.master) throw domainError('ACTION_DENIED', 'Only a master access token can manage access tokens');
}

/** An access token as answered to clients. `id` is known only when the caller gave it (create, get). */
export interface AccessTokenView {
  id: string | null;
  application: string;
  master: boolean;
  tenantPermissions: TenantPermission[];
  /** Epoch ms; null when it never expires. */
  expiresOn: number | null;
  /** The first 8 characters of the id, to tell tokens apart in listings. */
  idPrefix: string;
}

export interface NewAccessToken {
  /** Chosen by the caller (a UUID), or generated when absent. */
  id?: string | undefined;
  application: string;
  master: boolean;
  tenantPermissions: TenantPermission[];
  expiresOn: number | null;
}

export interface MasterTokenBootstrap {
  /** The token generated on this first start, to be printed once; null when none was generated here. */
  generated: string | null;
  /** A configured master token was given but the store already had another one. */
  configuredIgnored: boolean;
}

/** Formats a date as Crafter's expiry message does (MM/dd/yyyy, UTC). */
function crafterDate(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()}`;
}

export class AccessTokens {
  private readonly cache = new Map<string, { record: AccessTokenRecord | null; until: number }>();

  constructor(
    private readonly store: Pick<Store, 'accessTokens' | 'meta'>,
    private readonly clock: Clock,
    private readonly keyring: Keyring,
  ) {}

  /** The id a token is stored under. */
  digest(id: string): Buffer {
    return this.keyring.digest('access token', id);
  }

  /** The record under the token's digest; one an earlier ticketd stored under its bare SHA-256 is moved over first. */
  private async find(id: string): Promise<AccessTokenRecord | null> {
    const digest = this.digest(id);
    const record = await this.store.accessTokens.get(digest);
    if (record) return record;
    const legacy = await this.store.accessTokens.get(legacyDigest(id));
    if (!legacy) return null;
    await this.store.accessTokens.create({ ...legacy, id: digest });
    await this.store.accessTokens.delete(legacy.id);
    const meta = await this.store.meta.get(MASTER_TOKEN_META_KEY);
    if (meta === legacy.id.toString('hex')) await this.store.meta.put(MASTER_TOKEN_META_KEY, digest.toString('hex'));
    return { ...legacy, id: digest };
  }

  /**
   * The live token with this id, as every /api/1 call checks it: a missing
   * id is ACCESS_DENIED, an unknown one NO_SUCH_ACCESS_TOKEN_ID, an expired
   * one ACCESS_DENIED naming the application and the expiry date.
   */
  async authenticate(id: string | undefined): Promise<AccessTokenRecord> {
    if (id === undefined || id === '') throw domainError('ACCESS_DENIED', 'Access token ID param missing from request');
    const record = await this.lookup(id);
    if (!record) throw domainError('NO_SUCH_ACCESS_TOKEN_ID', `No access token found for ID "${id}"`);
    if (record.expiresOn !== null && record.expiresOn <= this.clock.now()) {
      throw domainError(
        'ACCESS_DENIED',
        `Access token "${id}" for application "${record.application}" expired on ${crafterDate(record.expiresOn)}`,
      );
    }
    return record;
  }

  /** The actor of a live token, or null when the id is missing, unknown or expired (bearer checks). */
  async actorFor(id: string | undefined): Promise<Actor | null> {
    const record = await this.live(id);
    return record && tokenActor(record);
  }

  /** The record of a live token, or null when the id is missing, unknown or expired. */
  async live(id: string | undefined): Promise<AccessTokenRecord | null> {
    if (id === undefined || id === '') return null;
    const record = await this.lookup(id);
    if (!record || (record.expiresOn !== null && record.expiresOn <= this.clock.now())) return null;
    return record;
  }

  /** The token record (expired or not), through the one-second cache; null when unknown. */
  async lookup(id: string): Promise<AccessTokenRecord | null> {
    if (id.length > MAX_TOKEN_ID_LENGTH) return null;
    const now = this.clock.now();
    const hit = this.cache.get(id);
    if (hit && hit.until > now) return hit.record;
    const record = await this.find(id);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { record, until: now + ACCESS_TOKEN_CACHE_MS });
    return record;
  }

  async create(actor: Actor, input: NewAccessToken): Promise<AccessTokenView> {
    requireMaster(actor);
    if (input.id !== undefined && weakTokenId(input.id)) {
      throw domainError(
        'INVALID_PARAM',
        'An access token id chosen by the caller must be at least 16 characters, of at least 8 different ones',
      );
    }
    const id = input.id ?? randomUUID();
    if (await this.find(id)) throw domainError('ACCESS_TOKEN_EXISTS', `Access token "${id}" already exists`);
    const record: AccessTokenRecord = {
      id: this.digest(id),
      idPrefix: id.slice(0, 8),
      application: input.application,
      master: input.master,
      tenantPermissions: input.tenantPermissions.map((p) => ({
        tenant: p.tenant,
        allowedActions: [...p.allowedActions],
      })),
      expiresOn: input.expiresOn,
      createdOn: this.clock.now(),
    };
    if ((await this.store.accessTokens.create(record)) === 'exists') {
      throw domainError('ACCESS_TOKEN_EXISTS', `Access token "${id}" already exists`);
    }
    this.cache.delete(id);
    return view(record, id);
  }

  async get(actor: Actor, id: string): Promise<AccessTokenView> {
    requireMaster(actor);
    const record = id.length > MAX_TOKEN_ID_LENGTH ? null : await this.find(id);
    if (!record) throw domainError('NO_SUCH_ACCESS_TOKEN_ID', `No access token found for ID "${id}"`);
    return view(record, id);
  }

  async list(actor: Actor): Promise<AccessTokenView[]> {
    requireMaster(actor);
    return (await this.store.accessTokens.list()).map((r) => view(r, null));
  }

  async delete(actor: Actor, id: string): Promise<AccessTokenView> {
    const found = await this.get(actor, id);
    if (!(await this.store.accessTokens.delete(this.digest(id)))) {
      throw domainError('NO_SUCH_ACCESS_TOKEN_ID', `No access token found for ID "${id}"`);
    }
    this.cache.delete(id);
    return found;
  }

  /**
   * First start: creates the master token, from `configured` when given,
   * otherwise a generated one that the caller prints once. Several
   * instances starting together on one store agree through the meta key:
   * exactly one token becomes the master token; an instance whose candidate
   * lost removes it again. Later starts do nothing.
   */
  async ensureMasterToken(configured: string | undefined): Promise<MasterTokenBootstrap> {
    if (configured !== undefined && weakTokenId(configured)) {
      throw domainError('INVALID_PARAM', 'master_token is too easy to guess: use at least 8 different characters');
    }
    const existing = await this.store.meta.get(MASTER_TOKEN_META_KEY);
    if (existing !== null) {
      const ignored =
        configured !== undefined &&
        this.digest(configured).toString('hex') !== existing &&
        legacyDigest(configured).toString('hex') !== existing;
      return { generated: null, configuredIgnored: ignored };
    }
    const id = configured ?? randomUUID();
    const hash = this.digest(id);
    const created = await this.createMasterToken(id, hash);
    const winner = await this.store.meta.putIfAbsent(MASTER_TOKEN_META_KEY, hash.toString('hex'));
    if (winner !== hash.toString('hex')) {
      // Another instance's candidate won: take ours back (only if we created it).
      if (created === 'created') await this.store.accessTokens.delete(hash);
      return { generated: null, configuredIgnored: configured !== undefined };
    }
    return { generated: configured === undefined ? id : null, configuredIgnored: false };
  }

  /** Stores a master token: every right on every tenant, no expiry. */
  private createMasterToken(id: string, hash: Buffer) {
    return this.store.accessTokens.create({
      id: hash,
      idPrefix: id.slice(0, 8),
      application: 'ticketd-master',
      master: true,
      tenantPermissions: [{ tenant: '*', allowedActions: ['*'] }],
      expiresOn: null,
      createdOn: this.clock.now(),
    });
  }

  /**
   * A new master token in place of the one of the first start (or of the
   * last rotation), which is deleted; other master tokens stay. Answers the
   * new id, to be shown once.
   */
  async rotateMasterToken(): Promise<string> {
    const id = randomUUID();
    const hash = this.digest(id);
    await this.createMasterToken(id, hash);
    const previous = await this.store.meta.get(MASTER_TOKEN_META_KEY);
    await this.store.meta.put(MASTER_TOKEN_META_KEY, hash.toString('hex'));
    if (previous !== null) await this.store.accessTokens.delete(Buffer.from(previous, 'hex'));
    this.cache.clear();
    return id;
  }
}

function view(r: AccessTokenRecord, id: string | null): AccessTokenView {
  return {
    id,
    application: r.application,
    master: r.master,
    tenantPermissions: r.tenantPermissions.map((p) => ({ tenant: p.tenant, allowedActions: [...p.allowedActions] })),
    expiresOn: r.expiresOn,
    idPrefix: r.idPrefix,
  };
}
