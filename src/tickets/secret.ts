import { createCipheriv, createDecipheriv, hash, randomFillSync } from 'node:crypto';

/**
 * The cryptography of an opaque ticket: how it is drawn, how it is named in
 * the store, and how its payload is sealed. The store only ever sees
 * `ticketId(ticket)` and `sealPayload(...)`, so a copy of the database holds
 * neither a usable ticket nor a readable payload.
 */

export const TICKET_BYTES = 20; // 160 bits, 27 Base64 characters, as Authen draws them

// Drawing from a pooled buffer saves one call into OpenSSL per ticket.
const POOL_SIZE = TICKET_BYTES * 512;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** A new ticket: 20 CSPRNG bytes, standard Base64 without padding. */
export function newTicket(): string {
  if (poolOffset + TICKET_BYTES > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + TICKET_BYTES);
  poolOffset += TICKET_BYTES;
  return bytes.toString('base64').slice(0, 27);
}

/** The name a ticket is stored under: SHA-256 of its exact text. */
export function ticketId(ticket: string): Buffer {
  return Buffer.from(hash('sha256', Buffer.from(ticket, 'latin1'), 'binary'), 'latin1');
}

const KEY_INFO = Buffer.from('ticketd opaque ticket payload v1');
const TAG_BYTES = 16;

// HKDF-SHA256 (RFC 5869) with an empty salt, i.e. 32 zero bytes, and
// HMAC-SHA256 (RFC 2104) written out over one-shot SHA-256: the same bytes as
// hkdfSync('sha256', ticket, '', KEY_INFO, 44). createHmac and hkdfSync
// allocate Hmac, Hash and KeyObject instances, and every digest Buffer has its
// own backing store: native handles that each young-generation collection
// must process. Here digests come back as latin1 strings and go into shared
// scratch buffers (every call runs to completion synchronously); only the
// key and nonce become Buffers, small ones from Node's pool.
const BLOCK = 64;
const ZERO_SALT = Buffer.alloc(32);
const INFO_1 = Buffer.concat([KEY_INFO, Buffer.of(1)]);
const INFO_2 = Buffer.concat([KEY_INFO, Buffer.of(2)]);
const outer = Buffer.alloc(BLOCK + 32); // (key ^ opad) || inner hash
const expand1 = Buffer.alloc(BLOCK + INFO_1.length); // (PRK ^ ipad) || info || 0x01
const expand2 = Buffer.alloc(BLOCK + 32 + INFO_2.length); // (PRK ^ ipad) || T(1) || info || 0x02
const prk = Buffer.alloc(32);
INFO_1.copy(expand1, BLOCK);
INFO_2.copy(expand2, BLOCK + 32);

/**
 * HMAC-SHA256 under `key` (32 bytes) of `message` without its first 64 bytes,
 * which it overwrites with key ^ ipad. Returns the MAC as a latin1 string.
 */
function hmac(key: Buffer, message: Buffer): string {
  for (let i = 0; i < 32; i++) {
    const k = key[i] as number;
    message[i] = k ^ 0x36;
    outer[i] = k ^ 0x5c;
  }
  message.fill(0x36, 32, BLOCK);
  outer.fill(0x5c, 32, BLOCK);
  outer.write(hash('sha256', message, 'binary'), BLOCK, 'latin1');
  return hash('sha256', outer, 'binary'); // 'binary' is latin1: one character per byte
}

/**
 * Key and nonce come from HKDF over the ticket text. Each ticket's key seals
 * exactly one message (its payload, once, at creation), so a nonce derived
 * along with the key is never reused under that key.
 */
function keyAndNonce(ticket: string): { key: Buffer; nonce: Buffer } {
  const extract = Buffer.allocUnsafe(BLOCK + Buffer.byteLength(ticket, 'latin1'));
  extract.write(ticket, BLOCK, 'latin1');
  prk.write(hmac(ZERO_SALT, extract), 'latin1'); // PRK = HMAC(salt, ticket)
  const t1 = hmac(prk, expand1); // T(1) = HMAC(PRK, info || 1)
  expand2.write(t1, BLOCK, 'latin1');
  const t2 = hmac(prk, expand2); // T(2) = HMAC(PRK, T(1) || info || 2)
  return { key: Buffer.from(t1, 'latin1'), nonce: Buffer.from(t2.slice(0, 12), 'latin1') };
}

/** AES-256-GCM of the payload's JSON text; output is ciphertext || tag. */
export function sealPayload(ticket: string, json: string): Buffer {
  const { key, nonce } = keyAndNonce(ticket);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const body = cipher.update(json, 'utf8');
  const final = cipher.final();
  return Buffer.concat([body, final, cipher.getAuthTag()]);
}

/** Reverses `sealPayload`; throws when the sealed bytes were altered. */
export function openPayload(ticket: string, sealed: Buffer): string {
  const { key, nonce } = keyAndNonce(ticket);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES), undefined, 'utf8') + decipher.final('utf8');
}
