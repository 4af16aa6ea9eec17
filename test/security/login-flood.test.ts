/**
 * One tenant's login flood does not hold up another's (docs/security.md):
 * the hashing queue serves tenants in turn and is bounded, so a flood is
 * partly refused at once (503 SERVICE_BUSY with Retry-After) instead of
 * queued without end. Real scrypt cost: the delay measured is the real one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT } from '../../src/core/passwords.js';
import { ok } from '../helpers/fixtures.js';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { apiCreateProfile, authenticate, createTenant, expectProfileError, type Reply } from '../profile/support.js';

describe('a login flood on one tenant', () => {
  let t: TestTicketd;

  beforeAll(async () => {
    t = await startTestTicketd({ scrypt: DEFAULT_SCRYPT });
    await createTenant(t, 'flooded', { failedLoginAttemptsBeforeDelay: 0 });
    await createTenant(t, 'quiet');
  });
  afterAll(async () => {
    await t.stop();
  });

  it('400 concurrent logins on tenant A: a login on tenant B answers within 5 s; the excess is 503 with Retry-After', async () => {
    const p = await apiCreateProfile(t, { tenantName: 'quiet' });
    // Each flood login names an account of its own: nothing serializes them but the hashing queue.
    const flood = Array.from({ length: 400 }, (_, i) => authenticate(t, `flood-${i}`, 'guess', 'flooded'));
    await new Promise((r) => setTimeout(r, 20));
    const started = performance.now();
    ok(await authenticate(t, p.username, p.password, 'quiet'));
    const waited = performance.now() - started;
    expect(waited).toBeLessThan(5000);

    const answers: Reply[] = await Promise.all(flood);
    const busy = answers.filter((r) => r.statusCode === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const r of busy) {
      expectProfileError(r, 503, 'SERVICE_BUSY');
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // The rest were heard: wrong passwords, never an error of another kind.
    const heard = answers.filter((r) => r.statusCode !== 503);
    expect(heard.length).toBeGreaterThan(0);
    for (const r of heard) expectProfileError(r, 401, 'BAD_CREDENTIALS');
  }, 60_000);
});
