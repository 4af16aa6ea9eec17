import { ConfigError } from '../config/load.js';
import { type Keyring, SealUnreadableError } from '../core/keyring.js';
import type { MetaStore } from '../store/types.js';
import { seal, unseal } from './iron-seal.js';

/**
 * The Iron passwords that seal Oz tickets and rsvps, with rotation. Unless
 * passwords are configured, they are derived from the keyring
 * (src/core/keyring.ts): seals carry the current key's id
 * (`Fe26.2*<id>*...`), every key the keyring still holds unseals what it
 * sealed, and `ticketd keys retire` ends them. A single configured password
 * seals without an id, as Oz does with a plain password (`Fe26.2**`); a map
 * of configured passwords seals under its current id. The password an
 * earlier ticketd generated and kept in the store in clear is sealed under
 * the keyring at the first start of this one, and unseals id-less seals
 * until it is retired (`ticketd keys retire iron-legacy`).
 */

/** Iron's own minimum (iron-seal.ts). */
export const MIN_PASSWORD_LENGTH = 32;
/** Where an earlier ticketd kept the password it generated, in clear. */
export const GENERATED_META_KEY = 'oz.iron_password';
/** Where that password is kept now, sealed under the keyring, until it is retired. */
export const LEGACY_SEALED_META_KEY = 'oz.iron_password.sealed';
/** The name `ticketd keys retire` knows it by. */
export const LEGACY_ID = 'iron-legacy';
const LEGACY_PURPOSE = 'oz iron password';
/** The id of a single configured password; id-less seals also unseal with a map's `default`. */
export const SINGLE_ID = 'default';

const PASSWORD_ID = /^\w{1,64}$/;

export interface IronSettings {
  /** `{id: secret}`; ids are letters, digits and `_` (Iron's rule). */
  iron_passwords?: Record<string, string> | undefined;
  /** The id new seals use; may be omitted when the map holds one password. */
  iron_password_id?: string | undefined;
  /** One password (`TICKETD_OZ_IRON_PASSWORD`). */
  iron_password?: string | undefined;
}

/** Seals opened lately, kept by IronKeys: a client signs request after request with the same ticket. */
const OPENED_CACHE_SIZE = 4096;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export class IronKeys {
  /**
   * Sealed text → what it opened to (frozen), most recent last. A seal is
   * authenticated: the same text always opens to the same value under the
   * same passwords, which never change while this instance lives; a text
   * that differs in one character is another key and is verified anew.
   */
  private readonly opened = new Map<string, unknown>();
  /**
   * @param currentId the name of the password new seals use
   * @param sealWith that password: a bare secret (id-less seals) or `{id, secret}`
   * @param byId passwords of seals that name an id
   * @param idless passwords tried, in order, on seals that name none
   */
  constructor(
    readonly currentId: string,
    private readonly sealWith: string | { id: string; secret: string },
    private readonly byId: Readonly<Record<string, string>>,
    private readonly idless: readonly string[],
  ) {}

  async seal(value: object): Promise<string> {
    return seal(value, this.sealWith);
  }

  /**
   * Opens a seal made under any of the passwords; the value is frozen.
   * Rejects (with Iron's own error) when the seal is malformed, tampered
   * with, or made under no password known here; callers turn that into their answer.
   */
  async unseal(sealed: string): Promise<unknown> {
    const cached = this.opened.get(sealed);
    if (cached !== undefined) {
      this.opened.delete(sealed);
      this.opened.set(sealed, cached);
      return cached;
    }
    const value = deepFreeze(this.open(sealed));
    if (this.opened.size >= OPENED_CACHE_SIZE) this.opened.delete(this.opened.keys().next().value as string);
    this.opened.set(sealed, value);
    return value;
  }

  private open(sealed: string): unknown {
    const id = sealed.split('*', 3)[1];
    if (id !== '') return unseal(sealed, this.byId);
    let failure: unknown = new Error('no password for id-less seals');
    for (const secret of this.idless) {
      try {
        return unseal(sealed, secret);
      } catch (err) {
        failure = err;
      }
    }
    throw failure;
  }

  /**
   * Keys that only unseal (resource servers): ticketd's single password, or
   * its map of passwords by id. Throws when a password is too short.
   */
  static forUnsealing(password: string | Readonly<Record<string, string>>): IronKeys {
    if (typeof password === 'string') {
      checkSecret('password', password);
      return new IronKeys(SINGLE_ID, password, {}, [password]);
    }
    const ids = Object.keys(password);
    const first = ids[0];
    if (first === undefined) throw new Error('no Iron password given');
    for (const id of ids) checkSecret(`password ${id}`, password[id]);
    const idless = Object.hasOwn(password, SINGLE_ID) ? [password[SINGLE_ID] as string] : [];
    return new IronKeys(first, { id: first, secret: password[first] as string }, { ...password }, idless);
  }

  /**
   * The passwords configured in `settings`, or — when none is — those of the
   * keyring; with either, the keyring's unseal what they sealed, and so does
   * an earlier ticketd's generated password until it is retired.
   */
  static async load(settings: IronSettings, meta: MetaStore, keyring: Keyring): Promise<IronKeys> {
    const configured = configuredPasswords(settings);
    const derived = keyring.ironPasswords();
    const legacy = await legacyPassword(meta, keyring);
    if (!configured) {
      const current = { id: keyring.current, secret: derived[keyring.current] as string };
      return new IronKeys(current.id, current, derived, legacy ? [legacy] : []);
    }
    const { current, all } = configured;
    const idless = [all[SINGLE_ID], legacy].filter((p): p is string => typeof p === 'string');
    if (settings.iron_password !== undefined) return new IronKeys(SINGLE_ID, current.secret, derived, idless);
    return new IronKeys(current.id, current, { ...derived, ...all }, idless);
  }
}

/**
 * The password an earlier ticketd generated, sealed under the keyring: moved
 * out of the clear at the first start of this version (concurrent starts may
 * both seal it; one seal is kept), null once retired or when its keyring key
 * was retired.
 */
async function legacyPassword(meta: MetaStore, keyring: Keyring): Promise<string | null> {
  const clear = await meta.get(GENERATED_META_KEY);
  if (clear !== null) {
    await meta.putIfAbsent(LEGACY_SEALED_META_KEY, keyring.seal(clear, LEGACY_PURPOSE));
    await meta.delete(GENERATED_META_KEY);
  }
  const sealed = await meta.get(LEGACY_SEALED_META_KEY);
  if (sealed === null) return null;
  try {
    return keyring.open(sealed, LEGACY_PURPOSE);
  } catch (err) {
    if (err instanceof SealUnreadableError) return null;
    throw err;
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
