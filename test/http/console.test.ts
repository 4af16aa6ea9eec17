import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consolePlugin } from '../../src/http/console.js';
import { sendApiError } from '../../src/http/errors.js';
import { ticketError } from '../../src/tickets/errors.js';

/** How ticketd serves the built console (the browser test, test/console/, drives the page itself). */
describe('GET /console', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-console-files-'));
  let app: FastifyInstance;
  let bare: FastifyInstance;

  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><script type="module" src="/console/assets/app-1a2b.js"></script>',
    );
    writeFileSync(join(dir, 'assets', 'app-1a2b.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'not a console file type');
    writeFileSync(join(tmpdir(), 'outside.js'), 'outside');
    app = Fastify();
    // As in ticketd: what reaches no route is 102001 (a path with dot segments resolves out of /console).
    app.setNotFoundHandler((_req, reply) => sendApiError(ticketError('notFound'), reply));
    await app.register(consolePlugin, { dir });
    bare = Fastify();
    await bare.register(consolePlugin, { dir: undefined });
  });
  afterAll(async () => {
    await app.close();
    await bare.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('redirects to /console/ and serves the page with strict headers, never cached', async () => {
    const redirect = await app.inject({ method: 'GET', url: '/console' });
    expect([redirect.statusCode, redirect.headers.location]).toEqual([302, '/console/']);
    const page = await app.inject({ method: 'GET', url: '/console/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves hashed assets cached for good', async () => {
    const js = await app.inject({ method: 'GET', url: '/console/assets/app-1a2b.js' });
    expect([js.statusCode, js.headers['content-type'], js.body]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'console.log(1)',
    ]);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers 404 102001 for anything else: unknown names, other file types, paths out of its directory', async () => {
    for (const url of [
      '/console/nope.js',
      '/console/secret.txt',
      '/console/..%2foutside.js',
      '/console/assets/..%2f..%2foutside.js',
      '/console/%2e%2e/outside.js',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect([res.statusCode, res.body], url).toEqual([404, '{"code":102001,"error":"not found"}']);
    }
  });

  it('without a built console: 404 102001', async () => {
    const res = await bare.inject({ method: 'GET', url: '/console/' });
    expect([res.statusCode, res.json()]).toEqual([404, { code: 102001, error: 'not found' }]);
  });
});
