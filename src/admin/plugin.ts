import { type TObject, type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type AuditActor, tokenActor } from '../core/audit.js';
import { ApiError } from '../http/api-error.js';
import { bearerToken } from '../http/bearer.js';
import { sendApiError, toApiError } from '../http/errors.js';
import { unrepresentableNumber } from '../http/json-text.js';
import { parseTicketBody } from '../tickets/body.js';
import { ticketError } from '../tickets/errors.js';
import { type AdminErrorName, adminError, adminErrors, adminValidationCodes } from './errors.js';
import {
  type AdminOperation,
  type AdminServices,
  coerceFields,
  executeOperation,
  pathParams,
  type RawValue,
} from './operation.js';
import { ADMIN_OPERATIONS } from './operations.js';
import { AdminErrorReply } from './schemas.js';

/** What the admin API needs, handed over by the wiring. */
export type AdminSurface = AdminServices;

/** The OpenAPI security scheme of every admin route (declared in http/server.ts). */
export const ADMIN_SECURITY = 'masterToken';

/** Statuses every admin route may answer, whatever it does. */
const COMMON_STATUSES = [400, 401, 403, 404, 413, 500, 503];

function unauthorized(): ApiError {
  return adminError('unauthorized', undefined, { 'WWW-Authenticate': 'Bearer realm="ticketd"' });
}

/** `invalid[]` entries for fields that have no place where they were sent. */
function misplaced(names: string[]): ApiError {
  const { code, error } = adminValidationCodes.unknownField;
  return ticketError('invalidData', {
    invalid: names.slice(0, 20).map((field) => ({ field: field.slice(0, 200), code, error, data: null })),
  });
}

/** The parameters of `op` other than its path parameters, as one object schema. */
function restOf(op: AdminOperation, pathNames: string[]): TObject {
  const props = Object.fromEntries(Object.entries(op.params.properties).filter(([k]) => !pathNames.includes(k)));
  return Type.Object(props, { additionalProperties: false });
}

/**
 * The admin API, mounted at /admin/v1: one route per operation of
 * `ADMIN_OPERATIONS`. Every request, routed or not, first shows a live
 * master access token as `Authorization: Bearer <id>` (401 103001 when it is
 * missing, unknown or expired; 403 103002 when it is not a master token).
 * Bodies are JSON whatever the content type, as on the ticket surface.
 */
export async function adminPlugin(app: FastifyInstance, services: AdminSurface): Promise<void> {
  const { accessTokens } = services.identity;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, raw, done) => {
    try {
      const { body } = parseTicketBody(raw as Buffer, { nullBody: 'invalid' });
      // A limit of 1e-400 must not read 0 ("no limit"), nor 1e400 Infinity.
      if (unrepresentableNumber((raw as Buffer).toString('utf8')) !== undefined) throw ticketError('invalidJson');
      done(null, body);
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.addHook('onRequest', async (req) => {
    // The content type plays no part (any body is JSON): dropping it keeps Fastify from refusing a malformed one.
    delete req.headers['content-type'];
    const token = bearerToken(req.headers.authorization);
    const actor = token === undefined ? null : await accessTokens.actorFor(token);
    if (!actor) throw unauthorized();
    if (!actor.master) throw adminError('forbidden');
    auditActors.set(req, { actor: tokenActor(token as string), address: req.ip ?? null });
  });

  app.setErrorHandler((err, req, reply) => {
    // A request for no route is "not found" whatever its body, once its credential passed (as on /v1/tickets).
    const credential = err instanceof ApiError && (err.status === 401 || err.status === 403);
    sendApiError(req.is404 && !credential ? ticketError('notFound') : toApiError(err, req), reply);
  });
  app.setNotFoundHandler((_req, reply) => sendApiError(ticketError('notFound'), reply));

  for (const op of ADMIN_OPERATIONS) registerOperation(app, services, op);
}

/** Who made each admin request (the master token's first 8 characters, the client's address), for the audit log. */
const auditActors = new WeakMap<FastifyRequest, AuditActor>();

function registerOperation(app: FastifyInstance, services: AdminServices, op: AdminOperation): void {
  const pathNames = pathParams(op);
  const inQuery = op.method === 'GET' || op.method === 'DELETE';
  const rest = restOf(op, pathNames);
  const hasRest = Object.keys(rest.properties).length > 0;
  const pathSchema = Type.Object(Object.fromEntries(pathNames.map((n) => [n, op.params.properties[n] as TSchema])));

  const statuses = new Set([
    ...COMMON_STATUSES,
    ...op.errors.map((name: AdminErrorName) => adminErrors[name].status as number),
  ]);
  const response: Record<number, TSchema> = { [op.status ?? 200]: op.result };
  for (const status of [...statuses].sort()) response[status] = AdminErrorReply;

  app.route({
    method: op.method,
    url: op.path,
    schema: {
      summary: op.summary,
      description: [op.description, `CLI: \`ticketd admin ${op.resource} ${op.verb}\`.`].filter(Boolean).join(' '),
      tags: ['admin'],
      security: [{ [ADMIN_SECURITY]: [] }],
      ...(pathNames.length > 0 ? { params: pathSchema } : {}),
      ...(hasRest ? (inQuery ? { querystring: rest } : { body: rest }) : {}),
      response,
    },
    // The schemas above document the route; executeOperation validates, for the CLI and HTTP alike.
    validatorCompiler: () => () => true,
    handler: async (req, reply) => {
      const input = inputOf(req, rest, pathNames, inQuery);
      const result = await executeOperation(op, services, input, auditActors.get(req));
      reply.code(op.status ?? 200);
      return result;
    },
  });
}

/** One parameter object from the path, and the query string (GET, DELETE) or the JSON body (POST, PATCH). */
function inputOf(req: FastifyRequest, rest: TObject, pathNames: string[], inQuery: boolean): Record<string, unknown> {
  const query = (req.query ?? {}) as Record<string, RawValue>;
  let fields: Record<string, unknown>;
  if (inQuery) {
    fields = coerceFields(rest, query);
  } else {
    const stray = Object.keys(query);
    if (stray.length > 0) throw misplaced(stray);
    fields = { ...((req.body as Record<string, unknown> | undefined) ?? {}) };
  }
  const inPath = pathNames.filter((n) => Object.hasOwn(fields, n));
  if (inPath.length > 0) throw misplaced(inPath);
  const path = req.params as Record<string, string>;
  for (const name of pathNames) fields[name] = path[name];
  return fields;
}
