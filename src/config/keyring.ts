import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Keyring, KeyringError } from '../core/keyring.js';
import { ConfigError } from './load.js';
import type { Config } from './schema.js';

/** The file name of the keyring ticketd makes beside a SQLite database when none is configured. */
export const DEFAULT_KEYRING_NAME = 'ticketd.keyring';

/** Where the keyring of this config is, or would be made: the setting, else beside a SQLite file; none for other stores. */
export function keyringPath(config: Pick<Config, 'store' | 'keyring_file'>): string | undefined {
  if (config.keyring_file) return resolve(config.keyring_file);
  if (config.store.startsWith('sqlite:')) {
    const db = config.store.slice('sqlite:'.length) || './data/ticketd.db';
    return resolve(join(dirname(db), DEFAULT_KEYRING_NAME));
  }
  return undefined;
}

const HOW = (path: string) => `make one with \`ticketd keys generate --keyring-file ${path}\``;

/**
 * The keyring a server or a command works with (src/core/keyring.ts):
 * `keyring_file` when set (it must exist); on SQLite, ticketd.keyring beside
 * the database, made at the first start; in memory for `memory:`. PostgreSQL
 * and Redis need it set: every instance of the deployment must read the same
 * keys, which a store shared by several machines cannot hold for them.
 */
export function openKeyring(config: Pick<Config, 'store' | 'keyring_file'>): {
  keyring: Keyring;
  created: string | null;
} {
  try {
    if (config.keyring_file) {
      const path = resolve(config.keyring_file);
      if (!existsSync(path)) throw new ConfigError(`keyring_file ${path} does not exist: ${HOW(path)}`);
      return { keyring: Keyring.load(path), created: null };
    }
    if (config.store.startsWith('memory:')) return { keyring: Keyring.generate(), created: null };
    const path = keyringPath(config);
    if (!path) {
      const kind = config.store.split(':')[0];
      throw new ConfigError(
        `keyring_file is required with a ${kind} store (TICKETD_KEYRING_FILE, --keyring-file): every instance must read the same keyring; ${HOW('/etc/ticketd/ticketd.keyring')} and give it to each instance`,
      );
    }
    const { keyring, created } = Keyring.loadOrCreate(path);
    return { keyring, created: created ? path : null };
  } catch (err) {
    if (err instanceof KeyringError) throw new ConfigError(err.message);
    throw err;
  }
}
