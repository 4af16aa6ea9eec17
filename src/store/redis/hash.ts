/**
 * How a record is kept in a Redis HASH, written once per record kind: each
 * field's type, in the order scripts read them with HMGET. A null field is
 * absent from the hash; a hash missing a field that cannot be null is no
 * record (Redis expired it, or it never was).
 */
import type { AccessTokenRecord } from '../parts/access-tokens.js';
import type { OzAppRecord } from '../parts/apps.js';
import type { OzGrantRecord } from '../parts/grants.js';
import type { DeliveryRecord } from '../parts/outbox.js';
import type { ProfileRecord } from '../parts/profiles.js';
import type { SessionRecord } from '../parts/sessions.js';

/** `?`: may be null (absent). `hex`: a Buffer kept as hex text; `bytes`: kept as it is (read as a Buffer). */
type FieldType = 'text' | 'int' | 'bool' | 'json' | 'hex' | 'bytes';
type Spec<R> = { [K in keyof R]-?: FieldType | `${FieldType}?` };
type Value = string | Buffer;

export class Hash<R extends object> {
  /** The field names, in spec order. */
  readonly names: (keyof R & string)[];
  private readonly fields: [keyof R & string, FieldType, boolean][];

  constructor(spec: Spec<R>) {
    this.fields = Object.entries(spec).map(([name, t]) => {
      const type = t as string;
      return [name as keyof R & string, type.replace('?', '') as FieldType, type.endsWith('?')];
    });
    this.names = this.fields.map(([name]) => name);
  }

  /** `field, value, ...` of every non-null field, for HSET. */
  flat(record: R, only?: readonly (keyof R)[]): Value[] {
    const out: Value[] = [];
    for (const [name, type] of this.fields) {
      if (only && !only.includes(name)) continue;
      const v = record[name] as unknown;
      if (v === null || v === undefined) continue;
      out.push(name, encode(type, v));
    }
    return out;
  }

  /** The record from HMGET values in `names` order; null when a field that cannot be null is absent. */
  fromValues(values: readonly (Value | null | undefined)[]): R | null {
    return this.read((name) => values[this.names.indexOf(name as keyof R & string)]);
  }

  /** The record from `field, value, ...` (HGETALL as a script answers it); null as for fromValues. */
  fromFlat(flat: readonly Value[]): R | null {
    const map = new Map<string, Value>();
    for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), flat[i + 1] as Value);
    return this.read((name) => map.get(name));
  }

  private read(get: (name: string) => Value | null | undefined): R | null {
    const out: Record<string, unknown> = {};
    for (const [name, type, nullable] of this.fields) {
      const v = get(name);
      if (v === null || v === undefined) {
        if (!nullable) return null;
        out[name] = null;
      } else out[name] = decode(type, v);
    }
    return out as R;
  }
}

function encode(type: FieldType, v: unknown): Value {
  switch (type) {
    case 'bool':
      return v ? '1' : '0';
    case 'json':
      return JSON.stringify(v);
    case 'hex':
      return (v as Buffer).toString('hex');
    case 'bytes':
      return v as Buffer;
    default:
      return String(v);
  }
}

function decode(type: FieldType, v: Value): unknown {
  switch (type) {
    case 'bool':
      return v.toString() === '1';
    case 'json':
      return JSON.parse(v.toString());
    case 'int':
      return Number(v.toString());
    case 'hex':
      return Buffer.from(v.toString(), 'hex');
    case 'bytes':
      return Buffer.from(v);
    default:
      return v.toString();
  }
}

export const profileHash = new Hash<ProfileRecord>({
  id: 'text',
  tenant: 'text',
  username: 'text',
  email: 'text',
  passwordHash: 'text?',
  enabled: 'bool',
  verified: 'bool',
  roles: 'json',
  attributes: 'json',
  createdOn: 'int',
  lastModified: 'int',
  failedLoginAttempts: 'int',
  lastFailedLogin: 'int?',
  lockedUntil: 'int?',
});

/** A session's hash (the id and kind are in its key). */
export const sessionHash = new Hash<Omit<SessionRecord, 'id' | 'kind'>>({
  tenant: 'text',
  profileId: 'text',
  token: 'bytes?',
  createdAt: 'int',
  touchedAt: 'int',
  expiresAt: 'int',
});

/** An access token as JSON in the tokens HASH (its id is the field). */
export type StoredAccessToken = Omit<AccessTokenRecord, 'id'>;

export const appHash = new Hash<OzAppRecord>({
  id: 'text',
  tenant: 'text',
  key: 'text',
  algorithm: 'text',
  scope: 'json',
  delegate: 'bool',
  extAttributes: 'json',
  createdOn: 'int',
});

export const grantHash = new Hash<OzGrantRecord>({
  id: 'text',
  tenant: 'text',
  app: 'text',
  user: 'text',
  scope: 'json',
  exp: 'int',
  createdOn: 'int',
  session: 'hex?',
});

export const deliveryHash = new Hash<DeliveryRecord>({
  eventId: 'text',
  endpointId: 'text',
  tenant: 'text',
  type: 'text',
  body: 'text',
  status: 'text',
  attempts: 'int',
  nextAt: 'int',
  lastStatus: 'int?',
  lastError: 'text?',
  createdAt: 'int',
  updatedAt: 'int',
});
