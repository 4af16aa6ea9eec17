import { createCipheriv, createHash, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newTicket, openPayload, sealPayload, TICKET_BYTES, ticketId } from '../../src/tickets/secret.js';

/** The sealing as first written, with node's hkdfSync: what tickets already in a store were sealed with. */
function referenceSeal(ticket: string, json: string): Buffer {
  const okm = Buffer.from(
    hkdfSync('sha256', Buffer.from(ticket, 'latin1'), Buffer.alloc(0), 'ticketd opaque ticket payload v1', 44),
  );
  const cipher = createCipheriv('aes-256-gcm', okm.subarray(0, 32), okm.subarray(32, 44));
  return Buffer.concat([cipher.update(json, 'utf8'), cipher.final(), cipher.getAuthTag()]);
}

describe('ticket secrets', () => {
  it('draws 160-bit tickets as 27 characters of Base64', () => {
    const t = newTicket();
    expect(t).toMatch(/^[A-Za-z0-9+/]{27}$/);
    expect(Buffer.from(`${t}=`, 'base64')).toHaveLength(TICKET_BYTES);
    expect(ticketId(t)).toHaveLength(32);
  });

  it('seals a known payload to the same bytes as always (stored payloads stay readable)', () => {
    const sealed = sealPayload('UrX/fTU0TaEEBv1ZlhpImz1c1Ts', '{"user_id":9001}');
    expect(sealed.toString('base64')).toBe('8SLiLsE3eD6zLPhAQJ8WerRMTMYBvOqyBzi+2S9Rmxk=');
    expect(openPayload('UrX/fTU0TaEEBv1ZlhpImz1c1Ts', sealed)).toBe('{"user_id":9001}');
  });

  it('derives key and nonce exactly as HKDF-SHA256 does', () => {
    for (let i = 0; i < 500; i++) {
      const ticket = newTicket();
      const json = JSON.stringify({ i, text: 'é€😀'.repeat(i % 7), n: 2 ** 60 });
      const sealed = sealPayload(ticket, json);
      expect(sealed.equals(referenceSeal(ticket, json))).toBe(true);
      expect(openPayload(ticket, referenceSeal(ticket, json))).toBe(json);
    }
  });

  it('names and seals tickets of any length and alphabet as createHash and hkdfSync do', () => {
    const odd = [
      'A',
      'UrX/fTU0TaEEBv1ZlhpImz1c1Ts=',
      'x'.repeat(55),
      'y'.repeat(64),
      'z'.repeat(200),
      'é\u00ff\u0100€😀',
    ];
    for (const ticket of odd) {
      expect(ticketId(ticket).equals(createHash('sha256').update(ticket, 'latin1').digest())).toBe(true);
      expect(sealPayload(ticket, '[1]').equals(referenceSeal(ticket, '[1]'))).toBe(true);
    }
  });

  it('refuses a tampered seal or another ticket', () => {
    const ticket = newTicket();
    const sealed = sealPayload(ticket, '{"a":1}');
    const tampered = Buffer.from(sealed);
    tampered[0] = (tampered[0] ?? 0) ^ 1;
    expect(() => openPayload(ticket, tampered)).toThrow();
    expect(() => openPayload(newTicket(), sealed)).toThrow();
  });
});
