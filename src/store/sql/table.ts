/**
 * The tables SQLite and PostgreSQL share in shape, each written once as a
 * column spec: which record field is which column, of what type. A dialect
 * says how each type travels (SQLite: booleans 0/1, JSON as TEXT; PostgreSQL:
 * boolean, jsonb read as text, bigint read as a string), and the spec makes
 * the column lists, the INSERT and both directions of the row mapping from
 * it, so no backend restates a record field by field. The hot ticket
 * statements keep their own hand-written SQL (sqlite/tickets.ts, the
 * PostgreSQL functions of postgres/migrations.ts).
 */

export type ColumnType = 'text' | 'int' | 'bool' | 'json' | 'bytes';

/** Every field of the record: its column name and type. */
export type Columns<R> = { [K in keyof R]-?: readonly [column: string, type: ColumnType] };

export interface Dialect {
  /** A parameter's placeholder; `i` counts from 1. */
  placeholder(i: number): string;
  /** How a column reads in a SELECT list (PostgreSQL reads jsonb as text). */
  select(column: string, type: ColumnType): string;
  /** A record value as a statement parameter (never called with null). */
  toDb(type: ColumnType, value: unknown): unknown;
  /** A column value as a record value (never called with null). */
  fromDb(type: ColumnType, value: unknown): unknown;
  /** The types whose values come out of the driver as the record wants them (fromDb is not called for them). */
  readonly asIs: readonly ColumnType[];
}

export class Table<R extends object> {
  private readonly entries: [keyof R & string, string, ColumnType][];
  /** Per dialect, the row mapping made once: a converter per column, or none where the value passes as it is. */
  private readonly readers = new WeakMap<Dialect, [string, string, ((v: unknown) => unknown) | null][]>();

  constructor(
    readonly name: string,
    columns: Columns<R>,
  ) {
    this.entries = Object.entries(columns).map(([field, spec]) => {
      const [column, type] = spec as readonly [string, ColumnType];
      return [field as keyof R & string, column, type];
    });
  }

  /** The SELECT list of every column, under its column name. */
  select(d: Dialect): string {
    return this.entries.map(([, column, type]) => d.select(column, type)).join(', ');
  }

  /** `INSERT INTO <qualified name> (columns) VALUES (placeholders)`, parameters in `params` order. */
  insert(d: Dialect, qualified = this.name): string {
    const columns = this.entries.map(([, column]) => column).join(', ');
    const values = this.entries.map((_, i) => d.placeholder(i + 1)).join(', ');
    return `INSERT INTO ${qualified} (${columns}) VALUES (${values})`;
  }

  /** `UPDATE <qualified name> SET` every column `WHERE` the key's column matches: `params`, then the key's value. */
  update(d: Dialect, key: keyof R & string, qualified = this.name): string {
    const set = this.entries.map(([, column], i) => `${column} = ${d.placeholder(i + 1)}`).join(', ');
    const keyColumn = this.entries.find(([field]) => field === key)?.[1];
    return `UPDATE ${qualified} SET ${set} WHERE ${keyColumn} = ${d.placeholder(this.entries.length + 1)}`;
  }

  /** A record as the parameters of `insert`. */
  params(record: R, d: Dialect): unknown[] {
    return this.entries.map(([field, , type]) => {
      const value = record[field];
      return value === null || value === undefined ? null : d.toDb(type, value);
    });
  }

  /** A row as its record: a fresh object that shares nothing with the row. */
  record(row: Record<string, unknown>, d: Dialect): R {
    let readers = this.readers.get(d);
    if (!readers) {
      // A type whose values pass unchanged needs no call per row (a Buffer from a driver is already the row's own).
      readers = this.entries.map(([field, column, type]) => [
        field,
        column,
        d.asIs.includes(type) ? null : (v: unknown) => d.fromDb(type, v),
      ]);
      this.readers.set(d, readers);
    }
    const out: Record<string, unknown> = {};
    for (const [field, column, read] of readers) {
      const value = row[column];
      out[field] = value === null || value === undefined ? null : read ? read(value) : value;
    }
    return out as R;
  }
}
