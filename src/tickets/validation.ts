import type { FastifySchemaValidationError } from 'fastify';
import { type ValidationRule, validationCodes } from './errors.js';

export interface InvalidField {
  field: string;
  code: number;
  error: string;
  data: Record<string, unknown> | null;
}

/** Authen lists at most this many invalid fields. */
const MAX_INVALID = 20;

/**
 * Turns the validator's (ajv's) errors into Authen's `invalid[]`: one entry
 * per field, the first rule that field broke, in schema order.
 */
export function toInvalidFields(errors: FastifySchemaValidationError[]): InvalidField[] {
  const out: InvalidField[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const mapped = mapError(e);
    if (!mapped || seen.has(mapped.field)) continue;
    seen.add(mapped.field);
    out.push(mapped);
    if (out.length === MAX_INVALID) break;
  }
  return out;
}

function mapError(e: FastifySchemaValidationError): InvalidField | undefined {
  const params = e.params as Record<string, unknown>;
  const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const field = (name: string) => (path ? `${path}.${name}` : name);
  switch (e.keyword) {
    case 'required':
      return entry(field(String(params.missingProperty)), 'required', null);
    case 'type': {
      const types = ([] as unknown[]).concat(params.type);
      return entry(path, types.includes('integer') ? 'integer' : 'string', null);
    }
    case 'minLength':
    case 'maxLength': {
      const schema = (e as { parentSchema?: { minLength?: number; maxLength?: number } }).parentSchema;
      return entry(path, 'stringLength', { min: schema?.minLength ?? 0, max: schema?.maxLength ?? null });
    }
    case 'minimum':
      return entry(path, 'min', { min: params.limit });
    case 'maximum':
      return entry(path, 'max', { max: params.limit });
    case 'pattern':
      return entry(path, 'base64', null);
    default:
      return undefined;
  }
}

function entry(field: string, rule: ValidationRule, data: Record<string, unknown> | null): InvalidField {
  const { code, error } = validationCodes[rule];
  const text = data ? error.replace(/\{(\w+)\}/g, (_, k: string) => String(data[k])) : error;
  return { field, code, error: text, data };
}
