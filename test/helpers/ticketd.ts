import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Store } from '../../src/store/types.js';
import { createTicketd, type Ticketd } from '../../src/wire.js';

export interface TestTicketd extends Ticketd {
  clock: ManualClock;
  /** Every log line the instance wrote, as text. */
  logs(): string;
  /** Closes the instance and removes its data directory. */
  stop(): Promise<void>;
}

export interface TestOptions {
  /** Settings as in a config file (snake_case keys). */
  config?: Record<string, unknown>;
  store?: Store;
  clock?: ManualClock;
}

/**
 * A real ticketd (real server, real SQLite file in a fresh temp dir unless a
 * store is given) driven with `server.inject`, a manual clock, and a log
 * captured in memory.
 */
export async function startTestTicketd(options: TestOptions = {}): Promise<TestTicketd> {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-test-'));
  const config: Config = loadConfig({
    env: {},
    flags: { store: `sqlite:${join(dir, 'ticketd.db')}`, log_level: 'info', ...options.config },
  });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 0, 1));
  const t = await createTicketd(config, { clock, logger: pino({ level: 'info' }, sink), store: options.store });
  await t.server.ready();
  return Object.assign(t, {
    clock,
    logs: () => lines.join(''),
    stop: async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
