import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { type Clock, systemClock } from '../core/clock.js';
import { Events } from '../core/events.js';
import { PURGE_KINDS, type PurgeKind, Purger } from '../core/purge.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { Subscriptions } from '../webhooks/subscriptions.js';

/**
 * `ticketd admin purge`: removes every expired record now (what the
 * server's background purge does a bounded bit at a time), batch after
 * batch, saying what each batch removed as it goes (stderr), then a summary
 * (stdout; `--json` for scripts).
 */
export const PURGE_HELP = `Usage: ticketd admin purge [--batch N] [--json] [--config FILE] [--store URL]

Removes every expired record from the configured store now: opaque tickets,
profile sessions (login tickets, persistent logins), Oz grants, Hawk nonces. Works batch by
batch (--batch records per store call, default the config's purge.batch),
reporting each batch on stderr as it goes; prints what it removed in all.
Safe beside running servers: each batch is one atomic store step.`;

export interface PurgeIo {
  out(text: string): void;
  err(text: string): void;
}

const fmt = (n: number) => n.toLocaleString('en-US');

export async function runPurgeCli(
  argv: string[],
  options: { io: PurgeIo; env: NodeJS.ProcessEnv; store?: Store; clock?: Clock },
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      batch: { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
      store: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    options.io.out(PURGE_HELP);
    return 0;
  }
  const config = loadConfig({
    file: values.config ?? options.env.TICKETD_CONFIG,
    env: options.env,
    flags: { store: values.store },
  });
  const batch = values.batch === undefined ? config.purge.batch : Number(values.batch);
  if (!Number.isSafeInteger(batch) || batch < 1) {
    options.io.err(`ticketd admin purge: --batch must be a whole number >= 1, got "${values.batch}"`);
    return 2;
  }
  const store = options.store ?? (await openStore(config.store));
  try {
    if (config.migrate_on_start) await store.migrate();
    // The tickets it removes raise ticket.expired as the server's purge does (docs/events.md).
    const subscriptions = new Subscriptions(store);
    await subscriptions.refresh().catch(() => []);
    const purger = new Purger(
      store,
      options.clock ?? systemClock,
      new Events(),
      {
        intervalMs: config.purge.interval_ms,
        batch,
        // Until nothing expired is left.
        maxBatches: Number.MAX_SAFE_INTEGER,
      },
      undefined,
      subscriptions,
    );
    const removed = Object.fromEntries(PURGE_KINDS.map((k) => [k, 0])) as Record<PurgeKind, number>;
    const started = performance.now();
    await purger.runOnce((kind, n) => {
      if (n === 0) return;
      removed[kind] += n;
      options.io.err(`purge: ${kind}: ${fmt(n)} removed (${fmt(removed[kind])} so far)`);
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const total = PURGE_KINDS.reduce((n, k) => n + removed[k], 0);
    options.io.out(
      values.json
        ? JSON.stringify({ removed, total, seconds: Number(seconds) }, null, 2)
        : `removed ${fmt(total)} expired records in ${seconds} s: ${PURGE_KINDS.map((k) => `${fmt(removed[k])} ${k}`).join(', ')}`,
    );
    return 0;
  } finally {
    if (!options.store) await store.close();
  }
}
