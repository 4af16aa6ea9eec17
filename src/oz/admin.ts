import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { domainError } from '../core/domain-error.js';
import type { Keyring } from '../core/keyring.js';
import { DEFAULT_TENANT } from '../core/tenant-settings.js';
import type { OzAppRecord, OzGrantRecord, Store } from '../store/types.js';
import type { Subscriptions } from '../webhooks/subscriptions.js';
import { sealAppKey } from './app-keys.js';

/** Generated keys: 32 random bytes, 43 base64url characters. */
const KEY_BYTES = 32;

export interface NewApp {
  id: string;
  tenant?: string | undefined;
  scope?: string[] | undefined;
  delegate?: boolean | undefined;
  extAttributes?: string[] | undefined;
  /** A key of the caller's own; generated when absent. */
  key?: string | undefined;
}

/**
 * Administration of the Oz surface (docs/oz.md), for the admin API and the CLI:
 * apps are provisioned here (create answers the Hawk key once, rotation a new
 * one) and grants, made by `POST /v1/ticket` and `POST /v1/rsvp`, are listed
 * and revoked. Not-found answers are null and clashes `exists`, for the
 * caller to word; a missing tenant is NO_SUCH_TENANT. Keys are stored sealed
 * under the keyring (app-keys.ts): only create and rotation answer them.
 */
export class OzAdmin {
  constructor(
    private readonly store: Pick<Store, 'tenants' | 'apps' | 'grants'>,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    /** Which changes raise webhook events (docs/events.md); none without it. */
    private readonly subscriptions?: Subscriptions,
  ) {}

  listApps(tenant: string | null): Promise<OzAppRecord[]> {
    return this.store.apps.list(tenant);
  }

  getApp(id: string): Promise<OzAppRecord | null> {
    return this.store.apps.get(id);
  }

  /** The new app with its key (shown to the caller this once), or `exists` when the id is taken. */
  async createApp(input: NewApp): Promise<OzAppRecord | 'exists'> {
    const tenant = input.tenant ?? DEFAULT_TENANT;
    if (!(await this.store.tenants.get(tenant))) {
      throw domainError('NO_SUCH_TENANT', `No tenant with name "${tenant}" found`);
    }
    const key = input.key ?? newKey();
    const app: OzAppRecord = {
      id: input.id,
      tenant,
      key: sealAppKey(this.keyring, input.id, key),
      algorithm: 'sha256',
      scope: input.scope ?? [],
      delegate: input.delegate ?? false,
      extAttributes: input.extAttributes ?? [],
      createdOn: this.clock.now(),
    };
    return (await this.store.apps.create(app)) === 'exists' ? 'exists' : { ...app, key };
  }

  /** A new Hawk key (given or generated), answered in clear; null when there is no such app. Its app tickets end. */
  async rotateKey(id: string, key = newKey()): Promise<OzAppRecord | null> {
    const before = await this.store.apps.get(id);
    if (!before) return null;
    const event = this.subscriptions?.event(
      'app.key_rotated',
      before.tenant,
      () => ({ tenant: before.tenant, appId: id }),
      this.clock.now(),
    );
    const app = await this.store.apps.setKey(id, sealAppKey(this.keyring, id, key), event);
    return app && { ...app, key };
  }

  /** Deletes the app with its grants; the app as it was, or null when there was none. */
  async deleteApp(id: string): Promise<OzAppRecord | null> {
    const app = await this.store.apps.get(id);
    return app && (await this.store.apps.delete(id)) ? app : null;
  }

  listGrants(filter: { app?: string; user?: string }, limit: number): Promise<OzGrantRecord[]> {
    return this.store.grants.list(filter, this.clock.now(), limit);
  }

  getGrant(id: string): Promise<OzGrantRecord | null> {
    return this.store.grants.get(id, this.clock.now());
  }

  /** Revokes a live grant; the grant as it was, or null when there was none. */
  async revokeGrant(id: string): Promise<OzGrantRecord | null> {
    const now = this.clock.now();
    const grant = await this.store.grants.get(id, now);
    if (!grant) return null;
    const event = this.subscriptions?.event(
      'grant.revoked',
      grant.tenant,
      () => ({ tenant: grant.tenant, grantId: grant.id, appId: grant.app, profileId: grant.user }),
      now,
    );
    return (await this.store.grants.delete(id, event)) ? grant : null;
  }
}

const newKey = () => randomBytes(KEY_BYTES).toString('base64url');
