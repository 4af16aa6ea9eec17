/**
 * `npm run bench`: every speed and memory bar of quality.md. ticketd
 * (compiled, log level info into a file) against the ceiling of a bare
 * node:http server measured in the same run, both driven by autocannon (50
 * connections, no pipelining, a warm-up, then the timed run). Every scenario
 * runs on SQLite by default, and side by side on PostgreSQL and Redis with
 * `--stores`. Prints one table on stdout, progress on stderr, and writes the
 * table as JSON (bench/results/latest.json) and as a chart
 * (bench/results/latest.svg).
 *
 *   npm run bench -- [--duration S] [--warmup S] [--connections N]
 *                    [--scenarios create,use,...] [--stores sqlite,postgres,redis]
 *                    [--all] [--smoke] [--out FILE] [--build | --no-build] [--cpu-prof DIR]
 *
 * Exit status: 0 when every bar holds, 1 when one does not, 2 when the run broke.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type BuildWhen, ensureBuilt, ROOT } from './build.js';
import { type DriveOptions, type Measured, measure } from './measure.js';
import { countLines, rssMb, type Server, startCeiling, startTicketd, stop } from './processes.js';
import { clearStatus, fmtInt, progress, round, status } from './progress.js';
import {
  chartSvg,
  type ProcessReport,
  processLine,
  processReport,
  type Row,
  type ScenarioName,
  table,
  toRow,
  writeFileAtomic,
} from './report.js';
import { ozReissueRequests, setupOzReissue, type UserTicket } from './scenarios/oz.js';
import { type ProfileFixture, profileGetRequests, setupProfileGet, startLogins } from './scenarios/profile.js';
import { createRequests, PAYLOAD_JSON, pairRequests, TicketPool, useRequests } from './scenarios/tickets.js';
import { type BenchStore, benchStore, STORE_NAMES, type StoreName } from './stores.js';

/** What `--scenarios` takes; `use-1m` runs both use-10k and use-1m. */
const SCENARIOS = ['create', 'use', 'create+use', 'profile-get', 'oz-reissue', 'use-under-logins', 'use-1m'] as const;
type ScenarioOption = (typeof SCENARIOS)[number];

/** Logins per second of the side load of use-under-logins (quality.md). */
const LOGINS_PER_SECOND = 20;
/** Live tickets of the two use-1m runs (quality.md), and of a --smoke run. */
const LIVE_SCALE = { small: 10_000, large: 1_000_000 };
const LIVE_SCALE_SMOKE = { small: 1_000, large: 5_000 };
/** Uses of each ticket of the use-1m pools: every use takes one and leaves the ticket alive. */
const MANY_USES = 1_000_000_000;

// ---- options ---------------------------------------------------------------

const HELP = `Usage: npm run bench -- [options]

  --duration S        seconds of each timed run           (default 10; --smoke: 1)
  --warmup S          seconds of warm-up before each run  (default 3; --smoke: 0)
  --connections N     concurrent connections              (default 50)
  --scenarios LIST    of ${SCENARIOS.join(',')} (default: all; alias pairs = create+use;
                      use-1m compares use with 1,000,000 and with 10,000 live tickets; the ceiling always runs)
  --stores LIST       of sqlite,postgres,redis            (default sqlite); PostgreSQL from
                      TICKETD_BENCH_POSTGRES_URL, Redis from TICKETD_BENCH_REDIS_URL
  --all               every scenario on every store
  --smoke             a short run (about 1 s per scenario, small pools), for the test suite
  --out FILE          where the JSON goes                 (default bench/results/latest.json;
                      the chart goes beside it, .svg)
  --build             rebuild dist/ even when it looks up to date
  --no-build          use dist/ as it is (built only when missing)
  --cpu-prof DIR      run ticketd under node --cpu-prof, writing its profiles to DIR`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      scenarios: { type: 'string' },
      stores: { type: 'string' },
      all: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
      build: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const num = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got "${raw}"`);
    return n;
  };
  const scenarios = new Set<ScenarioOption>();
  for (const raw of (values.scenarios ?? SCENARIOS.join(',')).split(',')) {
    const name = raw.trim() === 'pairs' ? 'create+use' : raw.trim();
    if (name === '' || name === 'ceiling') continue;
    if (!SCENARIOS.includes(name as ScenarioOption)) {
      throw new Error(`--scenarios: unknown scenario "${raw}" (known: ${SCENARIOS.join(', ')}, pairs)`);
    }
    scenarios.add(name as ScenarioOption);
  }
  const stores: StoreName[] = [];
  for (const raw of (values.stores ?? (values.all ? STORE_NAMES.join(',') : 'sqlite')).split(',')) {
    const name = raw.trim() === 'pg' ? 'postgres' : raw.trim();
    if (name === '') continue;
    if (!STORE_NAMES.includes(name as StoreName)) {
      throw new Error(`--stores: unknown store "${raw}" (known: ${STORE_NAMES.join(', ')})`);
    }
    if (!stores.includes(name as StoreName)) stores.push(name as StoreName);
  }
  const out = resolve(values.out ?? join(ROOT, 'bench', 'results', 'latest.json'));
  return {
    drive: {
      duration: num('duration', values.duration, values.smoke ? 1 : 10, 1),
      warmup: num('warmup', values.warmup, values.smoke ? 0 : 3, 0),
      connections: num('connections', values.connections, 50, 1),
    } satisfies DriveOptions,
    scenarios: SCENARIOS.filter((s) => scenarios.has(s)),
    stores,
    smoke: values.smoke,
    out,
    chart: `${out.replace(/\.json$/, '')}.svg`,
    build: (values.build ? 'always' : values['no-build'] ? 'never' : 'when-stale') as BuildWhen,
    cpuProf: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
  };
}

type Options = ReturnType<typeof parseOptions>;

// ---- one store -------------------------------------------------------------

/**
 * Uses one run (warm-up and timed run) at `rate` may take, with room to
 * spare. A use run tops its pool up to this before it starts, so that the
 * store holds about as many tickets as the run needs, not millions more.
 */
function ticketsFor(rate: number, options: Options): number {
  return Math.ceil(rate * (options.drive.warmup + options.drive.duration + 2) * 1.5) + 1000;
}
/** The rate the first use run is seeded for, as a fraction of the ceiling: above the bar (0.60); beyond it, uses would find no ticket (404s, reported). */
const FIRST_USE_RUN_RATIO = 0.75;

async function topUp(target: BenchStore, pool: TicketPool, needed: number): Promise<void> {
  if (pool.unused < needed) pool.add(await seed(target, needed - pool.unused, 1));
}

async function seed(target: BenchStore, count: number, uses: number): Promise<string[]> {
  progress(`${target.name}: seeding ${fmtInt(count)} live tickets`);
  const t0 = performance.now();
  const pool = await target.seed({
    count,
    uses,
    ttl: 3600,
    payloadJson: PAYLOAD_JSON,
    onProgress: (n) => status(`seeded ${fmtInt(n)} / ${fmtInt(count)}`),
  });
  progress(`${target.name}: seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return pool;
}

/** A fresh store, ticketd on it, `body` run against it; the process report and cleanup whatever happens. */
async function withTicketd(
  store: StoreName,
  label: string,
  options: Options,
  body: (target: BenchStore, start: () => Promise<Server>) => Promise<void>,
): Promise<ProcessReport | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-bench-'));
  const logPath = join(dir, 'ticketd.log');
  const target = await benchStore(store, dir);
  let report: ProcessReport | undefined;
  let ticketd: (Server & { startMs: number }) | undefined;
  try {
    await body(target, async () => {
      ticketd = await startTicketd(target.url, logPath, options.cpuProf);
      progress(`${label}: ticketd answering at ${ticketd.url} after ${ticketd.startMs} ms (log: ${logPath})`);
      return ticketd;
    });
    if (ticketd) report = processReport(label, ticketd.startMs, rssMb(ticketd.child.pid));
  } finally {
    if (ticketd) {
      await stop(ticketd.child);
      if (report) report = { ...report, logLines: countLines(logPath), exitCode: ticketd.child.exitCode };
    }
    rmSync(dir, { recursive: true, force: true });
    await target.cleanup().catch((err: unknown) => progress(`${store}: cleanup failed: ${String(err)}`));
  }
  if (options.cpuProf) progress(`CPU profile of ticketd written to ${options.cpuProf}`);
  return report;
}

/** Every scenario of the run but use-1m on one store: a fresh store, seeded, one ticketd process. */
async function runStore(
  store: StoreName,
  options: Options,
  ceilingRate: number,
  rows: Row[],
): Promise<ProcessReport | undefined> {
  const has = (s: ScenarioOption) => options.scenarios.includes(s);
  if (!SCENARIOS.some((s) => s !== 'use-1m' && has(s))) return undefined;
  return withTicketd(store, store, options, async (target, start) => {
    const pool = new TicketPool();
    const ticketd = await start();
    const tag = `${store}-${Date.now().toString(36)}`;
    let profile: ProfileFixture | undefined;
    let ozTickets: UserTicket[] | undefined;
    if (has('profile-get') || has('use-under-logins')) {
      const n = options.smoke ? 200 : 5000;
      progress(`${store}: creating a profile and ${fmtInt(has('profile-get') ? n : 0)} login tickets`);
      profile = await setupProfileGet(ticketd.url, has('profile-get') ? n : 0, tag);
    }
    if (has('oz-reissue')) {
      progress(`${store}: creating an Oz app, a session and 100 user tickets`);
      ozTickets = await setupOzReissue(ticketd.url, 100, tag);
    }
    const run = (scenario: ScenarioName, requests: () => import('autocannon').RequestSpec[], label?: string) =>
      measure(label ?? `${scenario} on ${store}`, ticketd, requests, options.drive);
    for (const scenario of options.scenarios) {
      switch (scenario) {
        case 'create':
          rows.push(toRow(scenario, await run(scenario, createRequests), ceilingRate, store));
          break;
        case 'use':
          await topUp(target, pool, ticketsFor(ceilingRate * FIRST_USE_RUN_RATIO, options));
          rows.push(toRow(scenario, await run(scenario, useRequests(pool)), ceilingRate, store));
          break;
        case 'create+use':
          rows.push(toRow(scenario, await run(scenario, pairRequests), ceilingRate, store));
          break;
        case 'profile-get': {
          const requests = profileGetRequests((profile as ProfileFixture).loginTickets);
          rows.push(toRow(scenario, await run(scenario, requests), ceilingRate, store));
          break;
        }
        case 'oz-reissue': {
          const requests = ozReissueRequests(ticketd.url, ozTickets as UserTicket[]);
          rows.push(toRow(scenario, await run(scenario, requests), ceilingRate, store));
          break;
        }
        case 'use-under-logins':
          rows.push(await useUnderLogins(target, ticketd, pool, profile as ProfileFixture, options, ceilingRate, rows));
          break;
        case 'use-1m':
          break; // its own store and process: runLiveScale()
      }
    }
  });
}

/** Ticket use without, then with, 20 authenticates a second (scrypt) beside it; the bar is the drop. */
async function useUnderLogins(
  target: BenchStore,
  ticketd: Server,
  pool: TicketPool,
  profile: ProfileFixture,
  options: Options,
  ceilingRate: number,
  rows: Row[],
): Promise<Row> {
  const store = target.name;
  const requests = useRequests(pool);
  const lastUse = rows.find((r) => r.scenario === 'use' && r.store === store);
  await topUp(target, pool, ticketsFor(lastUse ? lastUse.rate : ceilingRate * FIRST_USE_RUN_RATIO, options));
  const base = await measure(`use on ${store} (without logins)`, ticketd, requests, options.drive);
  await topUp(target, pool, ticketsFor(base.responses / base.seconds, options));
  const side = startLogins(ticketd.url, profile.username, LOGINS_PER_SECOND);
  const label = `use-under-logins on ${store} (${LOGINS_PER_SECOND} logins/s)`;
  const m = await measure(label, ticketd, requests, options.drive).finally(() => side.stop());
  const done = await side.stop();
  progress(`${label}: side load sent ${done.sent} logins, ${done.ok} ok, ${done.failed} failed`);
  const row: Row = {
    ...toRow('use-under-logins', m, ceilingRate, store, {
      rate: base.responses / base.seconds,
      of: 'use without logins',
    }),
    sideLoad: done,
  };
  if (done.failed > 0 || done.ok === 0) {
    row.failures.push(`side load: ${done.ok} logins ok, ${done.failed} failed`);
    row.pass = false;
  }
  return row;
}

/**
 * use-1m: ticket use with 10,000 live tickets, then, on the same ticketd
 * process, with 1,000,000 (the rest seeded while it runs). Every ticket has
 * many uses, so that each use is a write that leaves the ticket alive and
 * the number of live tickets stays what it says. The process's peak RSS is
 * the one with 1,000,000 live tickets.
 */
async function runLiveScale(
  store: StoreName,
  options: Options,
  ceilingRate: number,
  rows: Row[],
): Promise<ProcessReport | undefined> {
  const scale = options.smoke ? LIVE_SCALE_SMOKE : LIVE_SCALE;
  const label = `${store}, ${fmtInt(scale.large)} live tickets`;
  return withTicketd(store, label, options, async (target, start) => {
    const pool = new TicketPool();
    pool.add(await seed(target, scale.small, MANY_USES));
    const ticketd = await start();
    const small = await measure(
      `use on ${store} with ${fmtInt(scale.small)} live`,
      ticketd,
      useRequests(pool, true),
      options.drive,
    );
    const smallRow = { ...toRow('use-10k', small, ceilingRate, store), liveTickets: scale.small };
    rows.push(smallRow);
    pool.add(await seed(target, scale.large - scale.small, MANY_USES));
    pool.next = 0;
    const large = await measure(
      `use on ${store} with ${fmtInt(scale.large)} live`,
      ticketd,
      useRequests(pool, true),
      options.drive,
    );
    const baseline = { rate: smallRow.rate, of: `use with ${fmtInt(scale.small)} live` };
    rows.push({ ...toRow('use-1m', large, ceilingRate, store, baseline), liveTickets: scale.large });
  });
}

// ---- main ------------------------------------------------------------------

function gitRevision(): string | undefined {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${rev}+dirty` : rev;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const options = parseOptions();
  const started = new Date();
  const loadBefore = loadavg();
  ensureBuilt(options.build, progress);
  const d = options.drive;
  progress(
    `${d.connections} connections, warm-up ${d.warmup} s, ${d.duration} s each; stores ${options.stores.join(', ')}; ` +
      `scenarios ${options.scenarios.join(', ')}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );

  const ceiling = await startCeiling();
  let ceilingRun: Measured;
  try {
    ceilingRun = await measure('ceiling', ceiling, createRequests, d);
  } finally {
    await stop(ceiling.child);
  }
  const ceilingRate = ceilingRun.responses / ceilingRun.seconds;
  const rows: Row[] = [toRow('ceiling', ceilingRun, ceilingRate)];

  const processes: ProcessReport[] = [];
  for (const store of options.stores) {
    const report = await runStore(store, options, ceilingRate, rows);
    if (report) processes.push(report);
    if (options.scenarios.includes('use-1m')) {
      const scaled = await runLiveScale(store, options, ceilingRate, rows);
      if (scaled) processes.push(scaled);
    }
  }

  clearStatus();
  console.log(table(rows));
  for (const p of processes) console.log(processLine(p));

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`;
  writeFileAtomic(
    options.out,
    `${JSON.stringify(
      {
        date: started.toISOString(),
        revision: gitRevision(),
        node: process.version,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        loadAverage: { before: loadBefore.map((l) => round(l)), after: loadavg().map((l) => round(l)) },
        options: { ...d, pipelining: 1, smoke: options.smoke },
        processes,
        rows,
      },
      null,
      2,
    )}\n`,
  );
  writeFileAtomic(
    options.chart,
    chartSvg(
      rows,
      `ticketd benchmark, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      `${machine}; revision ${gitRevision() ?? '?'}`,
    ),
  );
  progress(`results written to ${options.out} and ${options.chart}`);
  return rows.every((r) => r.pass !== false) && processes.every((p) => p.pass) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    progress(`failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(2);
  },
);
