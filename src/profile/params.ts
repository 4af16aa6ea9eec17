import { isUtf8 } from 'node:buffer';
import { jsonTextDepth, unrepresentableNumber } from '../http/json-text.js';
import { profileError } from './errors.js';

/**
 * Crafter's clients send parameters in the query string or as an
 * `application/x-www-form-urlencoded` body; ticketd also takes a JSON
 * object body. Whichever way they come, a route sees one flat object:
 * a single string per parameter (the first one given; the query string
 * comes first, as in Crafter's servlet container), and a list of strings
 * for the repeatable ones (`role`, `attributeToReturn`), which may also be
 * comma-separated as Crafter's documentation shows them.
 */

export type Params = Record<string, string | string[]>;

export const REPEATABLE = new Set(['role', 'attributeToReturn']);

/** Deeper JSON bodies are refused before they are parsed. */
export const MAX_JSON_DEPTH = 64;

/** A form body: every name with all its values, in order. */
export function parseForm(text: string): Record<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(text)) {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return Object.fromEntries(out);
}

const malformed = (message: string) => profileError('paramDeserialization', message);

/** A JSON body: an object (or nothing). */
export function parseJsonBody(raw: Buffer): Record<string, unknown> | undefined {
  if (raw.length === 0) return undefined;
  if (!isUtf8(raw)) throw malformed('Request body is not valid UTF-8');
  const text = raw.toString('utf8');
  if (jsonTextDepth(text) > MAX_JSON_DEPTH) throw malformed(`JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed('Request body is not valid JSON');
  }
  if (value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw malformed('JSON body must be an object');
  refuseUnrepresentable(text, 'JSON body');
  return value as Record<string, unknown>;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return undefined;
}

function collect(into: Map<string, string[]>, source: unknown): void {
  if (typeof source !== 'object' || source === null) return;
  for (const [key, value] of Object.entries(source)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      const t = text(v);
      if (t === undefined) continue;
      const list = into.get(key);
      if (list) list.push(t);
      else into.set(key, [t]);
    }
  }
}

/** Query string and body parameters as one object (see above). */
export function mergeParams(query: unknown, body: unknown): Params {
  const all = new Map<string, string[]>();
  collect(all, query);
  collect(all, body);
  const out = new Map<string, string | string[]>();
  for (const [key, values] of all) {
    if (REPEATABLE.has(key)) {
      out.set(
        key,
        values.flatMap((v) =>
          v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        ),
      );
    } else out.set(key, values[0] as string);
  }
  return Object.fromEntries(out);
}

/** A boolean parameter as Spring reads one: true/false, on/off, yes/no, 1/0, in any case. */
export function parseBool(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === 'true' || v === 'on' || v === 'yes' || v === '1') return true;
  if (v === 'false' || v === 'off' || v === 'no' || v === '0') return false;
  throw malformed(`Parameter "${name}" must be true or false`);
}

/** A parameter holding a JSON object as text (`attributes`). */
export function parseJsonObject(name: string, value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (jsonTextDepth(value) > MAX_JSON_DEPTH) throw malformed(`Parameter "${name}" is nested too deeply`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw malformed(`Parameter "${name}" is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw malformed(`Parameter "${name}" must be a JSON object`);
  }
  refuseUnrepresentable(value, `Parameter "${name}"`);
  return parsed as Record<string, unknown>;
}

/** A number JavaScript would turn into 0 or Infinity (a limit of `1e-400` must not read "no limit"). */
function refuseUnrepresentable(text: string, what: string): void {
  const literal = unrepresentableNumber(text);
  if (literal !== undefined) throw malformed(`${what} holds a number out of range: ${literal.slice(0, 40)}`);
}
