import { isUtf8 } from 'node:buffer';
import { ticketErrors, validationCodes } from '../../../src/tickets/errors.js';
import { MAX_TTL, MAX_USES } from '../../../src/tickets/schemas.js';
import { type Answer, check, type FuzzRequest } from './harness.js';

/**
 * What docs/tickets.md documents, written independently of the implementation:
 * which answers a request may get, and what every answer must look like.
 */

export type TicketRoute = 'create' | 'use' | 'delete' | 'peek';

/** Compact JSON deeper than this is refused (body.ts, MAX_JSON_DEPTH). */
export const MAX_DEPTH = 64;
export const BODY_LIMIT = 1024 * 1024;

const catalog = new Map<number, { status: number; error: string }>(
  Object.values(ticketErrors).map((e) => [e.code, { status: e.status, error: e.error }]),
);
const validation = new Map<number, string>(Object.values(validationCodes).map((v) => [v.code, v.error]));

/** Error codes each route may answer with (besides 200). */
export const routeCodes: Record<TicketRoute | 'unknown', readonly number[]> = {
  create: [2003, 2004, 2005, 102002, 102003, 102009, 102010],
  use: [2003, 2004, 2005, 102002, 102003, 102011],
  delete: [2003, 2004, 2005, 102002, 102003],
  peek: [2003, 2004, 2005, 102002, 102003, 102011],
  unknown: [102001],
};

function parseJson(a: Answer): unknown {
  try {
    return JSON.parse(a.body);
  } catch {
    check(false, 'body is not JSON', a);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const keysOf = (v: Record<string, unknown>) => Object.keys(v).sort().join(',');
const isCount = (v: unknown) => v === null || (Number.isSafeInteger(v) && (v as number) >= 0);
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Never a 5xx; a request id; JSON unless said otherwise. */
export function checkEnvelope(a: Answer, contentType: 'json' | 'text' = 'json'): void {
  check(a.status < 500, `5xx answer`, a);
  check(a.status >= 200 && a.status < 500, `status ${a.status} is not a documented 2xx/4xx`, a);
  const rid = a.headers.requestid;
  check(typeof rid === 'string' && rid.length > 0, 'no RequestId header', a);
  const ct = String(a.headers['content-type'] ?? '');
  if (contentType === 'json') check(ct.startsWith('application/json'), `Content-Type is ${ct || 'missing'}`, a);
  else check(ct.startsWith('text/plain'), `Content-Type is ${ct || 'missing'}`, a);
}

/** A 4xx body: `{"code", "error"}` from the catalog, plus `invalid` exactly for 2004. */
export function checkErrorBody(a: Answer, allowed: readonly number[]): { code: number; invalid?: unknown[] } {
  const body = parseJson(a);
  check(isObj(body), 'error body is not an object', a);
  const { code, error } = body;
  check(Number.isSafeInteger(code), 'error code is not an integer', a);
  const entry = catalog.get(code as number);
  check(entry, `error code ${String(code)} is not in the catalog`, a);
  check(entry.status === a.status, `code ${String(code)} belongs with HTTP ${entry.status}`, a);
  check(error === entry.error, `error text for ${String(code)} should be ${JSON.stringify(entry.error)}`, a);
  check(allowed.includes(code as number), `code ${String(code)} is not documented here (allowed: ${allowed})`, a);
  if (code !== 2004) {
    check(keysOf(body) === 'code,error', `extra fields in a ${String(code)} body`, a);
    return { code: code as number };
  }
  check(keysOf(body) === 'code,error,invalid', 'a 2004 body has exactly code, error, invalid', a);
  const invalid = body.invalid;
  check(Array.isArray(invalid) && invalid.length >= 1 && invalid.length <= 20, 'invalid[] has 1..20 entries', a);
  for (const e of invalid) {
    check(isObj(e) && keysOf(e) === 'code,data,error,field', 'invalid[] entry is {field, code, error, data}', a);
    check(typeof e.field === 'string' && e.field.length > 0, 'invalid[].field is a non-empty string', a);
    check(validation.has(e.code as number), `invalid[].code ${String(e.code)} is not a validation code`, a);
    check(typeof e.error === 'string' && e.error.length > 0, 'invalid[].error is a string', a);
    check(e.data === null || isObj(e.data), 'invalid[].data is null or an object', a);
  }
  return { code: 2004, invalid };
}

/** A 200 of a ticket route has that route's documented shape. */
export function checkTicketSuccess(route: TicketRoute, a: Answer, knownLive: boolean): void {
  check(a.status === 200, `expected 200`, a);
  const body = parseJson(a);
  check(isObj(body), '200 body is an object', a);
  switch (route) {
    case 'create':
      check(keysOf(body) === 'ticket', 'create answers {ticket}', a);
      check(typeof body.ticket === 'string' && /^[A-Za-z0-9+/]{27}$/.test(body.ticket), 'ticket is 27 Base64', a);
      break;
    case 'use':
      check(keysOf(body) === 'payload,uses', 'use answers {uses, payload}', a);
      check(isCount(body.uses), 'uses is null or a count', a);
      break;
    case 'delete':
      check(keysOf(body) === 'deleted,uses', 'delete answers {uses, deleted}', a);
      check(body.deleted === 0 || body.deleted === 1, 'deleted is 0 or 1', a);
      check(isCount(body.uses), 'uses is null or a count', a);
      if (body.deleted === 0) check(body.uses === null, 'nothing deleted: uses is null', a);
      if (!knownLive) check(body.deleted === 0, 'a ticket never issued cannot be deleted', a);
      break;
    case 'peek':
      check(keysOf(body) === 'created,expires,uses', 'peek answers {uses, expires, created}', a);
      check(isCount(body.uses), 'uses is null or a count', a);
      check(body.expires === null || (typeof body.expires === 'string' && ISO.test(body.expires)), 'expires', a);
      check(typeof body.created === 'string' && ISO.test(body.created), 'created is ISO', a);
      break;
  }
}

/** The documented set only: any 200 of the right shape, or an error code of the route. */
export function checkTicketAnswerLoosely(route: TicketRoute, a: Answer): void {
  checkEnvelope(a);
  if (a.status === 200) checkTicketSuccess(route, a, true);
  else checkErrorBody(a, routeCodes[route]);
}

// ---- the exact expectation -------------------------------------------------

interface ExpectedInvalid {
  field: string;
  code: number;
  error: string;
  data: Record<string, unknown> | null;
}

/** What a ticket-route request must get; `alsoInvalidJson` when the content type may be refused as such. */
export interface Expectation {
  outcomes: ReadonlyArray<number>; // 200 or error codes
  invalid?: ExpectedInvalid[];
  /** For a 200 of use/peek/delete: the ticket is one the server issued (it may be live). */
  knownLive?: boolean;
  why: string;
}

export interface Tenancy {
  multi: boolean;
  /** Tenants that exist; true when it has limits (102009/102010 possible). */
  tenants: Record<string, boolean>;
}

function headerValue(headers: FuzzRequest['headers'], name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(', ') : v;
  }
  return undefined;
}

/**
 * Bracket nesting of JSON text, outside strings. The limit applies to the text
 * as sent, so a deep value that a later duplicate key replaces still counts.
 */
function textDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') max = Math.max(max, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return max;
}

const codePoints = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

function invalid(field: string, rule: keyof typeof validationCodes, data: Record<string, unknown> | null) {
  const { code, error } = validationCodes[rule];
  const text = data ? error.replace(/\{(\w+)\}/g, (_, k: string) => String(data[k])) : error;
  return { field, code, error: text, data };
}

/**
 * docs/tickets.md: ttl and uses are whole numbers *as written*; `1e-400` is not
 * 0 even though JSON.parse makes it so. Whether every literal the text gives a
 * key is whole: true/false, or undefined when the key's literals disagree
 * (a nested object may repeat the key) and the answer is not knowable here.
 */
function literalsWhole(text: string, key: string): boolean | undefined {
  // A key may be written with \u escapes: each character either as itself or escaped.
  const hex = (c: string) => [...c.charCodeAt(0).toString(16)].map((h) => `[${h}${h.toUpperCase()}]`).join('');
  const name = [...key].map((c) => `(?:${c}|\\\\u00${hex(c)})`).join('');
  const found = [...text.matchAll(new RegExp(`"${name}"\\s*:\\s*(-?[0-9][0-9.eE+-]*)`, 'g'))].map((m) =>
    wholeDecimal(m[1] as string),
  );
  if (found.length === 0) return true;
  return found.every((w) => w === found[0]) ? found[0] : undefined;
}

/** Exact decimal arithmetic on the literal: move the point, see whether non-zero digits stay behind it. */
function wholeDecimal(literal: string): boolean {
  const [mantissa = '', exp = '0'] = literal.replace(/^-/, '').split(/[eE]/);
  const [int = '', frac = ''] = mantissa.split('.');
  const shift = Number(exp);
  const digits = int + frac;
  const point = int.length + shift; // digits before the point once shifted
  if (point >= digits.length) return true;
  return /^0*$/.test(digits.slice(Math.max(point, 0)));
}

function countRule(field: string, v: unknown, max: number, whole = true): ExpectedInvalid | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || !whole) return invalid(field, 'integer', null);
  if (v < 0) return invalid(field, 'min', { min: 0 });
  if (v > max) return invalid(field, 'max', { max });
  return undefined;
}

function ticketRule(v: unknown): ExpectedInvalid | undefined {
  if (v === undefined) return invalid('ticket', 'required', null);
  if (typeof v !== 'string') return invalid('ticket', 'string', null);
  const n = codePoints(v);
  if (n < 1 || n > 200) return invalid('ticket', 'stringLength', { min: 1, max: 200 });
  if (!/^[A-Za-z0-9+/]*={0,2}$/u.test(v)) return invalid('ticket', 'base64', null);
  return undefined;
}

/**
 * The answer docs/tickets.md prescribes for a ticket-route request, or undefined
 * when the request's framing headers (Content-Length, Transfer-Encoding) make
 * it unknowable; then only the route's documented set is checked.
 */
export function expectTicket(
  route: TicketRoute,
  req: FuzzRequest,
  sent: string | Buffer | undefined,
  tenancy: Tenancy,
  issuedIn: (tenant: string) => ReadonlySet<string>,
): Expectation | undefined {
  let tenant = 'default';
  if (tenancy.multi) {
    const project = headerValue(req.headers, 'project');
    if (project === undefined || project === '') return { outcomes: [102002], why: 'no Project header' };
    if (!Object.hasOwn(tenancy.tenants, project)) {
      return { outcomes: [102003], why: 'unknown project' };
    }
    tenant = project;
  }
  if (headerValue(req.headers, 'content-length') !== undefined) return undefined;
  if (headerValue(req.headers, 'transfer-encoding') !== undefined) return undefined;

  const raw = sent === undefined ? Buffer.alloc(0) : Buffer.isBuffer(sent) ? sent : Buffer.from(sent, 'utf8');
  if (raw.length > BODY_LIMIT) return { outcomes: [2005], why: 'body over the limit' };
  let body: Record<string, unknown> = {};
  if (raw.length > 0) {
    if (!isUtf8(raw)) return { outcomes: [2003], why: 'not UTF-8' };
    const text = raw.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { outcomes: [2003], why: 'not JSON' };
    }
    if (textDepth(text) > MAX_DEPTH) return { outcomes: [2003], why: 'nested too deep' };
    if (parsed !== null) {
      if (!isObj(parsed)) return { outcomes: [2003], why: 'not an object' };
      body = parsed;
    }
  }
  const own = (k: string) => (Object.hasOwn(body, k) ? body[k] : undefined);

  if (route === 'create') {
    const text = raw.toString('utf8');
    const ttlWhole = literalsWhole(text, 'ttl');
    const usesWhole = literalsWhole(text, 'uses');
    if (ttlWhole === undefined || usesWhole === undefined) return undefined;
    const bad = [
      countRule('ttl', own('ttl'), MAX_TTL, ttlWhole),
      countRule('uses', own('uses'), MAX_USES, usesWhole),
    ].filter((e): e is ExpectedInvalid => e !== undefined);
    if (bad.length > 0) return { outcomes: [2004], invalid: bad, why: 'bad ttl/uses' };
    return tenancy.tenants[tenant]
      ? { outcomes: [200, 102009, 102010], why: 'valid create, limited tenant' }
      : { outcomes: [200], why: 'valid create' };
  }
  const bad = ticketRule(own('ticket'));
  if (bad) return { outcomes: [2004], invalid: [bad], why: 'bad ticket' };
  const knownLive = issuedIn(tenant).has(own('ticket') as string);
  if (route === 'delete') return { outcomes: [200], knownLive, why: 'delete always answers 200' };
  return knownLive
    ? { outcomes: [200, 102011], knownLive, why: 'issued ticket' }
    : { outcomes: [102011], knownLive, why: 'never issued' };
}

/** Checks an answer against the expectation (or loosely, when there is none). */
export function checkTicketAnswer(
  route: TicketRoute,
  a: Answer,
  expected: Expectation | undefined,
  oddContentType: boolean,
): void {
  if (!expected) {
    checkTicketAnswerLoosely(route, a);
    return;
  }
  checkEnvelope(a);
  const outcomes = oddContentType && a.status === 400 ? [...expected.outcomes, 2003] : expected.outcomes;
  if (a.status === 200) {
    check(outcomes.includes(200), `expected ${outcomes} (${expected.why})`, a);
    checkTicketSuccess(route, a, expected.knownLive ?? true);
    return;
  }
  const got = checkErrorBody(a, routeCodes[route]);
  check(outcomes.includes(got.code), `expected ${outcomes} (${expected.why})`, a);
  if (got.code === 2004 && expected.invalid) {
    check(
      JSON.stringify(got.invalid) === JSON.stringify(expected.invalid),
      `invalid[] should be ${JSON.stringify(expected.invalid)}`,
      a,
    );
  }
}

/** An unknown route: 404 102001, whatever else the request carries. */
export function checkNotFound(a: Answer, method: string): void {
  checkEnvelope(a);
  check(a.status === 404, 'unknown route answers 404', a);
  if (method === 'HEAD') {
    check(a.body === '', 'HEAD answers have no body', a);
    return;
  }
  const { code } = checkErrorBody(a, routeCodes.unknown);
  check(code === 102001, 'unknown route answers 102001', a);
}
