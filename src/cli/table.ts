import type { CliColumn } from '../admin/operation.js';

/**
 * Plain-text tables for `ticketd admin`: a list as aligned columns, a record
 * as `key  value` lines. Values read as people expect (times in ISO 8601
 * UTC, lists comma-separated, `-` for none); control characters are escaped,
 * so that no stored name can drive the operator's terminal.
 */

/** Fields holding epoch milliseconds. */
const TIME_KEYS = new Set(['createdAt', 'createdOn', 'lastModified', 'expiresOn', 'lockedUntil']);

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function text(s: string): string {
  return CONTROL.test(s) ? JSON.stringify(s).slice(1, -1) : s;
}

function permissions(value: unknown[]): string {
  return value
    .map((p) => {
      const { tenant, allowedActions } = p as { tenant: string; allowedActions: string[] };
      return `${tenant}:${allowedActions.join(',')}`;
    })
    .join(' ');
}

/** One value as a table cell. */
export function formatValue(key: string, value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (TIME_KEYS.has(key) && typeof value === 'number') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? String(value) : d.toISOString();
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return '-';
    if (key === 'tenantPermissions') return text(permissions(value));
    if (value.every((v) => typeof v !== 'object' || v === null)) return text(value.map(String).join(','));
    return text(JSON.stringify(value));
  }
  if (typeof value === 'object') return text(JSON.stringify(value));
  return text(String(value));
}

const width = (s: string) => [...s].length;
const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - width(s)));

/** Rows as aligned columns under a header line. */
export function renderTable(columns: readonly CliColumn[], rows: readonly Record<string, unknown>[]): string {
  const cells = rows.map((row) => columns.map((c) => formatValue(c.key, row[c.key])));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((r) => width(r[i] as string))));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : pad(v, widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/** A record as `key  value` lines, in the record's key order. */
export function renderRecord(record: Record<string, unknown>): string {
  const keys = Object.keys(record);
  const w = Math.max(0, ...keys.map(width));
  return keys.map((k) => `${pad(k, w)}  ${formatValue(k, record[k])}`.trimEnd()).join('\n');
}
