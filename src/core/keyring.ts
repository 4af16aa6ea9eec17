import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The secrets that protect the secrets ticketd keeps, held outside the store
 * (a file, `keyring_file`), so that a copy of the store alone opens nothing:
 *
 * - sealing keys, one of them current: every secret ticketd keeps in the
 *   store (Oz app keys, a generated Iron password, webhook secrets) is
 *   sealed with AES-256-GCM under the current key, bound to what it is
 *   (`purpose`); the Iron passwords that seal Oz tickets are derived from
 *   them. `rotate` adds a key and makes it current; older keys keep opening
 *   what they sealed until `retire`, after which it opens nothing.
 * - an index key, never rotated: lookups by a secret the client holds
 *   (access-token ids) go through an HMAC under it, so the store holds no
 *   digest an attacker could test guesses against offline.
 *
 * The file is JSON, mode 0600; `ticketd keys generate|rotate|retire|list`
 * manages it. Every instance of a deployment reads the same file.
 */

export const KEYRING_FORMAT = 'ticketd-keyring-1';
/** Sealed values: `ks1.<key id>.<base64url(nonce | ciphertext | tag)>`. */
const SEALED_PREFIX = 'ks1.';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^k[0-9a-z]{1,40}$/;

export interface KeyringKey {
  id: string;
  /** 32 random bytes. */
  secret: Buffer;
  /** ISO time it was made. */
  created: string;
}

interface KeyringFile {
  format: string;
  current: string;
  index: string;
  keys: { id: string; secret: string; created: string }[];
}

export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

/** The value a retired or unknown key sealed: it opens nothing any more. */
export class SealUnreadableError extends Error {
  override readonly name = 'SealUnreadableError';
}

export class Keyring {
  private constructor(
    readonly current: string,
    private readonly keys: Map<string, KeyringKey>,
    private readonly index: Buffer,
    /** Where it was read from (undefined: made in memory). */
    readonly path: string | undefined,
  ) {}

  /** A new keyring of one key (in memory until `save`). */
  static generate(path?: string): Keyring {
    const key = newKey();
    return new Keyring(key.id, new Map([[key.id, key]]), randomBytes(32), path);
  }

  static load(path: string): Keyring {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new KeyringError(`cannot read the keyring ${path}: ${(err as Error).message}`);
    }
    let file: KeyringFile;
    try {
      file = JSON.parse(text) as KeyringFile;
    } catch {
      throw new KeyringError(`the keyring ${path} is not valid JSON`);
    }
    if (file?.format !== KEYRING_FORMAT || !Array.isArray(file.keys) || typeof file.index !== 'string') {
      throw new KeyringError(`the keyring ${path} is not a ${KEYRING_FORMAT} file`);
    }
    const keys = new Map<string, KeyringKey>();
    for (const k of file.keys) {
      const secret = Buffer.from(String(k.secret), 'base64url');
      if (!KEY_ID.test(String(k.id)) || secret.length !== 32) {
        throw new KeyringError(`the keyring ${path} holds a malformed key`);
      }
      keys.set(k.id, { id: k.id, secret, created: String(k.created) });
    }
    const index = Buffer.from(file.index, 'base64url');
    if (!keys.has(file.current) || index.length !== 32) {
      throw new KeyringError(`the keyring ${path} names no current key, or its index key is malformed`);
    }
    return new Keyring(file.current, keys, index, path);
  }

  /**
   * The keyring at `path`, made (mode 0600) when there is none yet. Several
   * processes starting at once on one data directory agree: the file is
   * created exclusively, and a process that finds it made reads it.
   */
  static loadOrCreate(path: string): { keyring: Keyring; created: boolean } {
    if (existsSync(path)) return { keyring: Keyring.load(path), created: false };
    const keyring = Keyring.generate(path);
    let fd: number;
    try {
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as { code?: string }).code === 'EEXIST') return { keyring: Keyring.load(path), created: false };
      throw new KeyringError(`cannot create the keyring ${path}: ${(err as Error).message}`);
    }
    try {
      writeSync(fd, keyring.serialize());
    } finally {
      closeSync(fd);
    }
    return { keyring, created: true };
  }

  /** Writes it (replacing the file atomically, mode 0600) to its path or `path`. */
  save(path = this.path): void {
    if (!path) throw new KeyringError('the keyring has no file');
    const tmp = join(dirname(path), `.${Date.now()}.${randomBytes(4).toString('hex')}.keyring.tmp`);
    writeFileSync(tmp, this.serialize(), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
  }

  /** A copy with a new current key. */
  rotate(): Keyring {
    const key = newKey();
    return new Keyring(key.id, new Map([...this.keys, [key.id, key]]), this.index, this.path);
  }

  /** A copy without key `id` (not the current one): what it sealed opens no more. */
  retire(id: string): Keyring {
    if (!this.keys.has(id)) throw new KeyringError(`the keyring holds no key "${id}"`);
    if (id === this.current) throw new KeyringError(`"${id}" is the current key: rotate first, then retire it`);
    const keys = new Map(this.keys);
    keys.delete(id);
    return new Keyring(this.current, keys, this.index, this.path);
  }

  /** The keys, oldest first (ids and creation times; never the secrets). */
  list(): { id: string; created: string; current: boolean }[] {
    return [...this.keys.values()].map((k) => ({ id: k.id, created: k.created, current: k.id === this.current }));
  }

  has(id: string): boolean {
    return this.keys.has(id);
  }

  /** `value` sealed under the current key, bound to `purpose` (what it is, and whose). */
  seal(value: string, purpose: string): string {
    const key = this.keys.get(this.current) as KeyringKey;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.secret, nonce);
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return `${SEALED_PREFIX}${key.id}.${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** Whether a stored value is a seal of a keyring (as opposed to a value kept in clear by an earlier ticketd). */
  static isSealed(value: string): boolean {
    return value.startsWith(SEALED_PREFIX);
  }

  /** The id of the key a seal was made under; undefined when it is not a seal. */
  static sealedWith(value: string): string | undefined {
    return Keyring.isSealed(value) ? value.split('.')[1] : undefined;
  }

  /** Opens a seal made for `purpose`; SealUnreadableError when its key was retired, or it is not one. */
  open(sealed: string, purpose: string): string {
    const [, id, data] = sealed.startsWith(SEALED_PREFIX) ? sealed.split('.') : [];
    const key = id === undefined ? undefined : this.keys.get(id);
    if (!key || data === undefined) throw new SealUnreadableError('sealed under a key this keyring no longer holds');
    const raw = Buffer.from(data, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.secret, raw.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(purpose, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return (
        decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES), undefined, 'utf8') + decipher.final('utf8')
      );
    } catch {
      throw new SealUnreadableError('not a seal of this keyring for this purpose');
    }
  }

  /** HMAC-SHA256 of `value` under the index key, for `purpose`: the store key of a secret the client holds. */
  digest(purpose: string, value: string): Buffer {
    return createHmac('sha256', this.index).update(purpose).update('\0').update(value, 'utf8').digest();
  }

  /**
   * The Iron password of each key (derived: HKDF-SHA256, 43 base64url
   * characters), by key id: the current one seals Oz tickets, every other
   * one still unseals until its key is retired.
   */
  ironPasswords(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of this.keys.values()) {
      const derived = hkdfSync('sha256', k.secret, Buffer.alloc(0), Buffer.from('ticketd iron password v1'), 32);
      out[k.id] = Buffer.from(derived).toString('base64url');
    }
    return out;
  }

  private serialize(): string {
    const file: KeyringFile = {
      format: KEYRING_FORMAT,
      current: this.current,
      index: this.index.toString('base64url'),
      keys: [...this.keys.values()].map((k) => ({
        id: k.id,
        secret: k.secret.toString('base64url'),
        created: k.created,
      })),
    };
    return `${JSON.stringify(file, null, 2)}\n`;
  }
}

function newKey(): KeyringKey {
  const now = new Date();
  const id = `k${now.getTime().toString(36)}${randomBytes(3).toString('hex')}`;
  return { id, secret: randomBytes(32), created: now.toISOString() };
}
