// Bundles the `ticketd` bin (src/cli/main.ts and everything it imports, but
// the native SQLite driver) into one file, dist/ticketd.mjs. Loading ~600
// small modules took half of the time to the first answer; one file loads
// in a fraction of it. `tsc` still emits dist/**/*.js and the type
// declarations for the library entry (dist/index.js).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function bundle() {
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    outfile: join(ROOT, 'dist/ticketd.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // better-sqlite3 loads its compiled addon from its own directory, Swagger UI serves the files of its package;
    // pg-native is pg's optional native driver.
    external: ['better-sqlite3', '@fastify/swagger-ui', 'pg-native'],
    // Bundled CommonJS dependencies call require(); an ES module has none of its own.
    banner: {
      js: "import { createRequire as __ticketdRequire } from 'node:module';\nconst require = __ticketdRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
