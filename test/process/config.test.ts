import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseListen } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'ticketd-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes a config file and returns its path. */
function configFile(content: unknown): string {
  const path = join(dir, `config-${files++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The ConfigError that loading these sources throws. */
function configError(sources: Parameters<typeof loadConfig>[0]): ConfigError {
  try {
    loadConfig(sources);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(sources)}`);
}

describe('loadConfig', () => {
  it('defaults: Authen port on loopback, SQLite under ./data, single tenant', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      listen: '127.0.0.1:5200',
      store: 'sqlite:./data/ticketd.db',
      multi_tenancy: false,
      log_level: 'info',
      body_limit: 1024 * 1024,
      migrate_on_start: true,
      purge: { interval_ms: 5000, batch: 1000, max_batches: 100 },
      tenants: {},
    });
  });

  it('does not read process.env unless given it', () => {
    const before = process.env.TICKETD_LISTEN;
    process.env.TICKETD_LISTEN = '127.0.0.1:1';
    try {
      expect(loadConfig({}).listen).toBe('127.0.0.1:5200');
    } finally {
      if (before === undefined) delete process.env.TICKETD_LISTEN;
      else process.env.TICKETD_LISTEN = before;
    }
  });

  describe('environment', () => {
    it('TICKETD_LISTEN, TICKETD_STORE, TICKETD_MULTI_TENANCY', () => {
      const config = loadConfig({
        env: { TICKETD_LISTEN: '0.0.0.0:8080', TICKETD_STORE: 'memory:', TICKETD_MULTI_TENANCY: 'true' },
      });
      expect(config).toMatchObject({ listen: '0.0.0.0:8080', store: 'memory:', multi_tenancy: true });
    });

    it.each([
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['yes', true],
      ['on', true],
      ['false', false],
      ['0', false],
      ['no', false],
      ['Off', false],
    ])('TICKETD_MULTI_TENANCY=%s', (raw, value) => {
      expect(loadConfig({ env: { TICKETD_MULTI_TENANCY: raw } }).multi_tenancy).toBe(value);
    });

    it('an empty variable counts as unset', () => {
      expect(loadConfig({ env: { TICKETD_LISTEN: '', TICKETD_MULTI_TENANCY: '' } })).toMatchObject({
        listen: '127.0.0.1:5200',
        multi_tenancy: false,
      });
    });

    it('integers and nested settings', () => {
      const config = loadConfig({
        env: { TICKETD_BODY_LIMIT: '2048', TICKETD_PURGE_INTERVAL_MS: '100', TICKETD_PURGE_BATCH: '10' },
      });
      expect(config.body_limit).toBe(2048);
      expect(config.purge).toEqual({ interval_ms: 100, batch: 10, max_batches: 100 });
    });

    it('other store URLs and an IPv6 listen address', () => {
      for (const store of ['sqlite:/var/lib/ticketd.db', 'postgres://u:p@db/ticketd', 'redis://cache:6379']) {
        expect(loadConfig({ env: { TICKETD_STORE: store } }).store).toBe(store);
      }
      const config = loadConfig({ env: { TICKETD_LISTEN: '[::1]:5201' } });
      expect(parseListen(config.listen)).toEqual({ host: '::1', port: 5201 });
    });
  });

  describe('a bad value throws a ConfigError naming the setting', () => {
    it.each([
      ['TICKETD_LISTEN', 'localhost', 'listen'],
      ['TICKETD_LISTEN', '127.0.0.1:', 'listen'],
      ['TICKETD_LISTEN', '127.0.0.1:http', 'listen'],
      ['TICKETD_LISTEN', '127.0.0.1:0', 'listen'],
      ['TICKETD_LISTEN', '127.0.0.1:65536', 'listen'],
      ['TICKETD_LISTEN', '127.0.0.1:99999', 'listen'],
      ['TICKETD_STORE', 'mysql://db/ticketd', 'store'],
      ['TICKETD_STORE', './data/ticketd.db', 'store'],
      ['TICKETD_MULTI_TENANCY', 'maybe', 'TICKETD_MULTI_TENANCY'],
      ['TICKETD_LOG_LEVEL', 'loud', 'log_level'],
      ['TICKETD_BODY_LIMIT', 'lots', 'TICKETD_BODY_LIMIT'],
      ['TICKETD_BODY_LIMIT', '1.5', 'TICKETD_BODY_LIMIT'],
      ['TICKETD_BODY_LIMIT', '10', 'body_limit'],
      ['TICKETD_PURGE_BATCH', '0', 'purge.batch'],
    ])('%s=%s', (name, raw, setting) => {
      const err = configError({ env: { [name]: raw } });
      expect(err.message).toContain(setting);
      expect(err.message).toContain(name);
    });

    it('the message says where the value came from and what it was', () => {
      const err = configError({ env: { TICKETD_LISTEN: 'localhost' } });
      expect(err.message).toMatch(/^invalid setting "listen" \(from environment TICKETD_LISTEN\): .*localhost/);
    });

    it('a bad flag names the flag', () => {
      expect(configError({ env: {}, flags: { listen: 'nope' } }).message).toContain('flag --listen');
    });
  });

  describe('config file', () => {
    it('sets what it names; the rest keeps its default', () => {
      const config = loadConfig({
        file: configFile({ listen: '127.0.0.1:6000', multi_tenancy: true, tenants: { acme: { ticketMax: 10 } } }),
        env: {},
      });
      expect(config).toMatchObject({
        listen: '127.0.0.1:6000',
        multi_tenancy: true,
        store: 'sqlite:./data/ticketd.db',
        tenants: { acme: { ticketMax: 10 } },
      });
    });

    it('file < environment < flags', () => {
      const file = configFile({ listen: '127.0.0.1:6001', store: 'memory:' });
      const env = { TICKETD_LISTEN: '127.0.0.1:6002' };
      expect(loadConfig({ file, env })).toMatchObject({ listen: '127.0.0.1:6002', store: 'memory:' });
      expect(loadConfig({ file, env, flags: { listen: '127.0.0.1:6003', store: undefined } })).toMatchObject({
        listen: '127.0.0.1:6003',
        store: 'memory:',
      });
    });

    it.each([
      ['a top-level key', { listn: '127.0.0.1:5200' }, 'listn'],
      ['a camelCase spelling', { multiTenancy: true }, 'multiTenancy'],
      ['a nested key', { purge: { intervalMs: 100 } }, 'purge.intervalMs'],
    ])('an unknown setting is refused: %s', (_name, content, setting) => {
      const err = configError({ file: configFile(content), env: {} });
      expect(err.message).toContain(`"${setting}"`);
      expect(err.message).toContain('is not a known setting');
    });

    it('an unknown tenant setting is refused', () => {
      const err = configError({ file: configFile({ tenants: { acme: { ticketmax: 10 } } }), env: {} });
      expect(err.message).toContain('tenants.acme.ticketmax');
    });

    it.each([
      ['a wrong type', { multi_tenancy: 'true' }, 'multi_tenancy'],
      ['a negative tenant limit', { tenants: { acme: { ticketMax: -1 } } }, 'tenants.acme.ticketMax'],
    ])('a bad value is refused: %s', (_name, content, setting) => {
      const err = configError({ file: configFile(content), env: {} });
      expect(err.message).toContain(setting);
      expect(err.message).toContain('config file');
    });

    it.each(['a b', '', 'x'.repeat(101), 'acme/eu', 'ünï'])('a bad tenant name is refused: %j', (name) => {
      const err = configError({ file: configFile({ tenants: { [name]: { ticketMax: 1 } } }), env: {} });
      expect(err.message).toContain('is not a valid tenant name');
      expect(err.message).toContain('config file');
    });

    it('good tenant names pass', () => {
      const tenants = { acme: {}, 'acme.eu-1_b': {}, [`${'x'.repeat(100)}`]: {} };
      expect(Object.keys(loadConfig({ file: configFile({ tenants }), env: {} }).tenants)).toEqual(Object.keys(tenants));
    });

    it('a file that is not JSON, not an object, or missing', () => {
      expect(configError({ file: configFile('{"listen": '), env: {} }).message).toMatch(/not valid JSON/);
      expect(configError({ file: configFile('[]'), env: {} }).message).toMatch(/JSON object/);
      expect(configError({ file: join(dir, 'missing.json'), env: {} }).message).toMatch(/cannot read config file/);
    });
  });
});
