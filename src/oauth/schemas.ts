import { Type } from '@sinclair/typebox';

/** RFC 8414 metadata: where introspection and revocation are, and who issues. */
export const Metadata = Type.Object({
  issuer: Type.String({ description: 'the server’s public base URL (setting public_url)' }),
  introspection_endpoint: Type.String(),
  revocation_endpoint: Type.String(),
  introspection_endpoint_auth_methods_supported: Type.Array(Type.String()),
  revocation_endpoint_auth_methods_supported: Type.Array(Type.String()),
  service_documentation: Type.String(),
});

/** The form body of both endpoints (RFC 7662 §2.1, RFC 7009 §2.1). */
export const TokenForm = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 8192 }),
    token_type_hint: Type.Optional(Type.String({ maxLength: 100, description: 'accepted and not needed' })),
  },
  { additionalProperties: true },
);

const Kind = Type.Union(
  ['ticket', 'login_ticket', 'persistent_login', 'access_token', 'oz_user_ticket', 'oz_app_ticket'].map((k) =>
    Type.Literal(k),
  ),
);

/** RFC 7662 §2.2: `active`, and for an active token what applies of the rest. */
export const IntrospectionReply = Type.Object({
  active: Type.Boolean(),
  scope: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  token_type: Type.Optional(Type.String()),
  exp: Type.Optional(Type.Integer()),
  iat: Type.Optional(Type.Integer()),
  sub: Type.Optional(Type.String()),
  iss: Type.Optional(Type.String()),
  ticketd_kind: Type.Optional(Kind),
  ticketd_tenant: Type.Optional(Type.String()),
  ticketd_uses_left: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
});

export const OAuthErrorReply = Type.Object({ error: Type.String(), error_description: Type.String() });
