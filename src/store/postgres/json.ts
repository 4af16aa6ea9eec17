/**
 * JSON values in jsonb columns (profile roles and attributes, access-token
 * permissions). jsonb cannot hold every string a JavaScript value may
 * contain: it refuses U+0000 (PostgreSQL text cannot hold it) and lone
 * surrogates (JSON.stringify writes them as `\udXXX` escapes, which jsonb
 * rejects). Those characters are stored escaped behind U+FFFF, a
 * noncharacter, in keys and string values alike:
 *
 *   U+0000 -> U+FFFF "0"   U+FFFF -> U+FFFF "1"   lone surrogate -> U+FFFF "2" + 4 hex digits
 *
 * A value without any of them (every value in practice) is stored as it is,
 * so the database holds plain JSON that SQL can query; only text that
 * contains U+FFFF is decoded on the way out.
 */

/** What JSON.stringify writes for a character that needs escaping (or, rarely, a literal backslash sequence alike). */
const MAY_NEED_ESCAPING = /\\u0000|\\ud[89a-f]|\uffff/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is the character this escapes
const SPECIAL = /\u0000|\uffff|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ESCAPED = /\uffff(?:([01])|2([0-9a-f]{4}))/g;

/** The jsonb text to store for a JSON-compatible value. */
export function toJsonb(value: unknown): string {
  const text = JSON.stringify(value);
  if (!MAY_NEED_ESCAPING.test(text)) return text;
  return JSON.stringify(mapStrings(JSON.parse(text), escapeString));
}

/** The value of jsonb text read back (`column::text`): a fresh copy, decoded. */
export function fromJsonb<T>(text: string): T {
  const value: unknown = JSON.parse(text);
  return (text.includes('\uffff') ? mapStrings(value, unescapeString) : value) as T;
}

function escapeString(s: string): string {
  return s.replace(SPECIAL, (c) => {
    if (c === '\u0000') return '\uffff0';
    if (c === '\uffff') return '\uffff1';
    return `\uffff2${c.charCodeAt(0).toString(16)}`;
  });
}

function unescapeString(s: string): string {
  return s.replace(ESCAPED, (_, d: string | undefined, hex: string | undefined) => {
    if (d === '0') return '\u0000';
    if (d === '1') return '\uffff';
    return String.fromCharCode(Number.parseInt(hex ?? '', 16));
  });
}

/** The parsed JSON value with every key and string mapped. */
function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties: a "__proto__" key stays a key.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [f(k), mapStrings(v, f)]));
  }
  return value;
}
