import { isUtf8 } from 'node:buffer';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { jsonTextDepth } from '../http/json-text.js';
import { checker } from '../http/schema-check.js';
import { ozError } from './errors.js';

/**
 * Shapes of the Oz surface, written once: bodies are checked against them
 * (after the Hawk signature, over the exact bytes, is verified), and
 * /openapi.json documents them.
 */

/** Deeper bodies are refused before JSON.parse sees them (as on the other surfaces). */
export const MAX_JSON_DEPTH = 64;

/** A scope: unique, non-empty strings. */
const scope = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100, description });

const SessionToken = Type.String({
  minLength: 1,
  maxLength: 4096,
  description: 'A session token: the id of a live profile login ticket (`/api/1/authentication/authenticate`).',
});

const appId = (description: string) => Type.String({ minLength: 1, maxLength: 1000, description });

export const TicketRequest = Type.Object(
  { session: SessionToken },
  { description: 'A session to exchange for a user ticket. Other fields are ignored.' },
);
export type TicketRequest = Static<typeof TicketRequest>;

export const ReissueRequest = Type.Object(
  {
    scope: Type.Optional(scope('A narrower scope for the new ticket (a subset of the parent’s).')),
    issueTo: Type.Optional(
      appId('Delegate: the app (of the same tenant) the new ticket is for; needs the app’s delegate right.'),
    ),
  },
  { additionalProperties: false, description: 'Oz reissue options; an empty body reissues as it is.' },
);
export type ReissueRequest = Static<typeof ReissueRequest>;

export const RsvpExchangeRequest = Type.Object(
  { rsvp: Type.String({ minLength: 1, maxLength: 8192, description: 'The rsvp from `POST /v1/rsvp`.' }) },
  { additionalProperties: false },
);
export type RsvpExchangeRequest = Static<typeof RsvpExchangeRequest>;

export const RsvpCreateRequest = Type.Object(
  {
    session: SessionToken,
    app: appId('The app the person consents to.'),
    scope: Type.Optional(scope('The scope granted: the app’s scope (default) or a part of it.')),
  },
  { additionalProperties: false },
);
export type RsvpCreateRequest = Static<typeof RsvpCreateRequest>;

export const AuthenticateRequest = Type.Object(
  {
    method: Type.String({ minLength: 1, maxLength: 32, description: 'The request’s method.' }),
    url: Type.String({ minLength: 1, maxLength: 8192, description: 'Its path and query string, as received.' }),
    host: Type.String({ minLength: 1, maxLength: 255, description: 'The host name the client signed for.' }),
    port: Type.Union([Type.Integer(), Type.String({ pattern: '^[0-9]{1,5}$' })], {
      description: 'The port the client signed for (1-65535, a number or its digits).',
    }),
    authorization: Type.String({ maxLength: 8192, description: 'Its Authorization header.' }),
    payload: Type.Optional(
      Type.String({ description: 'Its body, as text; checked against the header’s `hash` when there is one.' }),
    ),
    contentType: Type.Optional(Type.String({ maxLength: 1000, description: 'Its Content-Type header.' })),
  },
  { additionalProperties: false, description: 'The parts of a request a resource server received.' },
);
export type AuthenticateRequest = Static<typeof AuthenticateRequest>;

const Ext = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Public ext: the profile attributes the app names in its extAttributes.',
});

const ticketFields = {
  exp: Type.Integer({ description: 'Expiry, epoch milliseconds.' }),
  app: Type.String(),
  scope: Type.Array(Type.String()),
  grant: Type.Optional(Type.String({ description: 'User tickets: the grant id.' })),
  user: Type.Optional(Type.String({ description: 'User tickets: the profile id.' })),
  dlg: Type.Optional(Type.String({ description: 'Delegated tickets: the app that delegated it.' })),
  delegate: Type.Optional(Type.Literal(false)),
};

export const TicketReply = Type.Object(
  {
    ...ticketFields,
    key: Type.String({ description: 'The Hawk key (32 base64url characters).' }),
    algorithm: Type.Literal('sha256'),
    ext: Ext,
    id: Type.String({ description: 'The Hawk id: the Iron seal of the whole ticket (`Fe26.2**...`).' }),
  },
  { description: 'An Oz ticket, keys in the mylet API’s order. App tickets have no grant and user.' },
);

export const AuthenticateReply = Type.Object({
  ticket: Type.Object(
    { ...ticketFields, algorithm: Type.Literal('sha256'), ext: Ext, id: Type.String() },
    { description: 'The ticket the request was signed with, without its key.' },
  ),
  artifacts: Type.Record(Type.String(), Type.Unknown(), { description: 'Hawk’s artifacts of the request.' }),
});

export const RsvpReply = Type.Object({
  rsvp: Type.String({ description: 'Sealed; the app exchanges it at `POST /oz/rsvp` within 60 s.' }),
});

export const BoomReply = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
    expired: Type.Optional(Type.Literal(true)),
  },
  { $id: 'OzError', description: 'A Boom error, as Oz answers (see docs/errors.md, Oz surface).' },
);

export const boomReplies = {
  400: { $ref: 'OzError#' },
  401: { $ref: 'OzError#' },
  403: { $ref: 'OzError#' },
  413: { $ref: 'OzError#' },
  500: { $ref: 'OzError#' },
  503: { $ref: 'OzError#' },
} as const;

// ---- reading bodies --------------------------------------------------------------------

const invalidFormat = () => ozError('badRequest', 'Invalid request payload JSON format');
const missing = () => ozError('badRequest', 'Missing required payload');

/**
 * The JSON body checked against `schema`. Empty bodies (and `null`) are
 * `{}` when `optional`, else 400 `Missing required payload`; anything that
 * is not UTF-8 JSON nested at most 64 levels is 400 `Invalid request
 * payload JSON format`; a value that breaks the schema is 400 `Invalid
 * request payload: <what>`. Scopes get Oz's own messages.
 */
export function readBody<S extends TSchema>(raw: unknown, schema: S, optional = false): Static<S> {
  const buf = Buffer.isBuffer(raw) ? raw : undefined;
  if (!buf || buf.length === 0) {
    if (optional) return {} as Static<S>;
    throw missing();
  }
  if (!isUtf8(buf)) throw invalidFormat();
  const text = buf.toString('utf8');
  if (jsonTextDepth(text) > MAX_JSON_DEPTH) throw invalidFormat();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidFormat();
  }
  if (value === null) {
    if (optional) return {} as Static<S>;
    throw missing();
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw ozError('badRequest', 'Invalid request payload: the payload must be an object');
  }
  checkScope((value as Record<string, unknown>).scope);
  const c = checker(schema);
  if (c.Check(value)) return value as Static<S>;
  const first = c.Errors(value).First();
  throw ozError('badRequest', `Invalid request payload: ${describe(first)}`);
}

/** Oz's Scope.validate messages for the mistakes it names. */
function checkScope(scope: unknown): void {
  if (!Array.isArray(scope)) return;
  const seen = new Set<unknown>();
  for (const item of scope) {
    if (item === null || item === '') throw ozError('badRequest', 'scope includes null or empty string value');
    if (typeof item !== 'string') throw ozError('badRequest', 'scope item is not a string');
    if (seen.has(item)) throw ozError('badRequest', 'scope includes duplicated item');
    seen.add(item);
  }
}

function describe(e: { path: string; type: ValueErrorType; message: string } | undefined): string {
  if (!e) return 'invalid';
  const field = e.path.replace(/^\//, '').replaceAll('/', '.').slice(0, 200) || 'payload';
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `"${field}" is required`;
    case ValueErrorType.ObjectAdditionalProperties:
      return `"${field}" is not allowed`;
    case ValueErrorType.Union:
      return `"${field}" is of the wrong type`;
    default:
      return `"${field}" ${e.message.charAt(0).toLowerCase()}${e.message.slice(1)}`;
  }
}
