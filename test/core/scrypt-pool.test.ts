import { scryptSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ScryptPool } from '../../src/core/scrypt-pool.js';

const options = { N: 1024, r: 8, p: 1, maxmem: 32 * 1024 * 1024 };

describe('scrypt pool', () => {
  let pool: ScryptPool;
  afterEach(() => pool.close());

  it('derives what crypto.scryptSync derives, for many hashes at once on two threads', async () => {
    pool = new ScryptPool(2);
    const jobs = Array.from({ length: 12 }, (_, i) => ({
      password: `pässword ${i}`,
      salt: Buffer.from(`salt-${i}-0123456789`),
      keylen: 16 + i,
      options,
    }));
    const keys = await Promise.all(jobs.map((j) => pool.derive(j)));
    keys.forEach((key, i) => {
      const j = jobs[i] as (typeof jobs)[number];
      expect(key.equals(scryptSync(j.password, j.salt, j.keylen, j.options))).toBe(true);
    });
  });

  it('fails a hash scrypt refuses, and goes on with the next', async () => {
    pool = new ScryptPool(1);
    const refused = pool.derive({
      password: 'x',
      salt: Buffer.from('salt'),
      keylen: 32,
      options: { ...options, maxmem: 1024 },
    });
    const next = pool.derive({ password: 'x', salt: Buffer.from('salt'), keylen: 32, options });
    await expect(refused).rejects.toThrow(/memory|maxmem|limit/i);
    expect((await next).equals(scryptSync('x', 'salt', 32, options))).toBe(true);
  });

  it('fails the hashes still waiting when it is closed', async () => {
    pool = new ScryptPool(1);
    const slow = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
    const running = pool.derive({ password: 'a', salt: Buffer.from('salt'), keylen: 32, options: slow });
    const waiting = pool.derive({ password: 'b', salt: Buffer.from('salt'), keylen: 32, options: slow });
    const failed = [running, waiting].map((p) => expect(p).rejects.toThrow('scrypt pool closed'));
    await pool.close();
    await Promise.all(failed);
  });
});
