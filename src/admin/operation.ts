import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import type { Activity } from '../core/activity.js';
import type { AuditActor, AuditLog } from '../core/audit.js';
import { DomainError } from '../core/domain-error.js';
import type { Identity } from '../core/identity.js';
import { ApiError } from '../http/api-error.js';
import { checker } from '../http/schema-check.js';
import type { OzAdmin } from '../oz/admin.js';
import { ticketError, type ValidationRule, validationCodes } from '../tickets/errors.js';
import type { InvalidField } from '../tickets/validation.js';
import type { WebhookEndpoints } from '../webhooks/endpoints.js';
import {
  type AdminErrorName,
  type AdminValidationRule,
  adminError,
  adminFromDomain,
  adminValidationCodes,
} from './errors.js';

/**
 * One administrative operation, described once. The HTTP plugin
 * (`plugin.ts`) makes a route of it and the CLI (`src/cli/admin.ts`) a
 * command, both through `executeOperation`: the same parameters, the same
 * validation, the same code, the same errors. Operations act as ticketd
 * itself (SYSTEM_ACTOR): whoever reaches one has already proven to be an
 * administrator (a master token on HTTP, access to the store on the CLI).
 */

export type AdminResource =
  | 'tenant'
  | 'profile'
  | 'access-token'
  | 'app'
  | 'grant'
  | 'webhook'
  | 'audit'
  | 'stats'
  | 'activity';

/** What operations work with: the domain services, never the store itself. */
export interface AdminServices {
  identity: Identity;
  oz: OzAdmin;
  webhooks: WebhookEndpoints;
  /** Where every change made through an operation is recorded (docs/admin.md, "Audit log"). */
  audit?: AuditLog;
  /** What a running server's tickets did lately; absent on the CLI, which runs beside no server. */
  activity?: Activity;
}

/** A CLI flag that does not follow the generic mapping (camelCase name → --kebab-case flag). */
export interface CliFlag {
  /** Flag name without the dashes. */
  flag: string;
  /** How the value reads in help, e.g. `TENANT:ACTION[,ACTION...]`. */
  value: string;
  help: string;
  repeatable?: boolean;
  /** Turns the flag's values (in order) into the parameter's value; validation follows. */
  parse(values: string[]): unknown;
}

/** A column of the CLI's table for a list: a key of each row, and how it reads. */
export interface CliColumn {
  header: string;
  key: string;
}

/** How the CLI shows a result as a table; without one, a record is shown as `key  value` lines. */
export interface CliView {
  /** The rows of the table (records of a list). */
  rows(result: unknown): Record<string, unknown>[];
  columns: readonly CliColumn[];
  /** A line under the table (totals, paging). */
  footer?(result: unknown): string;
}

export interface AdminOperation<P extends TObject = TObject, R extends TSchema = TSchema> {
  resource: AdminResource;
  /** The CLI verb: `ticketd admin <resource> <verb>`. */
  verb: string;
  summary: string;
  description?: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path under /admin/v1; `:name` segments are parameters of `params`. */
  path: string;
  /** Status of a success (201 for creates). */
  status?: 200 | 201;
  /**
   * Every input, wherever it travels: path segments, and the query string
   * (GET, DELETE) or the JSON body (POST, PATCH) on HTTP; flags on the CLI.
   */
  params: P;
  result: R;
  /** The admin errors this operation can answer besides the common ones (auth, 2003, 2004, 2005, 2006). */
  errors: readonly AdminErrorName[];
  cli?: {
    flags?: Readonly<Record<string, CliFlag>>;
    view?: CliView;
    /** Printed on stderr after a success (e.g. "shown once"). */
    notice?: string;
  };
  run(services: AdminServices, params: Static<P>): Promise<Static<R>>;
}

/** Keeps an operation's parameter and result types while it is written, then erases them for the table. */
export const defineOperation = <P extends TObject, R extends TSchema>(op: AdminOperation<P, R>): AdminOperation =>
  op as unknown as AdminOperation;

/** Names of the path parameters, in order (`/tenants/:name` → `name`). */
export function pathParams(op: AdminOperation): string[] {
  return [...op.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
}

// ---- strings to values --------------------------------------------------------

export type RawValue = string | string[];

interface JsonSchema {
  type?: string | string[];
  anyOf?: TSchema[];
  items?: TSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
}

const isScalar = (s: JsonSchema | undefined): boolean =>
  s !== undefined && !s.anyOf && ['string', 'integer', 'number', 'boolean', 'null'].includes(String(s.type));

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One value from text (a query string, a path segment, a CLI flag) as its schema's type; left as it is when it does not read. */
function coerce(schema: TSchema, raw: RawValue): unknown {
  const s = schema as JsonSchema;
  if (s.anyOf) {
    for (const member of s.anyOf) {
      const value = coerce(member, raw);
      if (Value.Check(member, value)) return value;
    }
    return raw;
  }
  if (s.type === 'array') {
    const list = Array.isArray(raw) ? raw : [raw];
    const items = s.items;
    if (items && isScalar(items as JsonSchema)) return list.map((v) => coerce(items, v));
    // Lists of records come as one JSON text.
    return list.length === 1 ? parseJson(list[0] as string) : list;
  }
  if (Array.isArray(raw)) return raw.length === 1 ? coerce(schema, raw[0] as string) : raw;
  switch (s.type) {
    case 'integer':
    case 'number':
      return /^-?\d{1,30}$/.test(raw) ? Number(raw) : raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'null':
      return raw === 'null' ? null : raw;
    case 'object':
      return parseJson(raw);
    default:
      return raw;
  }
}

/** Text fields (query string, path, CLI flags) as the typed parameters of `schema`; unknown names are kept for validation to refuse. */
export function coerceFields(schema: TObject, raw: Record<string, RawValue | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const prop = Object.hasOwn(schema.properties, name) ? schema.properties[name] : undefined;
    Object.defineProperty(out, name, {
      value: prop ? coerce(prop, value) : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

// ---- validation -------------------------------------------------------------------

/** At most this many fields are listed in `invalid[]`, as on the ticket surface. */
const MAX_INVALID = 20;
/** Longest field name echoed back (an unknown field may be any key). */
const MAX_FIELD_LENGTH = 200;

function fieldOf(path: string): string {
  const field = path
    .replace(/^\//, '')
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');
  return field.length > MAX_FIELD_LENGTH ? `${field.slice(0, MAX_FIELD_LENGTH)}...` : field;
}

function entry(
  field: string,
  rule: { code: number; error: string },
  data: Record<string, unknown> | null = null,
): InvalidField {
  const error = data ? rule.error.replace(/\{(\w+)\}/g, (_, k: string) => String(data[k])) : rule.error;
  return { field, code: rule.code, error, data };
}

const ticketRule = (r: ValidationRule) => validationCodes[r];
const adminRule = (r: AdminValidationRule) => adminValidationCodes[r];

function toInvalid(e: ValueError): InvalidField {
  const field = fieldOf(e.path);
  const s = e.schema as JsonSchema;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return entry(field, ticketRule('required'));
    case ValueErrorType.String:
      return entry(field, ticketRule('string'));
    case ValueErrorType.StringMinLength:
    case ValueErrorType.StringMaxLength:
      return entry(field, ticketRule('stringLength'), { min: s.minLength ?? 0, max: s.maxLength ?? null });
    case ValueErrorType.Integer:
    case ValueErrorType.Number:
      return entry(field, ticketRule('integer'));
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return entry(field, ticketRule('min'), { min: s.minimum });
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return entry(field, ticketRule('max'), { max: s.maximum });
    case ValueErrorType.Boolean:
      return entry(field, adminRule('boolean'));
    case ValueErrorType.ObjectAdditionalProperties:
      return entry(field, adminRule('unknownField'));
    case ValueErrorType.Union:
    case ValueErrorType.Literal:
      return entry(field, adminRule('oneOf'));
    case ValueErrorType.Array:
      return entry(field, adminRule('array'));
    case ValueErrorType.ArrayMaxItems:
      return entry(field, adminRule('maxItems'), { max: s.maxItems });
    case ValueErrorType.Object:
      return entry(field, adminRule('object'));
    default:
      return entry(field, adminRule('format'));
  }
}

/** What is wrong with `input` as parameters of `schema`: one entry per field, its first broken rule; empty when valid. */
export function invalidFields(schema: TSchema, input: unknown): InvalidField[] {
  const c = checker(schema);
  if (c.Check(input)) return [];
  const out: InvalidField[] = [];
  const seen = new Set<string>();
  for (const e of c.Errors(input)) {
    const mapped = toInvalid(e);
    if (seen.has(mapped.field)) continue;
    seen.add(mapped.field);
    out.push(mapped);
    if (out.length === MAX_INVALID) break;
  }
  return out;
}

// ---- running ------------------------------------------------------------------------

/** A domain error of the core as the admin catalog answers it; codes no admin operation can meet are bugs. */
export function fromDomainError(err: DomainError): Error {
  const name = adminFromDomain[err.code];
  const retry = err.details.retryAfterSeconds;
  const headers: Record<string, string> = retry === undefined ? {} : { 'Retry-After': String(retry) };
  return name
    ? adminError(name, err.message, headers)
    : new Error(`unexpected domain error ${err.code}: ${err.message}`);
}

/**
 * Validates the parameters and runs the operation: the one path of both the
 * HTTP API and the CLI. Throws an ApiError of the admin model (2004 with
 * `invalid[]`, 103xxx) for anything the caller can fix.
 */
export async function executeOperation(
  op: AdminOperation,
  services: AdminServices,
  input: Record<string, unknown>,
  who?: AuditActor,
): Promise<unknown> {
  let outcome = 'ok';
  let result: unknown;
  try {
    const invalid = invalidFields(op.params, input);
    if (invalid.length > 0) throw ticketError('invalidData', { invalid });
    result = await op.run(services, input);
    return result;
  } catch (err) {
    const answer = err instanceof DomainError ? fromDomainError(err) : err;
    outcome = answer instanceof ApiError ? String((answer.body as { code?: unknown }).code ?? answer.status) : 'error';
    throw answer;
  } finally {
    // Reads change nothing: only changes are recorded, whatever their outcome.
    if (op.method !== 'GET' && services.audit && who) {
      await recordChange(services.audit, op, { ...fromResult(result), ...input }, who, outcome);
    }
  }
}

/**
 * What a change's answer tells about its subject when the input did not: the
 * id a create made (a webhook endpoint, an access token, a grant), the
 * tenant of the record it changed.
 */
function fromResult(result: unknown): { id?: string; tenant?: string } {
  if (typeof result !== 'object' || result === null) return {};
  const { id, tenant } = result as { id?: unknown; tenant?: unknown };
  return { ...(typeof id === 'string' ? { id } : {}), ...(typeof tenant === 'string' ? { tenant } : {}) };
}

/** A change in the audit log; a store that fails here leaves the change's own answer as it was. */
async function recordChange(
  audit: AuditLog,
  op: AdminOperation,
  input: Record<string, unknown>,
  who: AuditActor,
  outcome: string,
): Promise<void> {
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : null);
  // An access token's id is the credential itself: only its first 8 characters are kept.
  const id = op.resource === 'access-token' ? (text(input.id)?.slice(0, 8) ?? null) : text(input.id);
  const tenant = text(input.tenant) ?? (op.resource === 'tenant' ? text(input.name) : null);
  await audit
    .record({
      actor: who.actor,
      address: who.address,
      action: `${op.resource}.${op.verb}`,
      tenant,
      target: id ?? text(input.name) ?? text(input.username) ?? text(input.application),
      outcome,
    })
    .catch(() => {});
}
