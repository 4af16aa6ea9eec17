import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { adminErrors, adminValidationCodes } from '../admin/errors.js';
import { ADMIN_SECURITY } from '../admin/plugin.js';
import { ozErrors } from '../oz/errors.js';
import { profileErrors } from '../profile/errors.js';
import { ticketErrors, validationCodes } from '../tickets/errors.js';

/**
 * The API description: /openapi.json (OpenAPI 3.1, generated from the
 * schemas every route validates with) and /docs, Swagger UI served from
 * its npm package (no CDN), with every route, schema and error. The error
 * catalogs go into the document's description from the same tables the
 * surfaces answer with.
 */

const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join(
    '\n',
  );

/** A catalog of `{status, code, error}` entries as a table. */
const codeTable = (errors: Record<string, { status: number; code: number; error: string }>) =>
  table(
    ['HTTP', 'code', 'error'],
    Object.values(errors).map((e) => [e.status, e.code, e.error]),
  );

function errorCatalog(): string {
  return [
    '## Errors',
    'Each surface answers refusals in the model of the API it is compatible with.',
    '### Tickets (`/v1/tickets`): `{"code", "error"}`',
    codeTable(ticketErrors),
    'Inside `invalid[]` of a 2004: ' +
      Object.values(validationCodes)
        .map((e) => `${e.code} ${e.error}`)
        .join('; ') +
      '.',
    '### Administration (`/admin/v1`): `{"code", "error"}`, and the ticket surface’s global codes',
    codeTable(adminErrors),
    'Inside `invalid[]` of a 2004, besides the ticket surface’s: ' +
      Object.values(adminValidationCodes)
        .map((e) => `${e.code} ${e.error}`)
        .join('; ') +
      '.',
    '### Profiles (`/api/1`, Crafter Profile): `{"errorCode", "message"}`',
    table(
      ['HTTP', 'errorCode'],
      Object.values(profileErrors).map((e) => [e.status, e.errorCode]),
    ),
    '### Oz (`/v1/ticket*`, `/v1/rsvp`, `/oz/*`): Boom’s `{"statusCode", "error", "message"}`; 401s carry `WWW-Authenticate: Hawk error="<message>"`',
    table(
      ['HTTP', 'message'],
      Object.values(ozErrors).map((e) => [e.status, e.message ?? '(the validator’s or Hawk’s own)']),
    ),
  ].join('\n\n');
}

/** Surfaces whose bodies are JSON whatever their content type (as Authen, Oz on hapi read them). */
const ANY_TYPE_PREFIXES = ['/v1/tickets', '/admin/v1', '/v1/ticket', '/v1/rsvp', '/oz/'];
const FORM_AND_JSON = ['application/x-www-form-urlencoded', 'application/json'];
const OPTIONAL_BODY = 'x-optional-body';

type RouteSchema = Record<string, unknown> & { body?: unknown; querystring?: unknown };

const requiredOf = (schema: unknown): string[] =>
  typeof schema === 'object' && schema !== null ? ((schema as { required?: string[] }).required ?? []) : [];

/**
 * What a route really accepts, for the document only (validation is the
 * routes' own): Crafter's clients send the parameters of a POST in the query
 * string or a form body (ticketd also reads a JSON object), so those routes
 * get a body of the same parameters, in either type, every parameter
 * optional in each place; ticket and admin bodies are JSON whatever their
 * content type; a body none of whose fields is required may be left out.
 */
function documented(schema: RouteSchema | undefined, url: string, method: string | string[]): RouteSchema | undefined {
  if (!schema) return schema;
  const out: RouteSchema = { ...schema };
  if (url.startsWith('/api/1/') && method === 'POST' && !out.body && out.querystring) {
    const params = { ...(out.querystring as object), required: undefined };
    out.querystring = params;
    out.body = { ...params, description: 'The same parameters, in the query string or here.' };
    out.consumes = FORM_AND_JSON;
  } else if (out.body && ANY_TYPE_PREFIXES.some((p) => url.startsWith(p))) {
    out.consumes = ['application/json', '*/*'];
  }
  if (out.body && requiredOf(out.body).length === 0) out[OPTIONAL_BODY] = true;
  return out;
}

/** Marks the bodies `documented` found optional (the generator makes every body required). */
function optionalBodies(doc: Record<string, unknown>): Record<string, unknown> {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  for (const ops of Object.values(paths)) {
    for (const op of Object.values(ops)) {
      if (!op[OPTIONAL_BODY]) continue;
      delete op[OPTIONAL_BODY];
      if (op.requestBody) (op.requestBody as { required: boolean }).required = false;
    }
  }
  return doc;
}

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    transform: ({ schema, url, route }) => ({
      schema: documented(schema as RouteSchema | undefined, url, route.method) as never,
      url,
    }),
    transformObject: (({ openapiObject }: { openapiObject: Record<string, unknown> }) =>
      optionalBodies(openapiObject)) as never,
    // Shared schemas keep their $id as their name under components.schemas.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ticketd',
        version,
        description: [
          'A ticket authority: Authen-compatible opaque tickets, Oz user tickets over Hawk, Crafter Profile login tickets.',
          errorCatalog(),
        ].join('\n\n'),
      },
      tags: [
        { name: 'tickets', description: 'Opaque limited-use tickets (Authen-compatible)' },
        { name: 'profile', description: 'Profiles and login tickets (Crafter Profile-compatible), /api/1' },
        { name: 'system', description: 'Health, identity, metrics' },
        { name: 'oz', description: 'Oz user tickets over Hawk (mylet API, Oz), /v1/ticket and /oz' },
        { name: 'admin', description: 'Administration (tenants, profiles, access tokens), /admin/v1' },
      ],
      components: {
        securitySchemes: {
          [ADMIN_SECURITY]: {
            type: 'http',
            scheme: 'bearer',
            description: 'A master access token: `Authorization: Bearer <token>`',
          },
        },
      },
    },
  });
}

/** GET /docs: Swagger UI on the document, its assets from the package. */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The library's own policy less `upgrade-insecure-requests` (and the
    // validator badge, which is off): over plain HTTP on any address other
    // than localhost that directive makes the browser fetch the page's own
    // scripts over HTTPS, and /docs stays blank.
    staticCSP: {
      'default-src': ["'self'"],
      'base-uri': ["'self'"],
      'font-src': ["'self'", 'data:'],
      'frame-ancestors': ["'self'"],
      'img-src': ["'self'", 'data:'],
      'object-src': ["'none'"],
      'script-src': ["'self'"],
      'script-src-attr': ["'none'"],
      'style-src': ["'self'"],
    },
    uiConfig: {
      docExpansion: 'list',
      deepLinking: true,
      defaultModelsExpandDepth: 1,
      displayRequestDuration: true,
      // Its default badge asks validator.swagger.io about the document.
      validatorUrl: null,
    },
  });
}
