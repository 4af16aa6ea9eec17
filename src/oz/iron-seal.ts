import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomFillSync, timingSafeEqual } from 'node:crypto';
import Bourne from '@hapi/bourne';

/**
 * Iron seals (`Fe26.2`), byte for byte what `@hapi/iron` 7 makes and opens
 * with its defaults (AES-256-CBC, HMAC-SHA256, keys by PBKDF2-SHA1 with one
 * iteration from a 256-bit salt, no expiry), so that Oz clients, resource
 * servers running `oz` and tickets sealed by earlier versions all agree
 * (test/oz/iron.test.ts checks both directions against @hapi/iron).
 *
 * Written out because @hapi/iron derives each of the four keys of a reissue
 * with the asynchronous `crypto.pbkdf2`, a thread-pool round trip for one
 * HMAC: those round trips were a quarter of the CPU of an Oz reissue. Here
 * everything runs synchronously, and random salts and IVs come from a pooled
 * buffer.
 *
 * Errors carry @hapi/iron's messages.
 */

export const MAC_PREFIX = 'Fe26.2';
const MIN_PASSWORD_LENGTH = 32;
const SALT_BYTES = 32; // 256 bits, as hex in the seal
const IV_BYTES = 16;
const KEY_BYTES = 32;
const BASE64URL = /^[\w-]*$/;

export class IronError extends Error {
  override readonly name = 'IronError';
}

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

function random(bytes: number): Buffer {
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + bytes));
  poolOffset += bytes;
  return out;
}

function key(password: string, salt: string): Buffer {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new IronError(`Password string too short (min ${MIN_PASSWORD_LENGTH} characters required)`);
  }
  return pbkdf2Sync(password, salt, 1, KEY_BYTES, 'sha1');
}

function hmac(password: string, salt: string, data: string): string {
  return createHmac('sha256', key(password, salt)).update(data).digest('base64url');
}

function base64urlDecode(value: string): Buffer {
  if (!BASE64URL.test(value)) throw new IronError('Invalid character');
  return Buffer.from(value, 'base64url');
}

/** A password: one secret, or one named by an id (the id goes into the seal). */
export type SealPassword = string | { id: string; secret: string };

export function seal(value: unknown, password: SealPassword): string {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new IronError(`Failed to stringify object: ${(err as Error).message}`);
  }
  const id = typeof password === 'string' ? '' : password.id;
  const secret = typeof password === 'string' ? password : password.secret;
  if (id !== '' && !/^\w+$/.test(id)) throw new IronError('Invalid password id');
  const encryptionSalt = random(SALT_BYTES).toString('hex');
  const iv = random(IV_BYTES);
  const cipher = createCipheriv('aes-256-cbc', key(secret, encryptionSalt), iv);
  const encrypted = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  const macBase = `${MAC_PREFIX}*${id}*${encryptionSalt}*${iv.toString('base64url')}*${encrypted.toString('base64url')}*`;
  const macSalt = random(SALT_BYTES).toString('hex');
  return `${macBase}*${macSalt}*${hmac(secret, macSalt, macBase)}`;
}

/**
 * Opens a seal made under `password` (one secret, or secrets by id; a seal
 * naming no id takes the one named `default`). Throws IronError when the
 * seal is malformed, expired, made under another password, or tampered with.
 */
export function unseal(sealed: string, password: string | Readonly<Record<string, string>>, now = Date.now()): unknown {
  const parts = sealed.split('*');
  if (parts.length !== 8) throw new IronError('Incorrect number of sealed components');
  const [prefix, id, encryptionSalt, ivB64, encryptedB64, expiration, macSalt, mac] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (prefix !== MAC_PREFIX) throw new IronError('Wrong mac prefix');
  if (expiration) {
    if (!/^\d+$/.test(expiration)) throw new IronError('Invalid expiration');
    // @hapi/iron's default skew: 60 s.
    if (Number.parseInt(expiration, 10) <= now - 60_000) throw new IronError('Expired seal');
  }
  let secret: string | undefined;
  if (typeof password === 'string') secret = password;
  else {
    const name = id || 'default';
    secret = Object.hasOwn(password, name) ? password[name] : undefined;
    if (!secret) throw new IronError(`Cannot find password: ${id}`);
  }
  const macBase = `${prefix}*${id}*${encryptionSalt}*${ivB64}*${encryptedB64}*${expiration}`;
  const expected = Buffer.from(hmac(secret, macSalt, macBase));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new IronError('Bad hmac value');
  const encrypted = base64urlDecode(encryptedB64);
  const iv = base64urlDecode(ivB64);
  let text: string;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key(secret, encryptionSalt), iv);
    text = decipher.update(encrypted, undefined, 'utf8') + decipher.final('utf8');
  } catch (err) {
    throw new IronError((err as Error).message);
  }
  try {
    return Bourne.parse(text);
  } catch (err) {
    throw new IronError(`Failed parsing sealed object JSON: ${(err as Error).message}`);
  }
}
