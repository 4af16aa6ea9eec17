import * as Iron from '@hapi/iron';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { Keyring } from '../../src/core/keyring.js';
import {
  configuredPasswords,
  GENERATED_META_KEY,
  IronKeys,
  type IronSettings,
  LEGACY_SEALED_META_KEY,
} from '../../src/oz/iron.js';
import { seal, unseal } from '../../src/oz/iron-seal.js';
import { createTicketd } from '../../src/wire.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(40);

/** The meta part IronKeys uses, in memory, with putIfAbsent's contract. */
function meta() {
  const values = new Map<string, string>();
  return {
    values,
    get: async (key: string) => values.get(key) ?? null,
    putIfAbsent: async (key: string, value: string) => {
      if (!values.has(key)) values.set(key, value);
      return values.get(key) as string;
    },
    put: async (key: string, value: string) => {
      values.set(key, value);
    },
    delete: async (key: string) => values.delete(key),
  };
}

describe('configured Iron passwords', () => {
  it('a single password is the password "default"', () => {
    expect(configuredPasswords({ iron_password: A })).toEqual({
      current: { id: 'default', secret: A },
      all: { default: A },
    });
  });

  it('a map with one password needs no current id; with several it does', () => {
    expect(configuredPasswords({ iron_passwords: { k1: A } })?.current).toEqual({ id: 'k1', secret: A });
    expect(() => configuredPasswords({ iron_passwords: { k1: A, k2: B } })).toThrow(/oz.iron_password_id/);
    expect(configuredPasswords({ iron_passwords: { k1: A, k2: B }, iron_password_id: 'k2' })?.current.id).toBe('k2');
  });

  it('refuses short secrets, bad ids, an unknown current id and both forms at once, without echoing secrets', () => {
    const cases: IronSettings[] = [
      { iron_password: 'short' },
      { iron_passwords: { k1: 'short-secret' } },
      { iron_passwords: { 'bad id': A } },
      { iron_passwords: {} },
      { iron_passwords: { k1: A }, iron_password_id: 'k2' },
      { iron_password: A, iron_passwords: { k1: B } },
      { iron_password_id: 'k1' },
    ];
    for (const settings of cases) {
      let caught: unknown;
      try {
        configuredPasswords(settings);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(settings)).toBeInstanceOf(ConfigError);
      expect(String((caught as Error).message)).not.toContain('short-secret');
      expect(String((caught as Error).message)).not.toContain(A);
    }
  });

  it('nothing configured: null', () => {
    expect(configuredPasswords({})).toBeNull();
  });
});

describe('IronKeys', () => {
  const ring = Keyring.generate();

  it('seals under the current id; old ids still unseal after a rotation; dropped ids do not', async () => {
    const m = meta();
    const before = await IronKeys.load({ iron_passwords: { k1: A } }, m, ring);
    const sealed = await before.seal({ hello: 'world' });
    expect(sealed.startsWith('Fe26.2*k1*')).toBe(true);

    const rotated = await IronKeys.load({ iron_passwords: { k1: A, k2: B }, iron_password_id: 'k2' }, m, ring);
    expect((await rotated.seal({ x: 1 })).startsWith('Fe26.2*k2*')).toBe(true);
    expect(await rotated.unseal(sealed)).toEqual({ hello: 'world' });

    const dropped = await IronKeys.load({ iron_passwords: { k2: B } }, m, ring);
    await expect(dropped.unseal(sealed)).rejects.toThrow();
  });

  it('a single password seals without an id (Fe26.2**), as Oz does', async () => {
    const keys = await IronKeys.load({ iron_password: A }, meta(), ring);
    expect((await keys.seal({ a: 1 })).startsWith('Fe26.2**')).toBe(true);
  });

  it('a map with an id "default" opens id-less seals too', async () => {
    const m = meta();
    const old = await (await IronKeys.load({ iron_password: A }, m, ring)).seal({ v: 1 });
    const map = await IronKeys.load({ iron_passwords: { default: A, k2: B }, iron_password_id: 'k2' }, m, ring);
    expect(await map.unseal(old)).toEqual({ v: 1 });
  });

  it('a tampered seal is refused', async () => {
    const keys = await IronKeys.load({ iron_password: A }, meta(), ring);
    const sealed = await keys.seal({ a: 1 });
    const parts = sealed.split('*');
    parts[4] = `${parts[4]?.slice(0, -2)}${parts[4]?.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(keys.unseal(parts.join('*'))).rejects.toThrow();
    await expect(keys.unseal('Fe26.2**garbage')).rejects.toThrow();
  });

  it('opens a seal it opened before from memory, frozen, and still refuses any variant of it', async () => {
    const keys = IronKeys.forUnsealing(A);
    const sealed = await keys.seal({ scope: ['a'], ext: { public: { n: 1 } } });
    const first = (await keys.unseal(sealed)) as { scope: string[] };
    expect(await keys.unseal(sealed)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.scope)).toBe(true);
    expect(() => first.scope.push('b')).toThrow(TypeError);
    const parts = sealed.split('*');
    parts[4] = `${parts[4]}A`;
    await expect(keys.unseal(parts.join('*'))).rejects.toThrow('Bad hmac value');
  });

  it('unconfigured: derived from the keyring, sealed under its current key id, the same on every instance', async () => {
    const one = await IronKeys.load({}, meta(), ring);
    const two = await IronKeys.load({}, meta(), ring);
    expect(one.currentId).toBe(ring.current);
    const sealed = await one.seal({ shared: true });
    expect(sealed.startsWith(`Fe26.2*${ring.current}*`)).toBe(true);
    expect(await two.unseal(sealed)).toEqual({ shared: true });
  });

  it('after a rotation the old key still unseals; once retired it does not', async () => {
    const before = await IronKeys.load({}, meta(), ring);
    const old = await before.seal({ old: true });
    const rotated = ring.rotate();
    const after = await IronKeys.load({}, meta(), rotated);
    expect(after.currentId).not.toBe(before.currentId);
    expect(await after.unseal(old)).toEqual({ old: true });
    const retired = await IronKeys.load({}, meta(), rotated.retire(ring.current));
    await expect(retired.unseal(old)).rejects.toThrow();
  });

  it("an earlier version's generated password leaves the store in clear, unseals until retired", async () => {
    const m = meta();
    const legacy = 'L'.repeat(43);
    m.values.set(GENERATED_META_KEY, legacy);
    const old = seal({ old: true }, legacy);
    const keys = await IronKeys.load({}, m, ring);
    expect(m.values.has(GENERATED_META_KEY)).toBe(false);
    const kept = m.values.get(LEGACY_SEALED_META_KEY) as string;
    expect(kept).not.toContain(legacy);
    expect(await keys.unseal(old)).toEqual({ old: true });
    // Configured passwords keep it too.
    expect(await (await IronKeys.load({ iron_password: A }, m, ring)).unseal(old)).toEqual({ old: true });
    m.values.delete(LEGACY_SEALED_META_KEY);
    await expect((await IronKeys.load({}, m, ring)).unseal(old)).rejects.toThrow();
  });
});

describe('oz settings', () => {
  it('TICKETD_OZ_IRON_PASSWORD sets oz.iron_password; a bad one is refused without being echoed', () => {
    const secret = 's'.repeat(40);
    expect(loadConfig({ env: { TICKETD_OZ_IRON_PASSWORD: secret } }).oz.iron_password).toBe(secret);
    let caught: unknown;
    try {
      loadConfig({ env: { TICKETD_OZ_IRON_PASSWORD: 'too-short-secret' } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain('oz.iron_password');
    expect((caught as Error).message).not.toContain('too-short-secret');
    expect(() => loadConfig({ flags: { oz: { iron_passwords: { k1: 'short' } } } })).toThrow(/oz.iron_passwords/);
  });

  it('both forms at once stop the start, naming the setting', async () => {
    const config = loadConfig({
      flags: { store: 'memory:', oz: { iron_password: A, iron_passwords: { k1: B } } },
    });
    await expect(createTicketd(config, { logger: pino({ level: 'silent' }), print: () => {} })).rejects.toThrow(
      /oz.iron_password.*not both/,
    );
  });

  it('defaults', () => {
    expect(loadConfig({}).oz).toEqual({
      trust_proxy: false,
      require_payload_hash: false,
      ticket_ttl: 3600,
      grant_ttl: 2_592_000,
      rsvp_ttl: 60,
    });
  });
});

describe('Iron seals (iron-seal.ts) against @hapi/iron 7', () => {
  const value = { id: 'ticket', exp: 1_795_000_000_000, scope: ['a', 'b'], ext: { public: { x: 'ü' } } };

  it('@hapi/iron opens what ticketd seals, with one secret or one named by an id', async () => {
    expect(await Iron.unseal(seal(value, A), A, Iron.defaults)).toEqual(value);
    const named = seal(value, { id: 'k2', secret: B });
    expect(named.startsWith('Fe26.2*k2*')).toBe(true);
    expect(await Iron.unseal(named, { k1: A, k2: B }, Iron.defaults)).toEqual(value);
  });

  it('ticketd opens what @hapi/iron seals, and refuses what it refuses, with its messages', async () => {
    expect(unseal(await Iron.seal(value, A, Iron.defaults), A)).toEqual(value);
    expect(unseal(await Iron.seal(value, { id: 'k1', secret: A }, Iron.defaults), { k1: A })).toEqual(value);
    expect(unseal(await Iron.seal(value, A, Iron.defaults), { default: A })).toEqual(value);

    const sealed = seal(value, A);
    const parts = sealed.split('*');
    const tamper = (i: number, to: string) => parts.map((p, j) => (j === i ? to : p)).join('*');
    const refused: [string, string, string | Record<string, string>][] = [
      ['Bad hmac value', sealed, B],
      ['Bad hmac value', tamper(4, `${parts[4]}A`), A],
      ['Bad hmac value', tamper(7, 'x'.repeat(43)), A],
      ['Wrong mac prefix', tamper(0, 'Fe26.1'), A],
      ['Incorrect number of sealed components', `${sealed}*`, A],
      ['Cannot find password: k9', seal(value, { id: 'k9', secret: A }), { k1: A }],
      ['Invalid expiration', tamper(5, 'soon'), A],
    ];
    for (const [message, variant, password] of refused) {
      expect(() => unseal(variant, password), message).toThrow(message);
      await expect(Iron.unseal(variant, password, Iron.defaults), message).rejects.toThrow(message);
    }
    expect(() => seal(value, 'short')).toThrow('Password string too short');
  });

  it('a seal with an expiry (as @hapi/iron makes with a ttl) opens until it expires, with 60 s of skew', async () => {
    const expiring = await Iron.seal(value, A, { ...Iron.defaults, ttl: 1000 });
    const expiresAt = Number(expiring.split('*')[5]);
    expect(unseal(expiring, A, expiresAt + 59_000)).toEqual(value);
    expect(() => unseal(expiring, A, expiresAt + 60_000)).toThrow('Expired seal');
  });

  it('parses like @hapi/iron: a sealed __proto__ key is refused', async () => {
    const poisoned = seal(JSON.parse('{"a":1,"__proto__":{"polluted":true}}'), A);
    expect(() => unseal(poisoned, A)).toThrow(/Failed parsing sealed object JSON/);
    await expect(Iron.unseal(poisoned, A, Iron.defaults)).rejects.toThrow(/Failed parsing sealed object JSON/);
  });
});
