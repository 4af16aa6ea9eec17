import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_OPERATIONS } from '../../src/admin/operations.js';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { KNOWN_ROUTES } from './support/arbitraries.js';
import { OAUTH_ROUTES, OZ_ROUTES, PROFILE_ROUTES, TICKET_ROUTES } from './support/routes.js';

/**
 * docs/performance.md, "Bad input": every route is fuzzed. The fuzz files send their
 * requests to the routes of their tables (support/routes.ts, the admin
 * operation table, KNOWN_ROUTES); every route the server documents in
 * /openapi.json must be in one of them.
 */
describe('the fuzz suite reaches every route', () => {
  let t: TestTicketd;
  beforeAll(async () => {
    t = await startTestTicketd();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('every documented route is in a fuzz table', async () => {
    const doc = (await t.server.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const fuzzed = new Set([
      ...TICKET_ROUTES.map(([, path]) => `POST ${path}`),
      ...PROFILE_ROUTES.map((r) => `${r.method} /api/1${r.path}`),
      ...OZ_ROUTES.map((r) => `POST ${r.path}`),
      ...ADMIN_OPERATIONS.map((op) => `${op.method} /admin/v1${op.path.replace(/:(\w+)/g, '{$1}')}`),
      ...KNOWN_ROUTES.map(([method, path]) => `${method} ${path}`),
      ...OAUTH_ROUTES.map(([method, path]) => `${method} ${path}`),
    ]);
    expect(documented.length).toBeGreaterThan(60);
    expect(documented.filter((r) => !fuzzed.has(r))).toEqual([]);
  });
});
