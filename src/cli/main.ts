#!/usr/bin/env -S node --max-semi-space-size=8
import { parseArgs } from 'node:util';
import { openKeyring } from '../config/keyring.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { KeyringError } from '../core/keyring.js';
import { sealAppKeys } from '../oz/app-keys.js';
import { openStore } from '../store/open.js';
import { tracingFromEnv } from '../telemetry/tracing.js';
import { VERSION } from '../version.js';
import { startTicketd } from '../wire.js';
import { runAdminCli } from './admin.js';
import { runKeysCli } from './keys.js';

const HELP = `ticketd ${VERSION} — a ticket authority

Usage:
  ticketd serve   [--config FILE] [--listen HOST:PORT] [--store URL]
  ticketd migrate [--config FILE] [--store URL]
  ticketd admin   <resource> <verb> [--flags] [--json] [--config FILE] [--store URL]
  ticketd keys    generate | list | rotate | retire ID | iron-passwords [--keyring-file FILE]
  ticketd --help | --version

Options:
  --config FILE        JSON config file (see docs/operations.md)
  --listen HOST:PORT   address to listen on            [TICKETD_LISTEN, default 127.0.0.1:5200]
  --store URL          sqlite:PATH | postgres://… | redis://… | memory:   [TICKETD_STORE, default sqlite:./data/ticketd.db]
  --keyring-file FILE  the keyring (required with PostgreSQL and Redis)   [TICKETD_KEYRING_FILE]

Every setting can also come from the environment (TICKETD_*); flags win over
the environment, which wins over the config file.`;

const COMMAND_HELP: Record<string, string> = {
  serve: `Usage: ticketd serve [--config FILE] [--listen HOST:PORT] [--store URL]

Serves every surface. SIGTERM or SIGINT: stop accepting, finish in-flight
requests, close the store, exit 0.`,
  migrate: `Usage: ticketd migrate [--config FILE] [--store URL]

Applies pending schema migrations to the configured store and prints the
schema version. The server also does this at start unless migrate_on_start is false.`,
};

// The bin is one bundled file (scripts/bundle.mjs): stack traces in logs name the TypeScript sources.
process.setSourceMapsEnabled(true);

async function main(argv: string[]): Promise<number> {
  // Its flags come from the admin operation table (src/admin/operations.ts); it parses them itself.
  if (argv[0] === 'admin') return runAdminCli(argv.slice(1));
  if (argv[0] === 'keys') {
    const io = { out: (t: string) => console.log(t), err: (t: string) => console.error(t) };
    return runKeysCli(argv.slice(1), io, process.env);
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      listen: { type: 'string' },
      store: { type: 'string' },
      'keyring-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  const command = positionals[0];
  if (values.version) {
    console.log(VERSION);
    return 0;
  }
  if (values.help || !command) {
    console.log((command && COMMAND_HELP[command]) || HELP);
    return command || values.help ? 0 : 2;
  }
  const config = loadConfig({
    file: values.config ?? process.env.TICKETD_CONFIG,
    env: process.env,
    flags: { listen: values.listen, store: values.store, keyring_file: values['keyring-file'] },
  });

  switch (command) {
    case 'serve': {
      const t = await startTicketd(config, { tracing: await tracingFromEnv(process.env, VERSION) });
      const stop = (signal: string) => {
        t.logger.info({ signal, drainMs: config.http.shutdown_timeout_ms }, 'shutting down');
        // Whatever holds on past the drain (a store that does not answer), the process ends.
        setTimeout(() => {
          t.logger.warn('shutdown took too long; exiting');
          t.logger.flush();
          process.exit(1);
        }, config.http.shutdown_timeout_ms + 5000).unref();
        t.close().then(
          () => process.exit(0),
          (err) => {
            console.error(err);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      return -1; // keep running
    }
    case 'migrate': {
      const { keyring } = openKeyring(config);
      const store = await openStore(config.store);
      await store.migrate();
      await sealAppKeys(store.apps, keyring);
      console.log(JSON.stringify({ store: store.kind, schemaVersion: await store.schemaVersion() }));
      await store.close();
      return 0;
    }
    default:
      console.error(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (
      err instanceof ConfigError ||
      err instanceof KeyringError ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`ticketd: ${(err as Error).message}`);
      process.exitCode = 2;
    } else {
      console.error('ticketd: failed to start:', err instanceof Error ? err.message : err);
      process.exitCode = 1;
    }
    // A store client still trying to connect (ioredis retries for ever) must not keep a failed start alive.
    process.exit();
  },
);
