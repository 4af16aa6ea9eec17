import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { keyringPath, openKeyring } from '../config/keyring.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { Keyring } from '../core/keyring.js';
import { LEGACY_ID, LEGACY_SEALED_META_KEY } from '../oz/iron.js';
import { openStore } from '../store/open.js';

export const KEYS_HELP = `Usage: ticketd keys <command> [--keyring-file FILE] [--config FILE] [--store URL]

The keyring seals every secret ticketd keeps in the store (Oz app keys,
webhook secrets) and derives the Iron passwords of Oz tickets; it is never in
the store. Keep it secret, back it up, and give every instance the same file.

Commands:
  generate        make a new keyring (refuses to replace one)
  list            its keys: id, when made, which is current (never the secrets)
  rotate          add a key and make it current: new seals use it, older keys still open
                  what they sealed. Restart every instance to use it: at start (and on
                  \`ticketd migrate\`) app keys are sealed again under the current key.
  retire ID       remove a key (not the current one) once every instance runs on the
                  rotated keyring: Oz tickets and rsvps sealed under it open no more.
                  \`retire ${LEGACY_ID}\` removes the Iron password an earlier ticketd
                  generated (it needs the store). Restart every instance.
  iron-passwords  print the Iron passwords by id, as JSON, for resource servers that open
                  tickets themselves (OzResource)

The keyring file: --keyring-file, TICKETD_KEYRING_FILE, keyring_file; with a
SQLite store, ticketd.keyring beside the database file.`;

export interface KeysIo {
  out(text: string): void;
  err(text: string): void;
}

export async function runKeysCli(argv: string[], io: KeysIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'keyring-file': { type: 'string' },
      config: { type: 'string' },
      store: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    (values.help ? io.out : io.err)(KEYS_HELP);
    return values.help ? 0 : 2;
  }
  const config = loadConfig({
    file: values.config ?? env.TICKETD_CONFIG,
    env,
    flags: { store: values.store, keyring_file: values['keyring-file'] },
  });
  const path = keyringPath(config);
  switch (command) {
    case 'generate': {
      if (!path) throw new ConfigError('name the file: --keyring-file FILE (or TICKETD_KEYRING_FILE)');
      if (existsSync(path)) throw new ConfigError(`${path} exists: ticketd keys generate never replaces a keyring`);
      const { keyring } = Keyring.loadOrCreate(path);
      io.out(`made ${path} (mode 0600) with key ${keyring.current}: keep it secret, back it up`);
      return 0;
    }
    case 'list': {
      const { keyring } = openKeyring(config);
      for (const k of keyring.list()) io.out(`${k.id}  ${k.created}${k.current ? '  current' : ''}`);
      return 0;
    }
    case 'rotate': {
      const next = openKeyring(config).keyring.rotate();
      next.save();
      io.out(`${next.current} is the current key; restart every instance to seal with it`);
      return 0;
    }
    case 'retire': {
      if (!arg) throw new ConfigError('which key? ticketd keys retire ID (ticketd keys list shows them)');
      if (arg === LEGACY_ID) {
        const store = await openStore(config.store);
        try {
          const gone = await store.meta.delete(LEGACY_SEALED_META_KEY);
          io.out(gone ? `retired ${LEGACY_ID}: restart every instance` : `no ${LEGACY_ID} in this store`);
        } finally {
          await store.close();
        }
        return 0;
      }
      const next = openKeyring(config).keyring.retire(arg);
      next.save();
      io.out(`retired ${arg}: what it sealed opens no more once every instance restarted`);
      return 0;
    }
    case 'iron-passwords': {
      io.out(JSON.stringify(openKeyring(config).keyring.ironPasswords(), null, 2));
      return 0;
    }
    default:
      io.err(`ticketd keys: unknown command "${command}"\n\n${KEYS_HELP}`);
      return 2;
  }
}
