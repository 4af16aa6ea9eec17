import { isUtf8 } from 'node:buffer';
import { ticketError } from './errors.js';

/** Deeper bodies are refused before they reach any recursive code. */
export const MAX_JSON_DEPTH = 64;

export interface ParsedTicketBody {
  body: Record<string, unknown>;
  /** The top-level `payload` value's text, compacted but otherwise as sent; undefined when absent or null. */
  payloadJson: string | undefined;
}

/** Top-level fields that must be whole numbers exactly as written, not as JSON.parse rounds them. */
const WHOLE_FIELDS = ['ttl', 'uses'] as const;

export interface ParseOptions {
  /**
   * What a `null` body means: Authen takes it for "all defaults" (the ticket
   * surface); the admin API refuses it like any other body that is not an
   * object.
   */
  nullBody?: 'defaults' | 'invalid';
}

/**
 * Parses a ticket-surface body the way Authen does: any content type is JSON,
 * an empty body (or `null`) means "all defaults", anything but an object is
 * invalid JSON. The payload keeps the exact text the client sent (numbers
 * beyond 2^53, `1.0`, escapes), as Authen's raw-JSON payload does, instead of
 * passing through JavaScript numbers and strings. `ttl` and `uses` are read
 * from their text too: `1e-400` is not 0 (which would mean "unlimited") but
 * a number that is not whole, refused like 2.5.
 */
export function parseTicketBody(raw: Buffer, options: ParseOptions = {}): ParsedTicketBody {
  if (raw.length === 0) return { body: {}, payloadJson: undefined };
  if (!isUtf8(raw)) throw ticketError('invalidJson');
  const text = raw.toString('utf8');
  const scan = scanTopLevel(text);
  if (scan.depth > MAX_JSON_DEPTH) throw ticketError('invalidJson');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw ticketError('invalidJson');
  }
  if (parsed === null && options.nullBody !== 'invalid') return { body: {}, payloadJson: undefined };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw ticketError('invalidJson');
  const body = parsed as Record<string, unknown>;
  for (const field of WHOLE_FIELDS) {
    const span = scan.values.get(field);
    if (span && typeof body[field] === 'number' && !isWholeLiteral(text.slice(span[0], span[1]).trim())) {
      // Not whole as written: a value the schema refuses as "must be a whole number" (1005), as it does 2.5.
      body[field] = 0.5;
    }
  }
  let payloadJson: string | undefined;
  const payload = scan.values.get('payload');
  if (payload) {
    payloadJson = compactJson(text.slice(payload[0], payload[1]));
    if (payloadJson === 'null') payloadJson = undefined;
  }
  return { body, payloadJson };
}

const NUMBER_LITERAL = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Whether a JSON number literal denotes a whole number exactly (`2`, `2.0`, `1e3`; not `2.5` or `1e-400`). */
export function isWholeLiteral(literal: string): boolean {
  const m = NUMBER_LITERAL.exec(literal);
  if (!m) return false;
  const fraction = m[2] ?? '';
  const digits = ((m[1] as string) + fraction).replace(/^0+/, '');
  if (digits === '' || /^0*$/.test(digits)) return true;
  const trailingZeros = digits.length - digits.replace(/0+$/, '').length;
  return Number(m[3] ?? 0) - fraction.length + trailingZeros >= 0;
}

interface Scan {
  depth: number;
  /** [start, end) of the last value of each top-level key. */
  values: Map<string, [number, number]>;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * One pass over JSON text: the greatest nesting depth, and where the value of
 * each top-level key lies. Only meaningful for text JSON.parse accepts; the
 * caller parses it too.
 */
function scanTopLevel(text: string): Scan {
  let depth = 0;
  let maxDepth = 0;
  const values = new Map<string, [number, number]>();
  let expectKey = false; // at depth 1: the next string is a key
  let lastKey: string | undefined;
  let valueStart = -1; // start of the current depth-1 value
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // string: find its end, honouring escapes
      const start = i;
      let escaped = false;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (escaped) escaped = false;
        else if (d === 0x5c) escaped = true;
        else if (d === 0x22) break;
      }
      if (depth === 1 && expectKey) {
        const rawKey = text.slice(start, i + 1);
        lastKey = rawKey.includes('\\') ? safeKey(rawKey) : rawKey.slice(1, -1);
        expectKey = false;
      }
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > maxDepth) maxDepth = depth;
      if (depth === 1) expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === 1 && valueStart >= 0) {
        if (lastKey !== undefined) values.set(lastKey, [valueStart, i]);
        valueStart = -1;
      }
      depth--;
    } else if (depth === 1) {
      if (c === 0x3a) {
        let j = i + 1;
        while (j < n && WS.has(text.charCodeAt(j))) j++;
        valueStart = j;
      } else if (c === 0x2c) {
        if (valueStart >= 0) {
          if (lastKey !== undefined) values.set(lastKey, [valueStart, i]);
          valueStart = -1;
        }
        expectKey = true;
        lastKey = undefined;
      }
    }
  }
  return { depth: maxDepth, values };
}

function safeKey(quoted: string): string | undefined {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}

/** Removes insignificant white space from JSON text, leaving strings untouched. */
export function compactJson(text: string): string {
  let out = '';
  let runStart = 0;
  const n = text.length;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (WS.has(c)) {
      out += text.slice(runStart, i);
      runStart = i + 1;
    }
  }
  return runStart === 0 ? text : out + text.slice(runStart);
}
