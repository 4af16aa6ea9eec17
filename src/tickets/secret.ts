import { createCipheriv, createDecipheriv, createHash, createHmac, randomFillSync } from 'node:crypto';

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
  return createHash('sha256').update(ticket, 'latin1').digest();
}

const KEY_INFO = Buffer.from('ticketd opaque ticket payload v1');
const TAG_BYTES = 16;

// HKDF-SHA256 (RFC 5869) without salt, spelled out: the salt defaults to 32 zero
// bytes, T(1) = HMAC(PRK, info || 1), T(2) = HMAC(PRK, T(1) || info || 2).
// The same bytes as hkdfSync('sha256', ticket, '', KEY_INFO, 44), at a third of
// its cost (hkdfSync builds KeyObjects for every call).
const ZERO_SALT = Buffer.alloc(32);
const INFO_1 = Buffer.concat([KEY_INFO, Buffer.of(1)]);
const INFO_2 = Buffer.concat([KEY_INFO, Buffer.of(2)]);

/**
 * Key and nonce come from HKDF over the ticket text. Each ticket's key seals
 * exactly one message (its payload, once, at creation), so a nonce derived
 * along with the key is never reused under that key.
 */
function keyAndNonce(ticket: string): { key: Buffer; nonce: Buffer } {
  const prk = createHmac('sha256', ZERO_SALT).update(ticket, 'latin1').digest();
  const key = createHmac('sha256', prk).update(INFO_1).digest();
  const nonce = createHmac('sha256', prk).update(key).update(INFO_2).digest().subarray(0, 12);
  return { key, nonce };
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
