/**
 * Standard Webhooks signing (src/webhooks/signature.ts), checked with the
 * specification's reference library (`standardwebhooks` on npm): what
 * ticketd sends verifies; a changed byte, another secret or a stale
 * timestamp does not; during a rotation either secret verifies.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, SECRET_PREFIX, signWebhook } from '../../src/webhooks/signature.js';

const body = JSON.stringify({ type: 'ticket.used', timestamp: '2026-12-07T10:00:00.000Z', data: { tenant: 'a' } });
const now = () => Math.floor(Date.now() / 1000);

describe('Standard Webhooks signatures', () => {
  it('a secret is whsec_ + base64 of 32 random bytes, new each time', () => {
    const a = newWebhookSecret();
    expect(a.startsWith(SECRET_PREFIX)).toBe(true);
    expect(Buffer.from(a.slice(SECRET_PREFIX.length), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(a);
  });

  it('the reference library verifies what ticketd signs, and returns the payload', () => {
    const secret = newWebhookSecret();
    const headers = signWebhook([secret], 'msg_2Lq3Z', now(), body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('refuses a changed body, another secret, a stale timestamp', () => {
    const secret = newWebhookSecret();
    const headers = signWebhook([secret], 'msg_1', now(), body);
    expect(() => new Webhook(secret).verify(`${body} `, { ...headers })).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, { ...headers })).toThrow();
    const stale = signWebhook([secret], 'msg_1', now() - 3600, body);
    expect(() => new Webhook(secret).verify(body, { ...stale })).toThrow();
  });

  it('while a secret is being rotated, both sign and either verifies', () => {
    const [old, current] = [newWebhookSecret(), newWebhookSecret()];
    const headers = signWebhook([current, old], 'msg_2', now(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(old).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(new Webhook(current).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });
});
