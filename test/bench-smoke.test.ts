import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TICKETD_SCENARIOS = ['create', 'use', 'create+use', 'profile-get', 'oz-reissue', 'use-under-logins', 'use-1m'];
/** The rows each store gives: use-1m measures use with the small pool, then with the large one. */
const ROWS_PER_STORE = [...TICKETD_SCENARIOS.slice(0, -1), 'use-10k', 'use-1m'];
/** SQLite always; PostgreSQL and Redis only when their benchmark URLs are set. */
const STORES = [
  'sqlite',
  ...(process.env.TICKETD_BENCH_POSTGRES_URL ? ['postgres'] : []),
  ...(process.env.TICKETD_BENCH_REDIS_URL ? ['redis'] : []),
];
const EXPECTED = [
  { scenario: 'ceiling', store: '-', server: 'node:http' },
  { scenario: 'create', store: 'sqlite', server: 'limit' },
  { scenario: 'use', store: 'sqlite', server: 'limit' },
  { scenario: 'oz-reissue', store: '-', server: 'oz+hapi' },
  ...STORES.flatMap((store) => ROWS_PER_STORE.map((scenario) => ({ scenario, store, server: 'ticketd' }))),
];

interface Row {
  scenario: string;
  store: string;
  server: string;
  responses: number;
  non2xx: number;
  status5xx: number;
  errors: number;
  sideLoad?: { ok: number; failed: number };
}

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', fail);
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('npm run bench -- --smoke', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'measures every scenario against a live ticketd without a single 5xx',
    async () => {
      const out = join(dir, 'results.json');
      const { code, stdout, stderr } = await runBench([
        '--smoke',
        '--scenarios',
        TICKETD_SCENARIOS.join(','),
        '--stores',
        STORES.join(','),
        '--out',
        out,
      ]);
      // 0: every bar held; 1: one did not, which a one-second run on a shared machine does not decide.
      expect([0, 1], stderr).toContain(code);

      const tableRows = stdout
        .split('\n')
        .slice(2, 2 + EXPECTED.length)
        .map((line) => {
          const cells = line.split(/\s+/);
          if (cells[1] === '(pairs/s)') cells.splice(1, 1);
          const [scenario, store, server] = cells;
          return { scenario, store, server };
        });
      expect(tableRows).toEqual(EXPECTED);
      for (const store of STORES) {
        expect(stdout).toMatch(new RegExp(`ticketd on ${store}: start-up \\d+ ms, peak RSS \\d+ MB`));
        expect(stdout).toMatch(
          new RegExp(`ticketd on ${store}, 5,000 live tickets: start-up \\d+ ms, peak RSS \\d+ MB`),
        );
      }
      expect(readFileSync(out.replace(/\.json$/, '.svg'), 'utf8')).toMatch(
        /^<svg [^>]*>[\s\S]*use-1m · sqlite[\s\S]*<\/svg>\n$/,
      );

      const { rows, processes } = JSON.parse(readFileSync(out, 'utf8')) as {
        rows: Row[];
        processes: { label: string; startMs: number; peakRssMb: number }[];
      };
      expect(processes.map((p) => p.label)).toEqual(STORES.flatMap((s) => [s, `${s}, 5,000 live tickets`]));
      for (const p of processes) {
        expect(p.startMs, p.label).toBeGreaterThan(0);
        expect(p.peakRssMb, p.label).toBeGreaterThan(0);
      }
      expect(rows.map((r) => ({ scenario: r.scenario, store: r.store, server: r.server }))).toEqual(EXPECTED);
      for (const row of rows) {
        expect(row.responses, row.scenario).toBeGreaterThan(0);
        expect(row.status5xx, row.scenario).toBe(0);
        expect(row.errors, row.scenario).toBe(0);
      }
      // Every use found a live ticket of the seeded pool; every look-up, reissue and login of the side load passed.
      for (const row of rows.filter((r) => r.scenario !== 'ceiling' && r.scenario !== 'create')) {
        expect(row.non2xx, `${row.scenario} on ${row.store}`).toBe(0);
      }
      for (const row of rows.filter((r) => r.scenario === 'use-under-logins')) {
        expect(row.sideLoad?.failed, row.store).toBe(0);
        expect(row.sideLoad?.ok, row.store).toBeGreaterThan(0);
      }
    },
    60_000 * STORES.length,
  );
});
