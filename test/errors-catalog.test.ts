import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ticketErrors, validationCodes } from '../src/tickets/errors.js';

const docs = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

/** Rows of the first markdown table after a heading. */
function table(heading: string): string[][] {
  const start = docs.indexOf(heading);
  if (start < 0) throw new Error(`docs/errors.md has no section "${heading}"`);
  const lines = docs.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}
const source = sourceFiles(new URL('../src', import.meta.url).pathname)
  .filter((f) => !/\/[a-z]+\/errors\.ts$/.test(f) || f.includes('/http/'))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

describe('ticket surface error catalog', () => {
  const rows = table('## Ticket surface');

  it('docs list exactly the catalog, with the same status, code and message', () => {
    const documented = Object.fromEntries(rows.map(([status, code, name, error]) => [name, { status, code, error }]));
    const catalog = Object.fromEntries(
      Object.entries(ticketErrors).map(([name, e]) => [
        name,
        { status: String(e.status), code: String(e.code), error: e.error },
      ]),
    );
    expect(documented).toEqual(catalog);
  });

  it('every catalog entry is raised somewhere in the code', () => {
    for (const name of Object.keys(ticketErrors)) {
      expect(source, `ticketErrors.${name} is raised nowhere`).toMatch(new RegExp(`ticketError\\('${name}'`));
    }
  });

  it('codes are unique', () => {
    const codes = Object.values(ticketErrors).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('validation codes match the docs', () => {
    const documented = Object.fromEntries(
      table('### Validation codes').map(([code, rule, error]) => [rule, { code: Number(code), error }]),
    );
    expect(documented).toEqual(validationCodes);
  });
});
