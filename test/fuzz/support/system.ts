import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_ROUTES, systemRequest, unknownRequest } from './arbitraries.js';
import { type Answer, check, FUZZ_RUNS, fuzz, printTally, send } from './harness.js';
import { errorLines, type FuzzTarget, startTarget } from './instances.js';
import { checkEnvelope, checkNotFound } from './oracle.js';

/**
 * Properties of GET /v1/ping, /v1/info, /openapi.json, /metrics, /livez, /readyz and unknown
 * routes, with junk queries, headers and bodies, single- and multi-tenant.
 * Spread over several files so that vitest can run them side by side.
 */

let openapiDoc: string | undefined;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function json(a: Answer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(a.body);
  } catch {
    check(false, 'body is not JSON', a);
  }
  check(isObj(v), 'body is not an object', a);
  return v;
}

const SYSTEM: Record<string, (a: Answer) => void> = Object.fromEntries<(a: Answer) => void>([
  [
    '/v1/ping',
    (a) => {
      const b = json(a);
      check(Object.keys(b).join() === 'ok' && b.ok === true, 'ping answers {"ok": true}', a);
    },
  ],
  [
    '/v1/info',
    (a) => {
      const b = json(a);
      check(b.name === 'ticketd' && typeof b.version === 'string', 'info names ticketd and its version', a);
      check(b.store === 'sqlite' && Number.isSafeInteger(b.schemaVersion), 'info has store and schemaVersion', a);
    },
  ],
  [
    '/openapi.json',
    (a) => {
      // The document is the same every time: check it once, then compare bytes (it is large).
      if (a.body === openapiDoc) return;
      check(openapiDoc === undefined, 'the OpenAPI document changed between requests', a);
      const b = json(a);
      check(b.openapi === '3.1.0' && isObj(b.paths), 'an OpenAPI 3.1 document', a);
      for (const p of ['/v1/tickets/', '/v1/tickets/use', '/v1/ping']) {
        check(p in b.paths || p.replace(/\/$/, '') in b.paths, `documents ${p}`, a);
      }
      openapiDoc = a.body;
    },
  ],
  [
    '/metrics',
    (a) => check(a.body.includes('ticketd_http_requests_total'), 'Prometheus text with the request counter', a),
  ],
  [
    '/livez',
    (a) => {
      const b = json(a);
      check(Object.keys(b).join() === 'status' && b.status === 'ok', 'livez answers {"status": "ok"}', a);
    },
  ],
  [
    '/readyz',
    (a) => {
      const b = json(a);
      check(b.status === 'ready' && b.store === 'sqlite', 'readyz answers ready on its store', a);
      check(Number.isSafeInteger(b.schemaVersion), 'readyz gives the schema version', a);
    },
  ],
]);

export type SystemPath = '/v1/ping' | '/v1/info' | '/openapi.json' | '/metrics' | '/livez' | '/readyz';

/**
 * Surfaces with a not-found handler and error model of their own (profile,
 * admin, Oz), and the pages (Swagger UI under /docs, the console): their own suites and
 * tests cover them. Fastify hands them `<prefix>` and `<prefix>/*`;
 * everything else that matches no route is the root's 102001.
 */
const OTHER_SURFACES = ['/api/1', '/admin/v1', '/oz', '/docs', '/console'];

type RouteMatcher = (method: string, path: string) => boolean;

/** Every route the server documents (GET implies HEAD), plus the hidden ones we know. */
async function routeMatcher(t: FuzzTarget['t']): Promise<RouteMatcher> {
  const res = await t.server.inject({ method: 'GET', url: '/openapi.json' });
  const doc = JSON.parse(res.body) as { paths: Record<string, Record<string, unknown>> };
  const routes: Array<[string, RegExp]> = KNOWN_ROUTES.map(([m, p]) => [m, new RegExp(`^${p.replace(/\./g, '\\.')}$`)]);
  for (const [pattern, ops] of Object.entries(doc.paths)) {
    const re = new RegExp(`^${pattern.replace(/[.+*?^$()[\]|\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const m of Object.keys(ops)) {
      routes.push([m.toUpperCase(), re]);
      if (m === 'get') routes.push(['HEAD', re]);
    }
  }
  return (method, path) => routes.some(([m, re]) => m === method && re.test(path));
}

/** The request goes to a route, or to another surface's not-found handler. */
function notOurs(isRoute: RouteMatcher, method: string, url: string): boolean {
  let path: string;
  try {
    path = new URL(url, 'http://localhost').pathname;
  } catch {
    return false;
  }
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // left as it is
  }
  return [path, decoded].some(
    (p) => isRoute(method, p) || OTHER_SURFACES.some((prefix) => p === prefix || p.startsWith(`${prefix}/`)),
  );
}

/** Registers, in the calling test file, one property per path (and one for unknown routes). */
export function describeSystemFuzz(file: string, paths: SystemPath[], unknownRoutes: boolean): void {
  const startedAt = performance.now();
  let single: FuzzTarget;
  let multi: FuzzTarget;

  beforeAll(async () => {
    [single, multi] = await Promise.all([startTarget(false, 4), startTarget(true, 4)]);
  });

  afterAll(async () => {
    printTally(file, startedAt);
    await Promise.all([single?.t.stop(), multi?.t.stop()]);
  });

  describe('fuzz: system routes', () => {
    for (const path of paths) {
      const body = SYSTEM[path] as (a: Answer) => void;
      it(
        `GET ${path}: always 200 with its documented body`,
        async () => {
          await fuzz(`GET ${path}`, fc.tuple(fc.boolean(), systemRequest(path)), async ([isMulti, req]) => {
            const a = await send((isMulti ? multi : single).t, req, `GET ${path}`);
            checkEnvelope(a, path === '/metrics' ? 'text' : 'json');
            check(a.status === 200, 'answers 200', a);
            if (req.method === 'HEAD') check(a.body === '', 'HEAD has no body', a);
            else body(a);
          });
          for (const target of [single, multi]) expect(errorLines(target.t)).toEqual([]);
        },
        Math.max(60_000, FUZZ_RUNS * 20),
      );
    }

    if (!unknownRoutes) return;
    it(
      'unknown routes and methods: 404 102001, whatever the body',
      async () => {
        const isRoute = await routeMatcher(single.t);
        await fuzz('unknown routes', fc.tuple(fc.boolean(), unknownRequest), async ([isMulti, req]) => {
          fc.pre(!notOurs(isRoute, req.method, req.url));
          const a = await send((isMulti ? multi : single).t, req, 'unknown routes');
          checkNotFound(a, req.method);
        });
        for (const target of [single, multi]) expect(errorLines(target.t)).toEqual([]);
      },
      Math.max(60_000, FUZZ_RUNS * 20),
    );
  });
}
