import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Keyring } from '../../src/core/keyring.js';
import type { Store } from '../../src/store/types.js';
import type { Tracing } from '../../src/telemetry/tracing.js';
import { createTicketd, type Ticketd } from '../../src/wire.js';
import { OpenApiCheck } from './openapi-check.js';
import { testKeyringFile } from './process.js';

/** The test clock's start. */
export const T0 = Date.UTC(2026, 0, 1);
/** The master token of every test instance (unless told otherwise). */
export const MASTER = 'test-master-token-0123456789abcdef';
/** scrypt cost for tests: the same code path, a fraction of the time. */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface TestTicketd extends Ticketd {
  clock: ManualClock;
  /** Delays the lockout asked for, in ms, in order (unless `realSleep`). */
  sleeps: number[];
  /** Lines printed on "stdout" (a generated master token). */
  printed: string[];
  /** Every log line the instance wrote, as text. */
  logs(): string;
  /** Closes the instance and removes its data directory. */
  stop(): Promise<void>;
}

export interface TestOptions {
  /** Settings as in a config file (snake_case keys). */
  config?: Record<string, unknown>;
  /** A store of the test's own instead of a SQLite file in a fresh directory. */
  store?: Store;
  clock?: ManualClock;
  /** No master_token in the config (a first start then generates and prints one). */
  noMasterToken?: boolean;
  /** Real lockout sleeps (timing tests). */
  realSleep?: boolean;
  scrypt?: { N: number; r: number; p: number };
  /** A keyring of the test's own (else the one configured: beside the database, or the tests' shared one). */
  keyring?: Keyring;
  /** OpenTelemetry tracing (src/telemetry/tracing.ts). */
  tracing?: Tracing;
}

/** The document's checker, built once per test process: every instance serves the same document. */
let openApi: Promise<OpenApiCheck> | undefined;

/**
 * The one way tests run a ticketd in-process: the real server on a real
 * store — a SQLite file in a fresh temporary directory, or SQLite in memory
 * with TICKETD_TEST_STORE=memory, unless a store is given — driven with
 * `server.inject`, with a manual clock, cheap scrypt, a lockout sleep that
 * records instead of waiting, the master token MASTER and the log captured
 * in memory. The surfaces' helpers (tickets/client.ts, profile/support.ts,
 * oz/support.ts, admin/support.ts) call it.
 */
export async function startTestTicketd(options: TestOptions = {}): Promise<TestTicketd> {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-test-'));
  const memory = process.env.TICKETD_TEST_STORE === 'memory';
  const config: Config = loadConfig({
    env: {},
    flags: {
      store: memory ? 'memory:' : `sqlite:${join(dir, 'ticketd.db')}`,
      log_level: 'info',
      ...(options.noMasterToken ? {} : { master_token: MASTER }),
      // Every test instance and process shares one keyring, as the instances of a deployment do.
      keyring_file: testKeyringFile(),
      ...options.config,
    },
  });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const clock = options.clock ?? new ManualClock(T0);
  const sleeps: number[] = [];
  const printed: string[] = [];
  const t = await createTicketd(config, {
    clock,
    logger: pino({ level: 'info' }, sink),
    store: options.store,
    keyring: options.keyring,
    tracing: options.tracing,
    print: (line) => printed.push(line),
    identity: {
      scrypt: options.scrypt ?? TEST_SCRYPT,
      ...(options.realSleep ? {} : { sleep: async (ms: number) => void sleeps.push(ms) }),
    },
  });
  await t.server.ready();
  // Every answer the test receives is checked against /openapi.json (openapi-check.ts).
  openApi ??= OpenApiCheck.of(t.server);
  (await openApi).watch(t.server);
  return Object.assign(t, {
    clock,
    sleeps,
    printed,
    logs: () => lines.join(''),
    stop: async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
