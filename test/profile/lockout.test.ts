import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT } from '../../src/core/passwords.js';
import {
  api,
  apiCreateProfile,
  authenticate,
  createTenant,
  expectProfileError,
  ok,
  type Reply,
  startTestTicketd,
  type TestTicketd,
} from './support.js';

/** Lockout (docs/profile.md): delay past failedLoginAttemptsBeforeDelay, lock at failedLoginAttemptsBeforeLock. */
describe('login lockout', () => {
  let t: TestTicketd;
  let n = 0;

  beforeAll(async () => {
    t = await startTestTicketd();
  });
  afterAll(async () => {
    await t.stop();
  });

  /** A fresh tenant with the default lockout settings (2, 8, 600 s) and a profile in it. */
  async function fresh(settings: Record<string, unknown> = {}) {
    n += 1;
    const tenant = `lock-${n}`;
    await createTenant(t, tenant, settings);
    const p = await apiCreateProfile(t, { tenantName: tenant });
    t.sleeps.length = 0;
    return { ...p, tenant };
  }

  it('delays wrong passwords past the delay threshold, then locks at the lock threshold', async () => {
    const p = await fresh();
    for (let i = 1; i <= 7; i++) {
      expectProfileError(await authenticate(t, p.username, 'wrong', p.tenant), 401, 'BAD_CREDENTIALS');
    }
    // Attempts 3..7 were answered late: 1 s more each time.
    expect(t.sleeps).toEqual([1000, 2000, 3000, 4000, 5000]);
    const eighth = await authenticate(t, p.username, 'wrong', p.tenant);
    expectProfileError(eighth, 423, 'PROFILE_LOCKED', /is locked until 2026-/);
    expect(eighth.headers['retry-after']).toBe('600');
    // Even the right password is refused while locked, without any more delay.
    expectProfileError(await authenticate(t, p.username, p.password, p.tenant), 423, 'PROFILE_LOCKED');
    expect(t.sleeps).toHaveLength(5);
  });

  it('the lock ends after lockTime and the count starts again from zero', async () => {
    const p = await fresh({ lockTime: 60 });
    for (let i = 0; i < 8; i++) await authenticate(t, p.username, 'wrong', p.tenant);
    t.clock.advance(59_000);
    const locked = await authenticate(t, p.username, p.password, p.tenant);
    expectProfileError(locked, 423, 'PROFILE_LOCKED');
    expect(locked.headers['retry-after']).toBe('1');
    t.clock.advance(1_000);
    t.sleeps.length = 0;
    // A wrong password after the lock counts as the first one again: no delay, no lock.
    expectProfileError(await authenticate(t, p.username, 'wrong', p.tenant), 401, 'BAD_CREDENTIALS');
    expect(t.sleeps).toEqual([]);
    ok(await authenticate(t, p.username, p.password, p.tenant));
  });

  it('a success resets the count', async () => {
    const p = await fresh();
    for (let i = 0; i < 5; i++) await authenticate(t, p.username, 'wrong', p.tenant);
    expect(t.sleeps).toEqual([1000, 2000, 3000]);
    ok(await authenticate(t, p.username, p.password, p.tenant));
    t.sleeps.length = 0;
    for (let i = 0; i < 3; i++) await authenticate(t, p.username, 'wrong', p.tenant);
    expect(t.sleeps).toEqual([1000]);
  });

  it('the delay is at most 10 s', async () => {
    const p = await fresh({ failedLoginAttemptsBeforeLock: 0, failedLoginAttemptsBeforeDelay: 1 });
    for (let i = 0; i < 15; i++) await authenticate(t, p.username, 'wrong', p.tenant);
    expect(Math.max(...t.sleeps)).toBe(10_000);
    expect(t.sleeps).toHaveLength(14);
  });

  it('0 turns delay and lock off', async () => {
    const p = await fresh({ failedLoginAttemptsBeforeLock: 0, failedLoginAttemptsBeforeDelay: 0 });
    for (let i = 0; i < 20; i++) {
      expectProfileError(await authenticate(t, p.username, 'wrong', p.tenant), 401, 'BAD_CREDENTIALS');
    }
    expect(t.sleeps).toEqual([]);
    ok(await authenticate(t, p.username, p.password, p.tenant));
  });

  it('unknown usernames are slowed and locked exactly like known ones', async () => {
    const p = await fresh();
    const known: Reply[] = [];
    const unknown: Reply[] = [];
    for (let i = 0; i < 9; i++) known.push(await authenticate(t, p.username, 'wrong', p.tenant));
    const knownSleeps = [...t.sleeps];
    t.sleeps.length = 0;
    for (let i = 0; i < 9; i++) unknown.push(await authenticate(t, 'nobody-here', 'wrong', p.tenant));
    expect(t.sleeps).toEqual(knownSleeps);
    expect(unknown.map((r) => r.statusCode)).toEqual(known.map((r) => r.statusCode));
    expect(unknown.map((r) => r.json().errorCode)).toEqual(known.map((r) => r.json().errorCode));
  });

  it('concurrent wrong passwords lock exactly at the threshold', async () => {
    const p = await fresh();
    const answers = await Promise.all(Array.from({ length: 20 }, () => authenticate(t, p.username, 'wrong', p.tenant)));
    const codes = answers.map((r) => r.json().errorCode as string);
    // Failures 1..7 are wrong passwords; the 8th locks; every later one finds the lock.
    expect(codes.filter((c) => c === 'BAD_CREDENTIALS')).toHaveLength(7);
    expect(codes.filter((c) => c === 'PROFILE_LOCKED')).toHaveLength(13);
    expectProfileError(await authenticate(t, p.username, p.password, p.tenant), 423, 'PROFILE_LOCKED');
  });

  it('lockout is per tenant: the same username elsewhere is not locked', async () => {
    const a = await fresh();
    const b = await fresh();
    ok(
      await api(t, 'POST', '/profile/create', {
        tenantName: b.tenant,
        username: a.username,
        password: 'other-pw',
        email: 'same@name.io',
      }),
    );
    for (let i = 0; i < 8; i++) await authenticate(t, a.username, 'wrong', a.tenant);
    expectProfileError(await authenticate(t, a.username, a.password, a.tenant), 423, 'PROFILE_LOCKED');
    ok(await authenticate(t, a.username, 'other-pw', b.tenant));
  });
});

describe('login lockout with real time', () => {
  it('the delay does not block the event loop', async () => {
    const t = await startTestTicketd({ realSleep: true });
    try {
      await createTenant(t, 'slow', { failedLoginAttemptsBeforeDelay: 1 });
      const p = await apiCreateProfile(t, { tenantName: 'slow' });
      await authenticate(t, p.username, 'wrong', 'slow');
      const started = performance.now();
      const delayed = authenticate(t, p.username, 'wrong', 'slow'); // 2nd failure: 1 s late
      await new Promise((r) => setTimeout(r, 50));
      const pingStart = performance.now();
      ok(await api(t, 'GET', `/profile/${p.id}`));
      expect(performance.now() - pingStart).toBeLessThan(500);
      expectProfileError(await delayed, 401, 'BAD_CREDENTIALS');
      expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    } finally {
      await t.stop();
    }
  });

  it('an unknown username takes about as long as a known one (real scrypt cost)', async () => {
    const t = await startTestTicketd({ scrypt: DEFAULT_SCRYPT });
    try {
      await createTenant(t, 'timing', { failedLoginAttemptsBeforeLock: 0 });
      const p = await apiCreateProfile(t, { tenantName: 'timing' });
      const time = async (username: string) => {
        const s = performance.now();
        expectProfileError(await authenticate(t, username, 'wrong', 'timing'), 401, 'BAD_CREDENTIALS');
        return performance.now() - s;
      };
      await time('warm-up'); // computes the dummy hash once
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        known.push(await time(p.username));
        unknown.push(await time(`ghost-${i}`));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
      const ratio = median(unknown) / median(known);
      expect(ratio).toBeGreaterThan(1 / 3);
      expect(ratio).toBeLessThan(3);
    } finally {
      await t.stop();
    }
  });
});
