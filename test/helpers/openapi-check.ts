/**
 * Keeps /openapi.json truthful: every answer an in-process test receives
 * is checked against the document the same server publishes — its path and
 * method are described, its status is listed, a JSON body fits the schema
 * of that status, and a request body that was accepted (2xx) came in a
 * content type the document lists. A mismatch fails the test that made the
 * request, naming the route and what differs. Requests that name no route
 * must be refused (4xx); the routes the document hides (/openapi.json,
 * /docs, /console) are left out.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, InjectOptions } from 'fastify';

interface Operation {
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

type Doc = { paths: Record<string, Record<string, Operation>> };

const HIDDEN = [/^\/openapi\.json$/, /^\/docs(\/|$)/, /^\/console(\/|$)/];

/** Matches a request path to a documented path template (`/api/1/profile/{id}`). */
function templates(doc: Doc): { template: string; pattern: RegExp }[] {
  return Object.keys(doc.paths)
    .map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]*')}$`),
    }))
    .sort((a, b) => b.template.split('{').length - a.template.split('{').length);
}

export class OpenApiCheck {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly paths;

  constructor(private readonly doc: Doc) {
    addFormats.default(this.ajv);
    this.ajv.addSchema(doc as object, 'openapi');
    this.paths = templates(doc);
  }

  static async of(server: FastifyInstance): Promise<OpenApiCheck> {
    const res = await server.inject({ method: 'GET', url: '/openapi.json' });
    return new OpenApiCheck(res.json() as Doc);
  }

  /** The problem with this exchange, or undefined when the document describes it. */
  problem(
    method: string,
    url: string,
    requestType: string | undefined,
    hadBody: boolean,
    status: number,
    responseType: string | undefined,
    body: string,
  ): string | undefined {
    const path = url.split(/[?#]/)[0] as string;
    if (HIDDEN.some((p) => p.test(path))) return undefined;
    // Two templates may match (/apps/{id} and /apps/x): the literal one wins; templates with fewer parameters first.
    const literal = this.doc.paths[path] ? path : undefined;
    const found = literal ?? this.paths.filter((p) => p.pattern.test(path)).at(-1)?.template;
    // HEAD is answered as GET, without a body.
    const verb = method.toUpperCase() === 'HEAD' ? 'get' : method.toLowerCase();
    const op = found ? this.doc.paths[found]?.[verb] : undefined;
    // No route: a refusal (404, or the credential check that comes before routing), never a success.
    if (!op) return status >= 400 && status < 500 ? undefined : `${method} ${path} (no route) answered ${status}`;
    const where = `${method} ${found} ${status}`;
    if (status < 300 && hadBody && requestType !== undefined) {
      const accepted = Object.keys(op.requestBody?.content ?? {});
      const type = requestType.split(';')[0]?.trim().toLowerCase() ?? '';
      if (accepted.length > 0 && !accepted.includes(type) && !accepted.includes('*/*')) {
        return `${where}: request body of type ${type} was accepted but the document lists ${accepted.join(', ')}`;
      }
    }
    const response = op.responses?.[String(status)] ?? op.responses?.default;
    if (!response) return `${where}: status not listed (listed: ${Object.keys(op.responses ?? {}).join(', ')})`;
    if (!responseType?.startsWith('application/json') || body === '') return undefined;
    const statusKey = op.responses?.[String(status)] ? String(status) : 'default';
    const key = `${verb} ${found} ${statusKey}`;
    let validate = this.validators.get(key);
    if (!validate) {
      const content = response.content ?? {};
      const type = content['application/json'] ? 'application/json' : Object.keys(content)[0];
      if (type === undefined || !content[type]?.schema) return undefined;
      // Referred to inside the document, so that its own $refs (#/components/...) resolve.
      const pointer = ['paths', found, verb, 'responses', statusKey, 'content', type, 'schema']
        .map((p) => (p as string).replaceAll('~', '~0').replaceAll('/', '~1'))
        .join('/');
      validate = this.ajv.compile({ $ref: `openapi#/${pointer}` });
      this.validators.set(key, validate);
    }
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return `${where}: the body is not JSON`;
    }
    if (!validate(value)) {
      return `${where}: ${this.ajv.errorsText(validate.errors)} in ${body.slice(0, 300)}`;
    }
    return undefined;
  }

  /** Wraps `server.inject` (promise form) so that every answer is checked. */
  watch(server: FastifyInstance): void {
    const inject = server.inject.bind(server) as (opts?: InjectOptions | string) => unknown;
    (server as { inject: unknown }).inject = (opts?: InjectOptions | string, callback?: unknown) => {
      if (opts === undefined || callback !== undefined) return (inject as (...a: unknown[]) => unknown)(opts, callback);
      const o: InjectOptions = typeof opts === 'string' ? { url: opts } : opts;
      return (inject(o) as Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>).then(
        (res) => {
          const url = typeof o.url === 'string' ? o.url : String(o.path ?? '/');
          const headers = (o.headers ?? {}) as Record<string, string | undefined>;
          const requestType = headers['content-type'] ?? headers['Content-Type'];
          const hadBody = o.payload !== undefined && o.payload !== '';
          const problem = this.problem(
            o.method ?? 'GET',
            url,
            requestType,
            hadBody,
            res.statusCode,
            res.headers['content-type'] as string | undefined,
            res.body,
          );
          if (problem) throw new Error(`/openapi.json does not describe this answer: ${problem}`);
          return res;
        },
      );
    };
  }
}
