import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ticketError } from '../tickets/errors.js';
import { sendApiError } from './errors.js';

/**
 * GET /console: the admin console, a page built with Vite from console/
 * into dist/console (`npm run build`) and served from there. It is static:
 * what it shows comes from the admin API, behind the master token the
 * person signs in with. Strict headers: nothing but ticketd's own scripts,
 * styles and API, no framing, no referrer.
 */

/** Where the built console is, seen from this module: the bundled bin, tsc's output, or the sources. */
const PLACES = ['./console/', '../console/', '../../dist/console/'];

export function consoleDir(): string | undefined {
  for (const place of PLACES) {
    const dir = fileURLToPath(new URL(place, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

type ConsoleFile = { body: Buffer; type: string };

/** Every file of the built console by its path under the directory (a handful: the page, its hashed assets, their maps). */
function listFiles(dir: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || !type) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path).split(sep).join('/'), { body: readFileSync(path), type });
  }
  return files;
}

export async function consolePlugin(app: FastifyInstance, options: { dir?: string | undefined }): Promise<void> {
  // Read once at start: a request can name only these, so nothing it sends reaches the file system.
  const files = options.dir === undefined ? new Map<string, ConsoleFile>() : listFiles(options.dir);

  app.get('/console', { schema: { hide: true } }, (_req, reply) => reply.redirect('/console/'));
  app.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true } }, (req, reply) => {
    const name = req.params['*'] || 'index.html';
    const f = files.get(name);
    if (!f) return sendApiError(ticketError('notFound'), reply);
    // Built assets carry a content hash in their names: cache them for good; the page itself, never.
    const cache = name.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    return reply
      .headers({ ...HEADERS, 'Cache-Control': cache })
      .type(f.type)
      .send(f.body);
  });
}
