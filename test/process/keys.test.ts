/**
 * The keyring from the operator's side (docs/security.md): `ticketd keys`
 * makes, lists, rotates and retires keys; SQLite gets one beside its
 * database at the first start (mode 0600); PostgreSQL and Redis refuse to
 * start without one and say how to make it.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runKeysCli } from '../../src/cli/keys.js';
import { runToEnd, spawnTicketd } from '../helpers/process.js';

const dir = mkdtempSync(join(tmpdir(), 'ticketd-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function keys(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runKeysCli(args, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) }, {});
  return { code, out, err };
}

describe('ticketd keys', () => {
  it('generate (0600, never over one), list, rotate, retire (never the current key)', async () => {
    const file = join(dir, 'ops.keyring');
    const made = await keys('generate', '--keyring-file', file);
    expect(made.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await expect(keys('generate', '--keyring-file', file)).rejects.toThrow(/never replaces/);

    const first = (await keys('list', '--keyring-file', file)).out.trim().split('\n');
    expect(first).toHaveLength(1);
    const [oldId] = (first[0] as string).split(/\s+/);
    expect(first[0]).toMatch(/current$/);

    expect((await keys('rotate', '--keyring-file', file)).code).toBe(0);
    const second = (await keys('list', '--keyring-file', file)).out.trim().split('\n');
    expect(second).toHaveLength(2);
    expect(second[0]).not.toMatch(/current$/);
    expect(second[1]).toMatch(/current$/);
    const [newId] = (second[1] as string).split(/\s+/);

    await expect(keys('retire', newId as string, '--keyring-file', file)).rejects.toThrow(/current key/);
    expect((await keys('retire', oldId as string, '--keyring-file', file)).code).toBe(0);
    expect((await keys('list', '--keyring-file', file)).out.trim().split('\n')).toHaveLength(1);
    // The file never holds a key in a form the listing shows.
    expect(readFileSync(file, 'utf8')).toContain(newId as string);
  });

  it('SQLite: a keyring beside the database at the first start, mode 0600, and a warning to keep it', async () => {
    const data = mkdtempSync(join(dir, 'data-'));
    const t = await spawnTicketd({ store: `sqlite:${join(data, 'ticketd.db')}`, env: { TICKETD_KEYRING_FILE: '' } });
    try {
      expect(statSync(join(data, 'ticketd.keyring')).mode & 0o777).toBe(0o600);
      // Log lines are out within a second.
      await new Promise((r) => setTimeout(r, 1200));
      expect(t.output()).toContain('made a new keyring');
    } finally {
      await t.stop();
    }
  });

  it('PostgreSQL and Redis: no keyring, no start; the message says how to make one', async () => {
    for (const store of ['postgres://127.0.0.1:5432/test', 'redis://127.0.0.1:6379']) {
      const r = await runToEnd(['serve', '--store', store], 15_000, { TICKETD_KEYRING_FILE: '' });
      expect(r.code, store).toBe(2);
      expect(r.stderr).toContain('ticketd keys generate');
    }
  });
});
