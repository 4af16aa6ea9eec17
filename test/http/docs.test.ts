import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';

/** GET /docs: Swagger UI on /openapi.json, its files served by ticketd itself (no CDN). */
describe('GET /docs', () => {
  let t: TestTicketd;
  beforeAll(async () => {
    t = await startTestTicketd();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('serves Swagger UI with every asset from ticketd, nothing from elsewhere', async () => {
    const page = await t.server.inject({ method: 'GET', url: '/docs' });
    const html =
      page.statusCode === 302
        ? (await t.server.inject({ method: 'GET', url: String(page.headers.location) })).body
        : page.body;
    expect(html).toContain('swagger-ui');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(2);
    for (const ref of refs) {
      expect(ref, 'a local asset').not.toMatch(/^(https?:)?\/\//);
      const url = ref.startsWith('/') ? ref : `/docs/${ref.replace(/^\.\//, '')}`;
      expect((await t.server.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    const init = await t.server.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.statusCode).toBe(200);
    // Swagger UI's default validator badge would fetch from validator.swagger.io.
    const code = init.body.replace(/\/\/ .*$/gm, '');
    expect(code).not.toMatch(/https?:\/\//);
    expect(code).toMatch(/"validatorUrl":\s*null/);
  });

  it('works over plain HTTP on any address: its policy has no upgrade-insecure-requests', async () => {
    const first = await t.server.inject({ method: 'GET', url: '/docs' });
    const page =
      first.statusCode === 302 ? await t.server.inject({ method: 'GET', url: String(first.headers.location) }) : first;
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('documents every route, schema and error code', async () => {
    const spec = (await t.server.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, unknown>;
      info: { description: string };
      components: { schemas: Record<string, unknown> };
    };
    const openapi = (await t.server.inject({ method: 'GET', url: '/openapi.json' })).json() as typeof spec;
    expect(Object.keys(spec.paths)).toEqual(Object.keys(openapi.paths));
    expect(Object.keys(spec.components.schemas)).toContain('TicketError');
    for (const code of ['102011', '103013', 'BAD_CREDENTIALS', 'Invalid nonce', 'Expired ticket']) {
      expect(spec.info.description).toContain(code);
    }
  });
});
