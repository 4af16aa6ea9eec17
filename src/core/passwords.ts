import { randomBytes, timingSafeEqual } from 'node:crypto';
import { domainError } from './domain-error.js';
import { PoolBusyError, ScryptPool } from './scrypt-pool.js';

/**
 * Password hashing with scrypt (memory-hard). Hashing runs on a small pool
 * of threads of its own (scrypt-pool.ts), never on the event loop.
 *
 * Encoding: `scrypt$N$r$p$salt$hash`, salt and hash in unpadded Base64url,
 * so that the cost can be raised later and old hashes still verify.
 */

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** 2^14 with r = 8: 16 MiB and about 35 ms per hash on a current core. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16_384, r: 8, p: 1 };

const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Longest password accepted, in characters; longer ones never reach scrypt. */
export const MAX_PASSWORD_LENGTH = 1024;

/** One pool for the process: it bounds how many hashes run at once, whichever ticketd (or test) asks. */
let sharedPool: ScryptPool | undefined;

/**
 * `group`: whose hash it is (a tenant): the pool serves groups in turn, so
 * one cannot starve another. A full queue is SERVICE_BUSY (503 with
 * Retry-After), never an unbounded wait.
 */
async function derive(
  password: string,
  salt: Buffer,
  params: ScryptParams,
  length: number,
  group: string,
): Promise<Buffer> {
  sharedPool ??= new ScryptPool();
  try {
    return await sharedPool.derive(
      {
        password: password.normalize('NFC'),
        salt,
        keylen: length,
        options: { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      },
      group,
    );
  } catch (err) {
    if (!(err instanceof PoolBusyError)) throw err;
    throw domainError('SERVICE_BUSY', 'Too many logins are waiting; retry later', {
      retryAfterSeconds: err.retryAfterSeconds,
    });
  }
}

const b64 = (b: Buffer) => b.toString('base64url');

interface Decoded {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

function decode(encoded: string): Decoded | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return undefined;
  // Bounds keep an altered record from asking for gigabytes; N must be a power of two.
  if (N > 2 ** 20 || (N & (N - 1)) !== 0 || r > 32 || p > 16) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const hash = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length === 0 || hash.length === 0) return undefined;
  return { params: { N, r, p }, salt, hash };
}

export class Passwords {
  private dummy: Promise<string> | undefined;

  constructor(private readonly params: ScryptParams = DEFAULT_SCRYPT) {}

  /** A new encoded hash with a fresh random salt. */
  async hash(password: string, group = ''): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, this.params, HASH_BYTES, group);
    return `scrypt$${this.params.N}$${this.params.r}$${this.params.p}$${b64(salt)}$${b64(key)}`;
  }

  /**
   * Whether the password matches the encoded hash; the comparison takes
   * constant time. A null or unreadable hash is checked against a dummy hash
   * of the same cost, so that the answer takes as long as for a real one.
   */
  async verify(password: string, encoded: string | null, group = ''): Promise<boolean> {
    const decoded = encoded === null ? undefined : decode(encoded);
    if (!decoded) {
      await this.verifyDummy(password, group);
      return false;
    }
    const key = await derive(password, decoded.salt, decoded.params, decoded.hash.length, group);
    return timingSafeEqual(key, decoded.hash);
  }

  /**
   * Spends the time of one verification and returns false: for a username
   * that does not exist, so that unknown usernames take as long as known ones.
   */
  async verifyDummy(password: string, group = ''): Promise<false> {
    this.dummy ??= this.hash(randomBytes(16).toString('hex'));
    const decoded = decode(await this.dummy) as Decoded;
    const key = await derive(password, decoded.salt, decoded.params, decoded.hash.length, group);
    timingSafeEqual(key, decoded.hash);
    return false;
  }
}
