import { type Static, Type } from '@sinclair/typebox';

/**
 * Shapes of the ticket surface, written once: Fastify validates requests
 * with them, TypeScript types come from them, and /openapi.json is
 * generated from them.
 */

/** Longest TTL and use count accepted: 2^31-1, so that expiry arithmetic stays exact. */
export const MAX_TTL = 2_147_483_647;
export const MAX_USES = 2_147_483_647;

const countOrNull = (description: string, maximum: number) =>
  Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 0, maximum, description });

export const CreateBody = Type.Object(
  {
    ttl: Type.Optional(countOrNull('Seconds until expiry (default 60); 0 or null: never expires.', MAX_TTL)),
    uses: Type.Optional(countOrNull('Uses allowed (default 1); 0 or null: unlimited.', MAX_USES)),
    payload: Type.Optional(Type.Unknown({ description: 'Any JSON; returned, exactly as sent, by every use.' })),
  },
  { description: 'An empty body means all defaults. Unknown fields are ignored.' },
);
export type CreateBody = Static<typeof CreateBody>;

export const TicketString = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[A-Za-z0-9+/]*={0,2}$',
  description: 'A ticket as returned by create.',
  examples: ['UrX/fTU0TaEEBv1ZlhpImz1c1Ts'],
});

export const TicketBody = Type.Object({ ticket: TicketString });
export type TicketBody = Static<typeof TicketBody>;

export const CreateReply = Type.Object({
  ticket: Type.String({ description: '27 characters of standard Base64 (160 random bits).' }),
});

const usesLeft = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description });

export const UseReply = Type.Object({
  uses: usesLeft('Uses left after this one; null when unlimited.'),
  payload: Type.Unknown({ description: 'The payload given at creation, or null.' }),
});

export const DeleteReply = Type.Object({
  uses: usesLeft('Uses the ticket had left; null when unlimited or nothing was deleted.'),
  deleted: Type.Integer({ minimum: 0, maximum: 1 }),
});

export const PeekReply = Type.Object({
  uses: usesLeft('Uses left; null when unlimited.'),
  expires: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'When the ticket expires (UTC); null when never.',
  }),
  created: Type.String({ format: 'date-time' }),
});

export const InvalidField = Type.Object({
  field: Type.String(),
  code: Type.Integer(),
  error: Type.String(),
  data: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});

export const ErrorReply = Type.Object(
  {
    code: Type.Integer(),
    error: Type.String(),
    invalid: Type.Optional(Type.Array(InvalidField, { maxItems: 20 })),
    error_id: Type.Optional(Type.String({ description: 'Only on 2001: the id under which the server logged it.' })),
  },
  { $id: 'TicketError', description: 'Every error of the ticket surface; codes in docs/errors.md.' },
);

export const ProjectHeader = Type.Object({
  project: Type.Optional(
    Type.String({ description: 'Tenant name; required when the server runs with multi_tenancy on.' }),
  ),
});

/** Answers every ticket route may give: 401 and 403 only with `tickets.require_token`. */
export const errorReplies = {
  400: Type.Ref('TicketError'),
  401: Type.Ref('TicketError'),
  403: Type.Ref('TicketError'),
  404: Type.Ref('TicketError'),
  413: Type.Ref('TicketError'),
  500: Type.Ref('TicketError'),
  503: Type.Ref('TicketError'),
};

/** Create and use also answer 429 (with Retry-After) when their tenant sets a rate limit. */
export const limitedReplies = { ...errorReplies, 429: Type.Ref('TicketError') };
