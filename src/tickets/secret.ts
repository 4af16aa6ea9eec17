import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomFillSync } from 'node:crypto';

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

/**
 * Key and nonce come from HKDF over the ticket text. Each ticket's key seals
 * exactly one message (its payload, once, at creation), so a nonce derived
 * along with the key is never reused under that key.
 */
function keyAndNonce(ticket: string): { key: Buffer; nonce: Buffer } {
  const okm = Buffer.from(hkdfSync('sha256', Buffer.from(ticket, 'latin1'), Buffer.alloc(0), KEY_INFO, 44));
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) };
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
