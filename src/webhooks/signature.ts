import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks (https://www.standardwebhooks.com/): an endpoint's secret
 * is `whsec_` + base64 of random bytes; each delivery carries `webhook-id`
 * (the event's id, the same on every attempt), `webhook-timestamp` (seconds)
 * and `webhook-signature`: `v1,` + base64 HMAC-SHA256, keyed with the
 * secret's bytes, over `id.timestamp.body`. Receivers verify it with any
 * Standard Webhooks library (test/webhooks/signature.test.ts uses the
 * reference one).
 */
export const SECRET_PREFIX = 'whsec_';
/** 32 random bytes: the spec asks for 24 to 64. */
const SECRET_BYTES = 32;

export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

const secretBytes = (secret: string): Buffer =>
  Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * The headers of one delivery of `body` (the exact bytes sent). Several
 * secrets sign at once while a rotated one is still accepted: the header
 * then lists one signature per secret, space-separated, as the spec allows.
 */
export function signWebhook(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): SignedHeaders {
  const signed = `${id}.${timestampSeconds}.${body}`;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets
      .map((s) => `v1,${createHmac('sha256', secretBytes(s)).update(signed).digest('base64')}`)
      .join(' '),
  };
}
