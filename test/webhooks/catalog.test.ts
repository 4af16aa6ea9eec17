import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventCatalog } from '../../src/webhooks/catalog.js';

/** docs/events.md's event table is the catalog of src/webhooks/catalog.ts: types, when, data fields and types. */
const docs = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');

interface JsonSchema {
  type?: string;
  const?: unknown;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
}

const typeOf = (s: JsonSchema): string =>
  s.anyOf ? s.anyOf.map(typeOf).join(' \\| ') : s.const !== undefined ? JSON.stringify(s.const) : String(s.type);

describe('event catalog', () => {
  it('docs/events.md lists exactly the catalog, with when and the data fields', () => {
    const start = docs.indexOf('## Event catalog');
    const lines = docs.slice(start).split('\n');
    const first = lines.findIndex((l) => l.startsWith('| type'));
    const rows: string[] = [];
    for (const line of lines.slice(first + 2)) {
      if (!line.startsWith('|')) break;
      rows.push(line);
    }
    const expected = Object.entries(eventCatalog).map(([type, e]) => {
      const fields = Object.entries((e.data as JsonSchema).properties ?? {}).map(
        ([name, schema]) => `\`${name}\` (${typeOf(schema)})`,
      );
      return `| \`${type}\` | ${e.when} | ${fields.join(', ')} |`;
    });
    expect(rows).toEqual(expected);
  });
});
