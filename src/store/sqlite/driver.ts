import { createRequire } from 'node:module';

/**
 * The SQLite driver under the store: better-sqlite3 where it is installed and
 * loads (an optional dependency: it compiles at install time), else Node's
 * own `node:sqlite` (Node >= 22.13), which needs no install step at all
 * (docs/decisions.md, "Runs where operators run things"). Both are
 * synchronous; this is the few calls the store makes, with the same answers
 * whichever runs: BLOBs as Buffers, errors with SQLite's own code names.
 * `TICKETD_SQLITE_DRIVER` picks one.
 */

export type SqliteDriverName = 'better-sqlite3' | 'node:sqlite';

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface SqliteStatement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqliteConnection {
  readonly driver: SqliteDriverName;
  readonly open: boolean;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  /** `PRAGMA text`; its rows. */
  pragma(text: string): unknown[];
  /** Runs `f` in one `BEGIN IMMEDIATE` transaction: committed when it returns, rolled back when it throws. */
  immediate<T>(f: () => T): T;
  close(): void;
}

const require = createRequire(import.meta.url);

/** The drivers this process can load, best first. */
function loadable(): SqliteDriverName[] {
  const out: SqliteDriverName[] = [];
  try {
    // Loading the module is not enough: its compiled part must match this Node.
    const Better = require('better-sqlite3') as typeof import('better-sqlite3');
    new Better(':memory:').close();
    out.push('better-sqlite3');
  } catch {
    // Not installed, or built for another Node: the built-in one serves.
  }
  if (nodeSqlite()) out.push('node:sqlite');
  return out;
}

function nodeSqlite(): typeof import('node:sqlite') | undefined {
  // Node 22 calls the module experimental on first load: a line on every start that helps no operator.
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: never[]) => {
    if (!String(warning).includes('SQLite')) emitWarning.call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return process.getBuiltinModule?.('node:sqlite') as typeof import('node:sqlite') | undefined;
  } catch {
    return undefined;
  } finally {
    process.emitWarning = emitWarning;
  }
}

let available: SqliteDriverName[] | undefined;

/** The driver `wanted` names (`auto`: the first that loads), or an error that says what is missing. */
export function sqliteDriver(wanted: string = process.env.TICKETD_SQLITE_DRIVER || 'auto'): SqliteDriverName {
  available ??= loadable();
  if (wanted === 'auto') {
    const first = available[0];
    if (first) return first;
    throw new Error('sqlite: neither better-sqlite3 nor node:sqlite is available (node:sqlite needs Node >= 22.13)');
  }
  if (wanted !== 'better-sqlite3' && wanted !== 'node:sqlite') {
    throw new Error(`sqlite: unknown driver "${wanted}" (better-sqlite3, node:sqlite or auto)`);
  }
  if (!available.includes(wanted)) throw new Error(`sqlite: the ${wanted} driver does not load in this Node`);
  return wanted;
}

export interface OpenOptions {
  /** Reads only (tests and tools looking into a store). */
  readonly?: boolean;
}

/** Opens `path` (`:memory:` for memory) with the driver. */
export function openSqlite(
  path: string,
  options: OpenOptions = {},
  driver: SqliteDriverName = sqliteDriver(),
): SqliteConnection {
  return driver === 'better-sqlite3' ? openBetter(path, options) : openNode(path, options);
}

/** For a worker thread: JavaScript that defines `open(path)` → an object with `pragma(text)` and `close()`. */
export function workerOpenSource(driver: SqliteDriverName): string {
  return driver === 'better-sqlite3'
    ? `const Better = require(${JSON.stringify(require.resolve('better-sqlite3'))});
       const open = (path) => new Better(path, { fileMustExist: true });`
    : `const { DatabaseSync } = require('node:sqlite');
       const open = (path) => {
         const db = new DatabaseSync(path);
         return { pragma: (text) => db.exec('PRAGMA ' + text), close: () => db.close() };
       };`;
}

function openBetter(path: string, options: OpenOptions): SqliteConnection {
  const Better = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Better(path, { readonly: options.readonly === true });
  // One wrapper transaction, reused: better-sqlite3 nests a call inside another as a savepoint.
  const txn = db.transaction((f: () => unknown) => f());
  return {
    driver: 'better-sqlite3',
    get open() {
      return db.open;
    },
    prepare: (sql) => db.prepare(sql) as unknown as SqliteStatement,
    exec: (sql) => {
      db.exec(sql);
    },
    pragma: (text) => db.pragma(text) as unknown[],
    immediate: <T>(f: () => T) => txn.immediate(f) as T,
    close: () => db.close(),
  };
}

/** SQLite's primary result codes by number, for the ones ticketd tells apart (the rest keep `SQLITE_ERROR`). */
const CODES: Record<number, string> = {
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  19: 'SQLITE_CONSTRAINT',
  26: 'SQLITE_NOTADB',
};

/** node:sqlite's error, with better-sqlite3's `code` (e.g. SQLITE_BUSY). */
function named(err: unknown): unknown {
  const e = err as { code?: unknown; errcode?: unknown };
  if (e && e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') {
    e.code = CODES[e.errcode & 0xff] ?? 'SQLITE_ERROR';
  }
  return err;
}

/** BLOB columns come back as Uint8Array: made Buffers (same memory), as better-sqlite3 answers them. */
function buffers<T>(row: T): T {
  if (row === undefined || row === null) return row;
  const r = row as Record<string, unknown>;
  for (const k in r) {
    const v = r[k];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) r[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  return row;
}

function openNode(path: string, options: OpenOptions): SqliteConnection {
  const { DatabaseSync } = nodeSqlite() as typeof import('node:sqlite');
  let db: InstanceType<typeof DatabaseSync>;
  try {
    db = new DatabaseSync(path === '' ? ':memory:' : path, { readOnly: options.readonly === true });
  } catch (err) {
    throw named(err);
  }
  let open = true;
  let depth = 0;
  // Its overloads (positional or named parameters) as one loose signature each.
  type Loose = {
    run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
  };
  const statement = (sql: string): SqliteStatement => {
    let s: Loose;
    try {
      s = db.prepare(sql) as unknown as Loose;
    } catch (err) {
      throw named(err);
    }
    return {
      run: (...params) => {
        try {
          const r = s.run(...params);
          return { changes: Number(r.changes), lastInsertRowid: r.lastInsertRowid };
        } catch (err) {
          throw named(err);
        }
      },
      get: (...params) => {
        try {
          return buffers(s.get(...params));
        } catch (err) {
          throw named(err);
        }
      },
      all: (...params) => {
        try {
          return s.all(...params).map(buffers);
        } catch (err) {
          throw named(err);
        }
      },
    };
  };
  const exec = (sql: string) => {
    try {
      db.exec(sql);
    } catch (err) {
      throw named(err);
    }
  };
  return {
    driver: 'node:sqlite',
    get open() {
      return open;
    },
    prepare: statement,
    exec,
    pragma: (text) => statement(`PRAGMA ${text}`).all(),
    immediate: <T>(f: () => T): T => {
      // Nested: a savepoint, as better-sqlite3 does.
      const name = `ticketd_${depth}`;
      const outer = depth === 0;
      exec(outer ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${name}`);
      depth++;
      const undo = () => {
        try {
          db.exec(outer ? 'ROLLBACK' : `ROLLBACK TO ${name}; RELEASE ${name}`);
        } catch {
          // SQLite may have rolled back already (a failed COMMIT, a full disk).
        }
      };
      let value: T;
      try {
        value = f();
      } catch (err) {
        depth--;
        undo();
        throw err;
      }
      depth--;
      try {
        exec(outer ? 'COMMIT' : `RELEASE ${name}`);
      } catch (err) {
        undo();
        throw err;
      }
      return value;
    },
    close: () => {
      if (!open) return;
      open = false;
      db.close();
    },
  };
}
