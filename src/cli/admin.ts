import type { TSchema } from '@sinclair/typebox';
import {
  type AdminOperation,
  type AdminServices,
  type CliFlag,
  coerceFields,
  executeOperation,
  type RawValue,
} from '../admin/operation.js';
import { ADMIN_OPERATIONS } from '../admin/operations.js';
import { openKeyring } from '../config/keyring.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { AuditLog } from '../core/audit.js';
import { type Clock, systemClock } from '../core/clock.js';
import { Events } from '../core/events.js';
import { createIdentity, type IdentityOptions } from '../core/identity.js';
import type { Keyring } from '../core/keyring.js';
import { Tenants } from '../core/tenants.js';
import { ApiError } from '../http/api-error.js';
import { OzAdmin } from '../oz/admin.js';
import { sealAppKeys } from '../oz/app-keys.js';
import { openStore } from '../store/open.js';
import { type Store, StoreUnavailableError } from '../store/types.js';
import { WebhookEndpoints } from '../webhooks/endpoints.js';
import { Subscriptions } from '../webhooks/subscriptions.js';
import { runPurgeCli } from './purge.js';
import { renderRecord, renderTable } from './table.js';

/**
 * `ticketd admin <resource> <verb> [--flags]`: the admin API's operations,
 * run directly on the configured store (so a deployment can be set up
 * before any server runs). Commands, flags and help are generated from
 * `ADMIN_OPERATIONS`, the table the HTTP routes come from; both run through
 * `executeOperation`, so they validate and answer alike.
 *
 * Flags: `--camel-case` for each parameter `camelCase`; booleans as `--flag`,
 * `--flag=false` or `--no-flag`; lists by repeating the flag; records as JSON.
 * Output: a table (lists) or `key  value` lines (records); `--json` prints
 * the API's JSON instead. Exit status: 0 done, 1 the operation failed
 * (not found, exists, store unavailable...), 2 a usage or validation error.
 */

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface AdminCliOptions {
  io?: CliIo;
  env?: NodeJS.ProcessEnv;
  /** Use this store instead of the configured one (tests); it is left open. */
  store?: Store;
  /** Use this keyring instead of the configured one (tests). */
  keyring?: Keyring;
  clock?: Clock;
  identity?: IdentityOptions;
}

const PROG = 'ticketd admin';

/** Exit status of a usage or validation error. */
const USAGE = 2;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

// ---- flags from the operation table ---------------------------------------------------------

interface FlagSpec {
  param: string;
  flag: string;
  boolean: boolean;
  repeatable: boolean;
  required: boolean;
  value: string;
  help: string;
  custom?: CliFlag;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

interface SchemaInfo {
  type?: string;
  anyOf?: SchemaInfo[];
  items?: SchemaInfo;
  description?: string;
  pattern?: string;
}

function metavar(s: SchemaInfo): string {
  if (s.anyOf) return s.anyOf.map(metavar).join('|');
  switch (s.type) {
    case 'integer':
    case 'number':
      return 'N';
    case 'null':
      return 'null';
    case 'boolean':
      return '';
    case 'array':
      return s.items && s.items.type !== 'object' ? metavar(s.items) : 'JSON';
    case 'object':
      return 'JSON';
    default:
      return s.pattern?.includes('\\d{4}-') ? 'ISO-DATE' : 'TEXT';
  }
}

function flagSpecs(op: AdminOperation): FlagSpec[] {
  const required = new Set(op.params.required ?? []);
  return Object.entries(op.params.properties).map(([param, schema]: [string, TSchema]) => {
    const s = schema as SchemaInfo;
    const custom = op.cli?.flags?.[param];
    const repeatable = custom?.repeatable ?? (s.type === 'array' && s.items?.type !== 'object');
    return {
      param,
      flag: custom?.flag ?? kebab(param),
      boolean: !custom && s.type === 'boolean',
      repeatable,
      required: required.has(param),
      value: custom?.value ?? metavar(s),
      help: custom?.help ?? s.description ?? '',
      ...(custom ? { custom } : {}),
    };
  });
}

// ---- help --------------------------------------------------------------------------------------

const resources = () => [...new Set(ADMIN_OPERATIONS.map((op) => op.resource))];
const verbsOf = (resource: string) => ADMIN_OPERATIONS.filter((op) => op.resource === resource);

function adminHelp(): string {
  const rows = resources().map((r) => {
    const ops = verbsOf(r);
    const verbs = ops.map((op) => op.verb).join(' | ');
    return `  ${r.padEnd(14)}${verbs}${ops.length === 1 ? '   (the verb may be left out)' : ''}`;
  });
  return `Usage: ${PROG} <resource> <verb> [--flags] [--json] [--config FILE] [--store URL] [--keyring-file FILE]

Administers ticketd directly on the configured store: the operations of the
admin API (/admin/v1), without a server running. Prints tables; --json prints
the admin API's JSON, for scripts.

Resources and verbs:
${rows.join('\n')}
  purge         (no verb) remove every expired record now, reporting each batch
  master-token  rotate: a new master token in place of the first start's (or the last rotation's), shown once

Options:
  --json          print JSON instead of tables
  --config FILE   JSON config file                 [TICKETD_CONFIG]
  --store URL     sqlite:PATH | postgres://... | redis://...   [TICKETD_STORE, default sqlite:./data/ticketd.db]
  --keyring-file FILE   the keyring                [TICKETD_KEYRING_FILE; with SQLite, ticketd.keyring beside the file]
  --help, -h      this help; \`${PROG} <resource> --help\` lists its verbs and their flags

Examples:
  ${PROG} tenant create --name acme --ticket-max 1000
  ${PROG} profile create --tenant acme --username alice --password 's3cret' --email alice@example.com
  ${PROG} access-token create --application backoffice --master
  ${PROG} stats --json

Exit status: 0 done; 1 the operation failed (not found, exists, store unavailable); 2 bad usage or values.`;
}

async function runPurge(argv: string[], io: CliIo, env: NodeJS.ProcessEnv, options: AdminCliOptions): Promise<number> {
  try {
    return await runPurgeCli(argv, {
      io,
      env,
      ...(options.store ? { store: options.store } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  } catch (err) {
    const usage = err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    io.err(`${PROG} purge: ${err instanceof Error ? err.message : String(err)}`);
    return usage ? USAGE : 1;
  }
}

/**
 * `ticketd admin master-token rotate`: a new master token in place of the
 * one of the first start (or of the last rotation), which stops working;
 * the new one is printed once, on stderr.
 */
async function runMasterTokenRotate(
  argv: string[],
  io: CliIo,
  env: NodeJS.ProcessEnv,
  options: AdminCliOptions,
): Promise<number> {
  const usage = `Usage: ${PROG} master-token rotate [--config FILE] [--store URL] [--keyring-file FILE]`;
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(
      `${usage}\n\nMakes a new master access token and deletes the one made at the first start (or by the\nlast rotation); other master tokens stay. The new token is printed once, on stderr.`,
    );
    return 0;
  }
  try {
    if (argv[0] !== 'rotate') throw new UsageError(`${usage}`);
    const { globals } = readFlags(argv.slice(1), []);
    const { config, keyring, store } = await openConfigured(globals, env, options);
    try {
      if (config.migrate_on_start) await store.migrate();
      const clock = options.clock ?? systemClock;
      const identity = createIdentity(store, keyring, new Tenants(store.tenants, clock), clock, new Events());
      const id = await identity.accessTokens.rotateMasterToken();
      io.err(`ticketd: new master access token (printed this once; keep it safe): ${id}`);
      io.err(`${PROG}: the previous master token no longer works (each instance forgets it within a second)`);
      return 0;
    } finally {
      if (!options.store) await store.close();
    }
  } catch (err) {
    io.err(`${PROG} master-token: ${err instanceof Error ? err.message : String(err)}`);
    return err instanceof UsageError || err instanceof ConfigError ? USAGE : 1;
  }
}

function usageLine(op: AdminOperation): string {
  const flags = flagSpecs(op).map((f) => {
    const one = f.boolean ? `--${f.flag}` : `--${f.flag} ${f.value}`;
    return f.required ? one : `[${one}]${f.repeatable ? '...' : ''}`;
  });
  return [`${PROG} ${op.resource} ${op.verb}`, ...flags].join(' ');
}

function operationHelp(op: AdminOperation): string {
  const lines = [usageLine(op), `  ${op.summary}.${op.description ? ` ${op.description}` : ''}`];
  lines.push(`  HTTP: ${op.method} /admin/v1${op.path}`);
  for (const f of flagSpecs(op)) {
    const name = f.boolean ? `--${f.flag}[=false]` : `--${f.flag} ${f.value}`;
    const notes = [f.required ? '(required)' : '', f.repeatable ? '(repeatable)' : '', f.help].filter(Boolean);
    lines.push(`    ${name.padEnd(34)} ${notes.join(' ')}`.trimEnd());
  }
  return lines.join('\n');
}

function resourceHelp(resource: string): string {
  return [
    `Usage: ${PROG} ${resource} <verb> [--flags] [--json]`,
    '',
    ...verbsOf(resource).flatMap((op) => [operationHelp(op), '']),
    'Common flags: --json, --config FILE, --store URL (see `ticketd admin --help`).',
  ].join('\n');
}

// ---- argv ---------------------------------------------------------------------------------------

const GLOBAL_VALUE_FLAGS = new Set(['--config', '--store']);

interface Located {
  resource: string | undefined;
  verb: string | undefined;
  /** Every other argument, in order. */
  rest: string[];
  help: boolean;
}

/**
 * Finds `<resource> [verb]`: the resource is the first argument that is not
 * a global flag (or its value); the verb, the argument right after it unless
 * that is a flag. The operation's own flags come after them.
 */
function locate(argv: string[]): Located {
  const rest: string[] = [];
  let resource: string | undefined;
  let verb: string | undefined;
  let help = false;
  let i = 0;
  for (; i < argv.length && resource === undefined; i++) {
    const a = argv[i] as string;
    if (a === '-h' || a === '--help') help = true;
    else if (GLOBAL_VALUE_FLAGS.has(a)) {
      rest.push(a);
      if (i + 1 < argv.length) rest.push(argv[++i] as string);
    } else if (a.startsWith('-')) rest.push(a);
    else resource = a;
  }
  if (resource !== undefined && i < argv.length && !(argv[i] as string).startsWith('-')) verb = argv[i++];
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-h' || a === '--help') help = true;
    else rest.push(a);
  }
  return { resource, verb, rest, help };
}

interface Globals {
  json: boolean;
  config: string | undefined;
  store: string | undefined;
  'keyring-file': string | undefined;
}

/** The configuration the flags and environment name, its keyring and its store (or the test's own). */
async function openConfigured(globals: Globals, env: NodeJS.ProcessEnv, options: AdminCliOptions) {
  const config = loadConfig({
    file: globals.config ?? env.TICKETD_CONFIG,
    env,
    flags: { store: globals.store, keyring_file: globals['keyring-file'] },
  });
  const keyring = options.keyring ?? openKeyring(config).keyring;
  const store = options.store ?? (await openStore(config.store));
  return { config, keyring, store };
}

/**
 * Reads the arguments after `<resource> <verb>` (and global flags before
 * them): `--flag value` or `--flag=value`; a boolean flag alone means true,
 * and takes the next argument only when it is `true` or `false`;
 * `--no-flag` is false.
 */
function readFlags(args: string[], specs: FlagSpec[]): { globals: Globals; values: Map<FlagSpec, string[]> } {
  const globals: Globals = { json: false, config: undefined, store: undefined, 'keyring-file': undefined };
  const values = new Map<FlagSpec, string[]>();
  for (let i = 0; i < args.length; i++) {
    const token = args[i] as string;
    if (!token.startsWith('--') || token.length === 2) throw new UsageError(`unexpected argument "${token}"`);
    const eq = token.indexOf('=');
    const name = eq < 0 ? token.slice(2) : token.slice(2, eq);
    const attached = eq < 0 ? undefined : token.slice(eq + 1);
    const value = (): string => {
      if (attached !== undefined) return attached;
      const next = args[i + 1];
      if (next === undefined) throw new UsageError(`${token} needs a value`);
      if (next.startsWith('--')) {
        throw new UsageError(`${token} needs a value (write ${token}=VALUE for one that starts with --)`);
      }
      i++;
      return next;
    };
    const flag = (): string => {
      if (attached !== undefined) return attached;
      const next = args[i + 1];
      if (next === 'true' || next === 'false') {
        i++;
        return next;
      }
      return 'true';
    };
    if (name === 'json') {
      const v = flag();
      if (v !== 'true' && v !== 'false') throw new UsageError('--json is true or false');
      globals.json = v === 'true';
      continue;
    }
    if (name === 'config' || name === 'store' || name === 'keyring-file') {
      globals[name] = value();
      continue;
    }
    let spec = specs.find((s) => s.flag === name);
    let v: string;
    if (spec) v = spec.boolean ? flag() : value();
    else {
      spec =
        name.startsWith('no-') && attached === undefined
          ? specs.find((s) => s.boolean && s.flag === name.slice(3))
          : undefined;
      if (!spec) throw new UsageError(`unknown flag --${name}`);
      v = 'false';
    }
    const seen = values.get(spec) ?? [];
    if (seen.length > 0 && !spec.repeatable) throw new UsageError(`--${spec.flag} is given more than once`);
    seen.push(v);
    values.set(spec, seen);
  }
  return { globals, values };
}

/** The operation's parameters from its flags, typed as the operation's schema says. */
function inputFrom(op: AdminOperation, values: Map<FlagSpec, string[]>): Record<string, unknown> {
  const raw: Record<string, RawValue> = {};
  const custom: Record<string, unknown> = {};
  for (const [spec, list] of values) {
    if (spec.custom) custom[spec.param] = spec.custom.parse(list);
    else raw[spec.param] = spec.repeatable ? list : (list[0] as string);
  }
  return { ...coerceFields(op.params, raw), ...custom };
}

// ---- output -----------------------------------------------------------------------------------

function render(op: AdminOperation, result: unknown): string {
  const view = op.cli?.view;
  if (view) {
    const table = renderTable(view.columns, view.rows(result));
    return view.footer ? `${table}\n${view.footer(result)}` : table;
  }
  return renderRecord(result as Record<string, unknown>);
}

function describeError(e: ApiError, op: AdminOperation, json: boolean): string {
  if (json) return JSON.stringify(e.body);
  const b = e.body as { code: number; error: string; detail?: string; invalid?: { field: string; error: string }[] };
  const head = `${PROG}: ${b.error} (${b.code})${b.detail ? `: ${b.detail}` : ''}`;
  if (!b.invalid) return head;
  const specs = flagSpecs(op);
  const lines = b.invalid.map((f) => {
    const [root, ...rest] = f.field.split('.');
    const spec = specs.find((s) => s.param === root);
    const name = spec ? `--${spec.flag}${rest.length > 0 ? ` (${rest.join('.')})` : ''}` : `--${kebab(f.field)}`;
    return `  ${name}: ${f.error}`;
  });
  return [head, ...lines, `see: ${PROG} ${op.resource} ${op.verb} --help`].join('\n');
}

// ---- the command ---------------------------------------------------------------------------------

/** Runs `ticketd admin ...argv`; resolves to the exit status. */
export async function runAdminCli(argv: string[], options: AdminCliOptions = {}): Promise<number> {
  const io = options.io ?? processIo;
  const env = options.env ?? process.env;
  // Not an operation of the admin API: the server purges by itself; this is the manual, reporting run.
  if (argv[0] === 'purge') return runPurge(argv.slice(1), io, env, options);
  if (argv[0] === 'master-token') return runMasterTokenRotate(argv.slice(1), io, env, options);
  let op: AdminOperation | undefined;
  /** The help to point at after a usage error. */
  let helpFor = PROG;
  let json = false;
  try {
    const { resource, verb, rest, help } = locate(argv);
    if (resource === undefined) {
      if (help) {
        io.out(adminHelp());
        return 0;
      }
      io.err(adminHelp());
      return USAGE;
    }
    const ops = verbsOf(resource);
    if (ops.length === 0) throw new UsageError(`unknown resource "${resource}" (${resources().join(', ')})`);
    helpFor = `${PROG} ${resource}`;
    if (verb === undefined) {
      if (help || ops.length > 1) {
        (help ? io.out : io.err)(resourceHelp(resource));
        return help ? 0 : USAGE;
      }
      op = ops[0] as AdminOperation;
    } else {
      op = ops.find((o) => o.verb === verb);
      if (!op) throw new UsageError(`unknown verb "${verb}" for ${resource} (${ops.map((o) => o.verb).join(', ')})`);
    }
    if (help) {
      io.out(operationHelp(op));
      return 0;
    }
    const { globals, values } = readFlags(rest, flagSpecs(op));
    json = globals.json;
    const input = inputFrom(op, values);

    const { config, keyring, store } = await openConfigured(globals, env, options);
    try {
      if (config.store.startsWith('memory:') && !options.store) {
        io.err(`${PROG}: memory store: nothing done here is kept after this command`);
      }
      if (config.migrate_on_start) await store.migrate();
      await sealAppKeys(store.apps, keyring);
      const clock = options.clock ?? systemClock;
      const tenants = new Tenants(store.tenants, clock);
      await tenants.ensureDefault();
      // Changes made here raise webhook events as the server's do (docs/events.md).
      const subscriptions = new Subscriptions(store);
      // A store not migrated yet has no endpoints to read: the change raises nothing.
      await subscriptions.refresh().catch(() => []);
      const services: AdminServices = {
        identity: createIdentity(store, keyring, tenants, clock, new Events(), { ...options.identity, subscriptions }),
        oz: new OzAdmin(store, keyring, clock, subscriptions),
        webhooks: new WebhookEndpoints(store, keyring, clock, subscriptions),
        audit: new AuditLog(store, clock, subscriptions),
      };
      const result = await executeOperation(op, services, input, { actor: 'cli', address: null });
      io.out(json ? JSON.stringify(result, null, 2) : render(op, result));
      if (op.cli?.notice && !json) io.err(op.cli.notice);
      return 0;
    } finally {
      if (!options.store) await store.close();
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${PROG}: ${err.message}\n(see ${helpFor} --help)`);
      return USAGE;
    }
    if (err instanceof ConfigError) {
      io.err(`${PROG}: ${err.message}`);
      return USAGE;
    }
    if (err instanceof ApiError && op) {
      io.err(describeError(err, op, json));
      return err.body.code === 2004 ? USAGE : 1;
    }
    if (err instanceof StoreUnavailableError) {
      io.err(`${PROG}: store unavailable: ${err.message}`);
      return 1;
    }
    io.err(`${PROG}: failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
