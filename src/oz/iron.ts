import { randomBytes } from 'node:crypto';
import * as Iron from '@hapi/iron';
import { ConfigError } from '../config/load.js';
import type { ProfileStore } from '../store/profile-types.js';

/**
 * The Iron password that seals Oz tickets and rsvps, with rotation:
 * tickets are sealed under the current password id (Iron writes the id into
 * the seal, `Fe26.2*<id>*...`), and unsealed with whichever configured
 * password the seal names, so tickets sealed before a rotation keep
 * unsealing while their id stays configured.
 */

/** Iron's own minimum. */
export const MIN_PASSWORD_LENGTH = 32;
/** Where a generated password is kept, shared by every instance on the store. */
export const GENERATED_META_KEY = 'oz.iron_password';
/** The id seals made under the generated password carry. */
export const GENERATED_ID = 'generated';
/** The id of a single configured password (Iron unseals id-less seals with it too). */
export const SINGLE_ID = 'default';

const PASSWORD_ID = /^\w{1,64}$/;

export interface IronSettings {
  /** `{id: secret}`; ids are letters, digits and `_` (Iron's rule). */
  iron_passwords?: Record<string, string> | undefined;
  /** The id new seals use; may be omitted when the map holds one password. */
  iron_password_id?: string | undefined;
  /** One password (`TICKETD_OZ_IRON_PASSWORD`), the same as `{"default": secret}`. */
  iron_password?: string | undefined;
}

export class IronKeys {
  private readonly options = Iron.defaults;

  constructor(
    private readonly current: { id: string; secret: string },
    private readonly all: Readonly<Record<string, string>>,
  ) {
    if (all[current.id] !== current.secret) throw new Error('the current Iron password must be one of the passwords');
  }

  /** The id new seals carry. */
  get currentId(): string {
    return this.current.id;
  }

  seal(value: object): Promise<string> {
    return Iron.seal(value, this.current, this.options);
  }

  /**
   * Opens a seal made under any of the passwords. Rejects (with Iron's own
   * error) when the seal is malformed, tampered with, or names no password
   * configured here; callers turn that into their answer.
   */
  unseal(sealed: string): Promise<unknown> {
    return Iron.unseal(sealed, this.all as Iron.password.Hash, this.options);
  }

  /**
   * The keys configured in `settings`, or — when none is — the password
   * generated at the first start and kept in the store (the first instance
   * to store one wins; every other instance reads it). A generated password
   * still in the store keeps unsealing after passwords are configured,
   * unless one of them takes its id.
   */
  static async load(
    settings: IronSettings,
    meta: Pick<ProfileStore, 'getMeta' | 'putMetaIfAbsent'>,
  ): Promise<IronKeys> {
    const configured = configuredPasswords(settings);
    if (!configured) {
      const secret = await meta.putMetaIfAbsent(GENERATED_META_KEY, randomBytes(32).toString('base64url'));
      return new IronKeys({ id: GENERATED_ID, secret }, { [GENERATED_ID]: secret });
    }
    const all: Record<string, string> = { ...configured.all };
    if (!Object.hasOwn(all, GENERATED_ID)) {
      const generated = await meta.getMeta(GENERATED_META_KEY);
      if (generated) all[GENERATED_ID] = generated;
    }
    return new IronKeys(configured.current, all);
  }
}

/** The configured passwords and the current one; null when none is configured. Bad combinations are ConfigErrors. */
export function configuredPasswords(
  settings: IronSettings,
): { current: { id: string; secret: string }; all: Record<string, string> } | null {
  const map = settings.iron_passwords;
  const single = settings.iron_password;
  if (single !== undefined && map !== undefined) {
    throw new ConfigError(
      'invalid setting "oz.iron_password": set either oz.iron_password (TICKETD_OZ_IRON_PASSWORD) or oz.iron_passwords, not both',
    );
  }
  if (single !== undefined) {
    if (settings.iron_password_id !== undefined && settings.iron_password_id !== SINGLE_ID) {
      throw new ConfigError(
        'invalid setting "oz.iron_password_id": it names a password of oz.iron_passwords; a single oz.iron_password has none',
      );
    }
    checkSecret('oz.iron_password', single);
    return { current: { id: SINGLE_ID, secret: single }, all: { [SINGLE_ID]: single } };
  }
  if (map === undefined) {
    if (settings.iron_password_id !== undefined) {
      throw new ConfigError('invalid setting "oz.iron_password_id": oz.iron_passwords is not set');
    }
    return null;
  }
  const ids = Object.keys(map);
  if (ids.length === 0) throw new ConfigError('invalid setting "oz.iron_passwords": it holds no password');
  for (const id of ids) {
    if (!PASSWORD_ID.test(id)) {
      throw new ConfigError(`invalid setting "oz.iron_passwords": id "${id}" must be 1-64 of A-Z a-z 0-9 _`);
    }
    checkSecret(`oz.iron_passwords.${id}`, map[id]);
  }
  const currentId = settings.iron_password_id ?? (ids.length === 1 ? ids[0] : undefined);
  if (currentId === undefined) {
    throw new ConfigError(
      'invalid setting "oz.iron_password_id": oz.iron_passwords holds several passwords; name the one that seals new tickets',
    );
  }
  const secret = Object.hasOwn(map, currentId) ? map[currentId] : undefined;
  if (secret === undefined) {
    throw new ConfigError(`invalid setting "oz.iron_password_id": "${currentId}" is not an id of oz.iron_passwords`);
  }
  return { current: { id: currentId, secret }, all: { ...map } };
}

function checkSecret(setting: string, secret: unknown): void {
  // The value is never echoed.
  if (typeof secret !== 'string' || secret.length < MIN_PASSWORD_LENGTH) {
    throw new ConfigError(
      `invalid setting "${setting}": must be at least ${MIN_PASSWORD_LENGTH} characters; got (hidden)`,
    );
  }
}
