/**
 * A copy of the store alone gives nothing away (docs/security.md): after
 * ticketd has issued every kind of secret it keeps — an Oz app key, Oz user
 * tickets sealed with Iron, access tokens, the master token, a password, a
 * persistent login's token, an opaque ticket's payload — the whole store is
 * dumped (every table and column, every Redis key and value) and every
 * string in it is tried: as an Iron password on a real ticket, as a Hawk
 * key, as an access token. None works, and no secret appears in it, in
 * clear, hex or Base64.
 */
import * as Iron from '@hapi/iron';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { openSqlite } from '../../src/store/sqlite/driver.js';
import { type FreshStore, redisKeys, withPostgresClient } from '../helpers/backends.js';
import { ok } from '../helpers/fixtures.js';
import { storeTargets } from '../helpers/targets.js';
import { MASTER, startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { userTicket } from '../oz/support.js';
import { api, apiCreateProfile, apiJson } from '../profile/support.js';
import { createTicket } from '../tickets/client.js';

/** Every string a value may be read as: text, and bytes as UTF-8, hex, Base64 and Base64url. */
function forms(value: unknown, into: Set<string>): void {
  if (value === null || value === undefined) return;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    const b = Buffer.from(value);
    for (const s of [b.toString('utf8'), b.toString('hex'), b.toString('base64'), b.toString('base64url')]) into.add(s);
    return;
  }
  if (typeof value === 'object') {
    for (const v of Object.values(value)) forms(v, into);
    return;
  }
  into.add(String(value));
}

async function dumpSqlite(path: string): Promise<Set<string>> {
  const out = new Set<string>();
  const db = openSqlite(path, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    for (const { name } of tables) for (const row of db.prepare(`SELECT * FROM "${name}"`).all()) forms(row, out);
  } finally {
    db.close();
  }
  return out;
}

async function dumpPostgres(url: string): Promise<Set<string>> {
  const out = new Set<string>();
  const schema = new URL(url).searchParams.get('schema') as string;
  const base = new URL(url);
  base.search = '';
  await withPostgresClient(base.toString(), async (c) => {
    const tables = await c.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [schema],
    );
    for (const { table_name } of tables.rows) {
      for (const row of (await c.query(`SELECT * FROM "${schema}"."${table_name}"`)).rows) forms(row, out);
    }
  });
  return out;
}

async function dumpRedis(url: string): Promise<Set<string>> {
  const out = new Set<string>();
  const prefix = new URL(url).searchParams.get('prefix') as string;
  const base = new URL(url);
  base.search = '';
  const redis = new Redis(base.toString());
  try {
    for (const key of await redisKeys(redis, prefix)) {
      out.add(key);
      const type = await redis.type(key);
      if (type === 'string') forms(await redis.getBuffer(key), out);
      else if (type === 'hash') forms(await redis.hgetallBuffer(key), out);
      else if (type === 'set') forms(await redis.smembersBuffer(key), out);
      else if (type === 'zset') forms(await redis.zrangeBuffer(key, 0, -1), out);
      else if (type === 'list') forms(await redis.lrangeBuffer(key, 0, -1), out);
    }
  } finally {
    redis.disconnect();
  }
  return out;
}

describe.each(storeTargets('store dump'))('a copy of the $name store', (target) => {
  let fresh: FreshStore;
  let t: TestTicketd;
  const secrets = new Map<string, string>();
  let sealedTicket = '';

  beforeAll(async () => {
    fresh = await target.prepare();
    t = await startTestTicketd({ store: await openStore(fresh.url) });
    // An Oz app through the admin API (its key answered once), a user ticket for it.
    const created = await t.server.inject({
      method: 'POST',
      url: '/admin/v1/apps',
      headers: { authorization: `Bearer ${MASTER}` },
      payload: { id: 'com.example.dump', scope: ['mylet'] },
    });
    const app = ok<{ id: string; key: string; algorithm: string }>(created, 201);
    secrets.set('oz app key', app.key);
    const { ticket } = await userTicket(t, { ...app, tenant: 'default', scope: ['mylet'] } as never);
    sealedTicket = ticket.id as string;
    secrets.set('oz ticket key', ticket.key as string);
    for (const [id, secret] of Object.entries(t.keyring.ironPasswords())) secrets.set(`iron password ${id}`, secret);
    // Access tokens, a password, a persistent login, an opaque ticket with a payload.
    secrets.set('master token', MASTER);
    const token = ok<{ id: string }>(
      await apiJson(t, '/access_token/create', {
        application: 'dump',
        tenantPermissions: [{ tenant: 'default', allowedActions: ['MANAGE_PROFILES'] }],
      }),
    );
    secrets.set('access token', token.id);
    const p = await apiCreateProfile(t, { username: 'dump-user', password: 'correct horse battery staple' });
    secrets.set('password', p.password);
    const login = ok<{ id: string; token: string }>(
      await api(t, 'POST', `/authentication/persistent_login/create`, { profileId: p.id }),
    );
    secrets.set('persistent login token', login.token);
    secrets.set('persistent login id', login.id);
    const opaque = await createTicket(t, { payload: { card: 'PAYLOAD-SECRET-4242' } });
    secrets.set('opaque ticket', opaque);
    secrets.set('opaque payload', 'PAYLOAD-SECRET-4242');
  });
  afterAll(async () => {
    await t?.stop();
    await fresh?.cleanup();
  });

  async function dump(): Promise<Set<string>> {
    if (target.name === 'sqlite') return dumpSqlite(fresh.url.slice('sqlite:'.length));
    if (target.name === 'postgres') return dumpPostgres(fresh.url);
    return dumpRedis(fresh.url);
  }

  it('holds no secret in clear, hex or Base64, and no string of it opens, signs or authenticates anything', async () => {
    const strings = await dump();
    expect(strings.size).toBeGreaterThan(20);
    const all = [...strings].join('\n');
    for (const [name, secret] of secrets) {
      for (const form of [secret, Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('base64')]) {
        expect(all.includes(form), `${name} is in the dump`).toBe(false);
      }
    }
    // The genuine ticket opens with its password; no string of the dump opens it.
    const [current] = Object.values(t.keyring.ironPasswords());
    expect(await Iron.unseal(sealedTicket, { [t.keyring.current]: current as string }, Iron.defaults)).toBeTruthy();
    for (const candidate of strings) {
      if (candidate.length < 32) continue;
      await expect(Iron.unseal(sealedTicket, { [t.keyring.current]: candidate }, Iron.defaults)).rejects.toThrow();
      await expect(Iron.unseal(sealedTicket, candidate, Iron.defaults)).rejects.toThrow();
    }
    // Hawk: a MAC made with another key is another MAC; no string of the dump is a key.
    expect(strings.has(secrets.get('oz app key') as string)).toBe(false);
    expect(strings.has(secrets.get('oz ticket key') as string)).toBe(false);
    // No string of the dump is an access token.
    for (const candidate of strings) {
      if (candidate.length > 200) continue;
      expect(await t.identity.accessTokens.lookup(candidate), candidate).toBeNull();
    }
  });
});
