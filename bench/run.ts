/**
 * `npm run bench`: every speed and memory bar of docs/performance.md. ticketd
 * (compiled, log level info into a file) against baselines measured in the
 * same run: the ceiling of a bare node:http server, the limit server on each
 * store (bench/limit.mjs: a create's and a use's essential work, nothing
 * else) and the reference oz server on hapi (bench/oz-reference.cjs), all
 * driven by autocannon (50 connections, no pipelining, a warm-up, then the
 * timed run). Every scenario runs on SQLite by default, and side by side on
 * PostgreSQL and Redis with `--stores`; `--baseline REV` measures another
 * revision beside this tree, scenario by scenario (bench/builds.ts). Prints
 * one table on stdout, progress on stderr, and writes the table as JSON
 * (bench/results/latest.json) and as a chart (bench/results/latest.svg).
 *
 *   npm run bench -- [--duration S] [--warmup S] [--connections N]
 *                    [--scenarios create,use,...] [--stores sqlite,postgres,redis]
 *                    [--all] [--smoke] [--baseline REV] [--rounds N] [--out FILE] [--build | --no-build] [--cpu-prof DIR]
 *
 * Exit status: 0 when every bar holds, 1 when one does not, 2 when the run broke.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RequestSpec } from 'autocannon';
import { type BuildWhen, ensureBuilt, ROOT } from './build.js';
import { type Build, baselineBuild, currentBuild } from './builds.js';
import { type DriveOptions, type Measured, measure } from './measure.js';
import {
  countLines,
  rssMb,
  type Server,
  startCeiling,
  startLimit,
  startOzReference,
  startTicketd,
  stop,
} from './processes.js';
import { clearStatus, fmtInt, progress, round, status } from './progress.js';
import {
  type BarContext,
  barFor,
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
import { BENCH_MASTER_TOKEN } from './scenarios/api.js';
import { ozReissueRequests, setupOzReissue, type UserTicket } from './scenarios/oz.js';
import { type ProfileFixture, profileGetRequests, setupProfileGet, startLogins } from './scenarios/profile.js';
import { createRequests, PAYLOAD_JSON, pairRequests, TicketPool, useRequests } from './scenarios/tickets.js';
import { type BenchStore, benchStore, STORE_NAMES, type StoreName } from './stores.js';

/** What `--scenarios` takes; `use-1m` runs both use-10k and use-1m. */
const SCENARIOS = [
  'create',
  'use',
  'create+use',
  'profile-get',
  'oz-reissue',
  'use-under-logins',
  'create-webhook',
  'use-webhook',
  'use-1m',
] as const;
type ScenarioOption = (typeof SCENARIOS)[number];

/** Logins per second of the side load of use-under-logins (docs/performance.md). */
const LOGINS_PER_SECOND = 20;
/** Live tickets of the two use-1m runs (docs/performance.md), and of a --smoke run. */
const LIVE_SCALE = { small: 10_000, large: 1_000_000 };
const LIVE_SCALE_SMOKE = { small: 1_000, large: 5_000 };
/** Uses of each ticket of the use-1m pools: every use takes one and leaves the ticket alive. */
const MANY_USES = 1_000_000_000;
/** User tickets the oz-reissue runs go round (ticketd's and the reference's). */
const OZ_TICKETS = 100;

// ---- options ---------------------------------------------------------------

const HELP = `Usage: npm run bench -- [options]

  --duration S        seconds of each timed run           (default 10; --smoke: 1)
  --warmup S          seconds of warm-up before each run  (default 3; --smoke: 0)
  --connections N     concurrent connections              (default 50)
  --scenarios LIST    of ${SCENARIOS.join(',')} (default: all; alias pairs = create+use;
                      use-1m compares use with 1,000,000 and with 10,000 live tickets; the ceiling always runs,
                      the limit server on each store with create or use, the oz reference with oz-reissue)
  --stores LIST       of sqlite,postgres,redis            (default sqlite); PostgreSQL from
                      TICKETD_BENCH_POSTGRES_URL, Redis from TICKETD_BENCH_REDIS_URL
  --all               every scenario on every store
  --baseline REV      also measure revision REV (a commit, tag or branch), scenario by scenario beside
                      this tree, and print each rate against it (built once in a git worktree under the
                      temporary directory)
  --rounds N          measure each scenario N times on each build, alternating which goes first, and
                      keep the run with the median rate (default 1)
  --smoke             a short run (about 1 s per scenario, small pools), for the test suite
  --out FILE          where the JSON goes                 (default bench/results/latest.json;
                      the chart goes beside it, .svg)
  --build             rebuild dist/ even when it looks up to date
  --no-build          use dist/ as it is (built only when missing)
  --cpu-prof DIR      run ticketd under node --cpu-prof, writing its profiles to DIR
  --instances N       run N ticketd processes of each build on one store, the connections shared out
                      among them (default 1)`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      scenarios: { type: 'string' },
      stores: { type: 'string' },
      all: { type: 'boolean', default: false },
      baseline: { type: 'string' },
      rounds: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
      build: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      instances: { type: 'string' },
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
    baseline: values.baseline,
    rounds: num('rounds', values.rounds, 1, 1),
    smoke: values.smoke,
    out,
    chart: `${out.replace(/\.json$/, '')}.svg`,
    build: (values.build ? 'always' : values['no-build'] ? 'never' : 'when-stale') as BuildWhen,
    cpuProf: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
    instances: num('instances', values.instances, 1, 1),
  };
}

type Options = ReturnType<typeof parseOptions>;

/** What the rows of one run are measured against, filled in as the reference servers run. */
interface Run {
  options: Options;
  rows: Row[];
  ctx: BarContext;
}

/** A row of a ticketd build, held to its bar (this tree) or compared with this tree's row (a baseline). */
function ticketdRow(
  run: Run,
  scenario: ScenarioName,
  m: Measured,
  store: StoreName,
  build: Build,
  baseline?: { rate: number; of: string },
): Row {
  const ctx = { ...run.ctx, ...(baseline ? { baseline } : {}) };
  // A baseline build answers to no bar: this tree's row of the same scenario says how the two compare (compare()).
  const bar = build.label === 'ticketd' ? barFor(scenario, store, ctx) : null;
  const row = toRow(scenario, m, ctx, { store, server: build.label }, bar);
  run.rows.push(row);
  return row;
}

/** With a baseline build: each of this tree's rows as a fraction of the baseline's row of the same scenario and store. */
function compare(rows: Row[]): void {
  for (const base of rows.filter((r) => r.server.startsWith('ticketd@'))) {
    const mine = rows.find((r) => r.scenario === base.scenario && r.store === base.store && r.server === 'ticketd');
    if (mine && base.rate > 0) mine.vsBaseline = round(mine.rate / base.rate, 3);
  }
}

/** One measurement of a scenario on one build; use-under-logins also its baseline and side load. */
interface Sample {
  m: Measured;
  baseline?: { rate: number; of: string };
  sideLoad?: Row['sideLoad'];
}

/** The sample with the median rate (the lower middle one of an even count). */
function median(samples: Sample[]): Sample {
  const sorted = [...samples].sort((a, b) => a.m.responses / a.m.seconds - b.m.responses / b.m.seconds);
  return sorted[Math.floor((sorted.length - 1) / 2)] as Sample;
}

/**
 * Runs `measureOnce` options.rounds times on every instance, alternating
 * which goes first (and starting with the other one every other scenario,
 * `k`), so that no build always runs on the warmer or the colder machine;
 * returns each instance's median sample.
 */
async function rounds<I>(k: number, instances: I[], times: number, measureOnce: (i: I) => Promise<Sample>) {
  const samples = new Map<I, Sample[]>(instances.map((i) => [i, []]));
  for (let r = 0; r < times; r++) {
    for (const i of (k + r) % 2 === 0 ? instances : [...instances].reverse()) {
      samples.get(i)?.push(await measureOnce(i));
    }
  }
  return instances.map((i) => ({ i, sample: median(samples.get(i) ?? []) }));
}

// ---- the reference servers -------------------------------------------------

async function measureCeiling(run: Run): Promise<void> {
  const ceiling = await startCeiling();
  try {
    const m = await measure('ceiling', ceiling, createRequests, run.options.drive);
    run.ctx.ceilingRate = m.responses / m.seconds;
    run.rows.push(toRow('ceiling', m, run.ctx, { store: '-', server: 'node:http' }));
  } finally {
    await stop(ceiling.child);
  }
}

/**
 * The limit server's create and use on `store` (docs/performance.md): on
 * SQLite a file of its own, on PostgreSQL a schema and on Redis a key prefix
 * of its own, removed afterwards.
 */
async function measureLimit(run: Run, store: StoreName, seeds: Build['seed']): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-bench-limit-'));
  const place = benchStore(store, dir, seeds);
  const limit = await startLimit(store === 'sqlite' ? join(dir, 'limit.db') : place.url);
  const where = { store, server: 'limit' };
  const limits: NonNullable<BarContext['limits']>[StoreName] = {};
  run.ctx.limits = { ...run.ctx.limits, [store]: limits };
  try {
    if (run.options.scenarios.includes('create')) {
      const m = await measure(`create on the limit server (${store})`, limit, createRequests, run.options.drive);
      limits.create = toRow('create', m, run.ctx, where);
      run.rows.push(limits.create);
    }
    if (run.options.scenarios.includes('use')) {
      const pool = new TicketPool();
      const needed = ticketsFor(run.ctx.ceilingRate * FIRST_USE_RUN_RATIO, run.options);
      for (let n = 0; n < needed; n += 20_000) {
        const res = await fetch(`${limit.url}/seed`, {
          method: 'POST',
          body: JSON.stringify({ n: Math.min(20_000, needed - n), payload: JSON.parse(PAYLOAD_JSON) }),
        });
        pool.add((await res.json()) as string[]);
      }
      const m = await measure(`use on the limit server (${store})`, limit, useRequests(pool), run.options.drive);
      limits.use = toRow('use', m, run.ctx, where);
      run.rows.push(limits.use);
    }
  } finally {
    await stop(limit.child);
    await place.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The reference oz server's reissue (docs/performance.md's oz-reissue bar). */
async function measureOzReference(run: Run): Promise<void> {
  const { server, tickets } = await startOzReference<UserTicket>(OZ_TICKETS);
  try {
    const requests = ozReissueRequests(server.url, tickets, '/oz/reissue');
    const m = await measure('oz-reissue on the reference oz server (hapi)', server, requests, run.options.drive);
    run.ctx.ozReference = toRow('oz-reissue', m, run.ctx, { store: '-', server: 'oz+hapi' });
    run.rows.push(run.ctx.ozReference);
  } finally {
    await stop(server.child);
  }
}

// ---- ticketd on one store --------------------------------------------------

/**
 * Uses one run (warm-up and timed run) at `rate` may take, with room to
 * spare. A use run tops its pool up to this before it starts, so that the
 * store holds about as many tickets as the run needs, not millions more.
 */
function ticketsFor(rate: number, options: Options): number {
  return Math.ceil(rate * (options.drive.warmup + options.drive.duration + 2) * 1.5) + 1000;
}
/** The rate the first use run is seeded for, as a fraction of the ceiling: above any build's; beyond it, uses would find no ticket (404s, reported). */
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

/** One build of ticketd on a fresh store of its own, and what its scenarios need. */
interface Instance {
  build: Build;
  label: string;
  target: BenchStore;
  ticketd: Server & { startMs: number };
  /** With --instances N: the other processes on the same store. */
  others: Server[];
  pool: TicketPool;
  dir: string;
  logPath: string;
  /** create-webhook, use-webhook: the receiver of the endpoint subscribed on this instance, and the endpoint. */
  receiver?: Server;
  webhook?: string;
}

/** A fresh store for the build, seeded by `before` (if given), then ticketd on it. */
async function startInstance(
  store: StoreName,
  build: Build,
  label: string,
  options: Options,
  before?: (target: BenchStore, pool: TicketPool) => Promise<void>,
): Promise<Instance> {
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-bench-'));
  const logPath = join(dir, 'ticketd.log');
  const target = benchStore(store, dir, build.seed);
  const pool = new TicketPool();
  try {
    await before?.(target, pool);
    const ticketd = await startTicketd(target.url, logPath, options.cpuProf, build.bin);
    progress(`${label}: ticketd answering at ${ticketd.url} after ${ticketd.startMs} ms (log: ${logPath})`);
    const others: Server[] = [];
    for (let n = 1; n < options.instances; n++) {
      others.push(await startTicketd(target.url, `${logPath}.${n}`, options.cpuProf, build.bin));
    }
    return { build, label, target, ticketd, others, pool, dir, logPath };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    await target.cleanup().catch(() => {});
    throw err;
  }
}

/** Stops ticketd, removes its store; the process report (this tree's builds only). */
async function stopInstance(i: Instance, processes: ProcessReport[]): Promise<void> {
  const report = processReport(i.label, i.ticketd.startMs, rssMb(i.ticketd.child.pid));
  for (const other of i.others) await stop(other.child);
  await stop(i.ticketd.child);
  if (i.receiver) await stop(i.receiver.child);
  if (i.build.label === 'ticketd') {
    processes.push({ ...report, logLines: countLines(i.logPath), exitCode: i.ticketd.child.exitCode });
  }
  rmSync(i.dir, { recursive: true, force: true });
  await i.target.cleanup().catch((err: unknown) => progress(`${i.target.name}: cleanup failed: ${String(err)}`));
}

const labelOf = (build: Build, what: string) => (build.label === 'ticketd' ? what : `${what} (${build.label})`);

/** Every scenario of the run but use-1m on one store: one ticketd process per build, each scenario on each build in turn. */
async function runStore(store: StoreName, builds: Build[], run: Run, processes: ProcessReport[]): Promise<void> {
  const { options } = run;
  const has = (s: ScenarioOption) => options.scenarios.includes(s);
  if (!SCENARIOS.some((s) => s !== 'use-1m' && has(s))) return;
  const instances: (Instance & { profile?: ProfileFixture; ozTickets?: UserTicket[] })[] = [];
  try {
    for (const build of builds) {
      const instance = await startInstance(store, build, labelOf(build, store), options);
      instances.push(instance);
      const url = instance.ticketd.url;
      const tag = `${store}-${Date.now().toString(36)}`;
      if (has('profile-get') || has('use-under-logins')) {
        const n = has('profile-get') ? (options.smoke ? 200 : 5000) : 0;
        progress(`${instance.label}: creating a profile and ${fmtInt(n)} login tickets`);
        Object.assign(instance, { profile: await setupProfileGet(url, n, tag) });
      }
      if (has('oz-reissue')) {
        progress(`${instance.label}: creating an Oz app, a session and ${OZ_TICKETS} user tickets`);
        Object.assign(instance, { ozTickets: await setupOzReissue(url, OZ_TICKETS, tag) });
      }
    }
    for (const [k, scenario] of options.scenarios.entries()) {
      if (scenario === 'use-1m') continue; // its own store and process: runLiveScale()
      const once = async (i: (typeof instances)[number]): Promise<Sample> => {
        const timed = async (requests: () => RequestSpec[]) => ({
          m: await measure(labelOf(i.build, `${scenario} on ${store}`), i.ticketd, requests, options.drive, i.others),
        });
        switch (scenario) {
          case 'create':
            return timed(createRequests);
          case 'use':
            await topUp(i.target, i.pool, ticketsFor(run.ctx.ceilingRate * FIRST_USE_RUN_RATIO, options));
            return timed(useRequests(i.pool));
          case 'create+use':
            return timed(pairRequests);
          case 'profile-get':
            return timed(profileGetRequests((i.profile as ProfileFixture).loginTickets));
          case 'oz-reissue':
            return timed(ozReissueRequests(i.ticketd.url, i.ozTickets as UserTicket[]));
          case 'use-under-logins':
            return useUnderLogins(run, i, i.profile as ProfileFixture);
          case 'create-webhook':
          case 'use-webhook':
            return withWebhook(run, i, scenario);
        }
      };
      for (const { i, sample } of await rounds(k, instances, options.rounds, once)) {
        const row = ticketdRow(run, scenario, sample.m, store, i.build, sample.baseline);
        if (sample.sideLoad) {
          row.sideLoad = sample.sideLoad;
          const done = sample.sideLoad;
          if (done.failed > 0 || done.ok === 0) {
            row.failures.push(`side load: ${done.ok} logins ok, ${done.failed} failed`);
            row.pass = false;
          }
        }
      }
    }
  } finally {
    for (const i of instances) await stopInstance(i, processes);
  }
}

/**
 * create or use with one webhook endpoint of the tenant subscribed to
 * ticket.created and ticket.used (docs/events.md), its receiver a bare
 * node:http server (bench/ceiling.mjs). The bar is the drop against the same
 * scenario measured just before on the same instance and store with the
 * endpoint disabled (so no event is written): side by side, the store in the
 * same state, as use-under-logins does.
 */
async function withWebhook(run: Run, i: Instance, scenario: 'create-webhook' | 'use-webhook'): Promise<Sample> {
  const { options } = run;
  const store = i.target.name;
  const plain = scenario === 'create-webhook' ? 'create' : 'use';
  const admin = (method: string, path: string, body: unknown) =>
    fetch(`${i.ticketd.url}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${BENCH_MASTER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  if (!i.receiver) {
    i.receiver = await startCeiling();
    const res = await admin('POST', '/webhooks', {
      url: `${i.receiver.url}/hook`,
      events: ['ticket.created', 'ticket.used'],
    });
    if (res.status !== 201) throw new Error(`subscribing a webhook endpoint: ${res.status} ${await res.text()}`);
    i.webhook = ((await res.json()) as { id: string }).id;
  }
  const enable = async (enabled: boolean) => {
    const res = await admin('PATCH', `/webhooks/${i.webhook}`, { enabled });
    if (res.status !== 200) throw new Error(`${enabled ? 'enabling' : 'disabling'} the endpoint: ${res.status}`);
    // Every instance reads its subscriptions within one delivery round.
    await new Promise((r) => setTimeout(r, 1_500));
  };
  const last = run.rows.find((r) => r.scenario === plain && r.store === store && r.server === i.build.label);
  const needed = (rate: number) => ticketsFor(rate, options);
  let requests = createRequests;
  if (plain === 'use') {
    await topUp(i.target, i.pool, needed(last ? last.rate : run.ctx.ceilingRate * FIRST_USE_RUN_RATIO));
    requests = useRequests(i.pool);
  }
  await enable(false);
  const base = await measure(
    labelOf(i.build, `${plain} on ${store} (endpoint disabled)`),
    i.ticketd,
    requests,
    options.drive,
    i.others,
  );
  if (plain === 'use') await topUp(i.target, i.pool, needed(base.responses / base.seconds));
  await enable(true);
  const m = await measure(labelOf(i.build, `${scenario} on ${store}`), i.ticketd, requests, options.drive, i.others);
  return { m, baseline: { rate: base.responses / base.seconds, of: `${plain}, endpoint disabled` } };
}

/** Ticket use without, then with, 20 authenticates a second (scrypt) beside it; the bar is the drop. */
async function useUnderLogins(run: Run, i: Instance, profile: ProfileFixture): Promise<Sample> {
  const { options } = run;
  const store = i.target.name;
  const requests = useRequests(i.pool);
  const lastUse = run.rows.find((r) => r.scenario === 'use' && r.store === store && r.server === i.build.label);
  await topUp(
    i.target,
    i.pool,
    ticketsFor(lastUse ? lastUse.rate : run.ctx.ceilingRate * FIRST_USE_RUN_RATIO, options),
  );
  const base = await measure(labelOf(i.build, `use on ${store} (without logins)`), i.ticketd, requests, options.drive);
  await topUp(i.target, i.pool, ticketsFor(base.responses / base.seconds, options));
  const side = startLogins(i.ticketd.url, profile.username, LOGINS_PER_SECOND);
  const label = labelOf(i.build, `use-under-logins on ${store} (${LOGINS_PER_SECOND} logins/s)`);
  const m = await measure(label, i.ticketd, requests, options.drive).finally(() => side.stop());
  const done = await side.stop();
  progress(`${label}: side load sent ${done.sent} logins, ${done.ok} ok, ${done.failed} failed`);
  return { m, baseline: { rate: base.responses / base.seconds, of: 'use without logins' }, sideLoad: done };
}

/**
 * use-1m: ticket use with 10,000 live tickets, then, on the same ticketd
 * process, with 1,000,000 (the rest seeded while it runs). Every ticket has
 * many uses, so that each use is a write that leaves the ticket alive and
 * the number of live tickets stays what it says. The process's peak RSS is
 * the one with 1,000,000 live tickets.
 */
async function runLiveScale(store: StoreName, builds: Build[], run: Run, processes: ProcessReport[]): Promise<void> {
  const { options } = run;
  const scale = options.smoke ? LIVE_SCALE_SMOKE : LIVE_SCALE;
  const instances: Instance[] = [];
  try {
    for (const build of builds) {
      const label = labelOf(build, `${store}, ${fmtInt(scale.large)} live tickets`);
      instances.push(
        await startInstance(store, build, label, options, async (target, pool) => {
          pool.add(await seed(target, scale.small, MANY_USES));
        }),
      );
    }
    const live = (n: number) => async (i: Instance) => ({
      m: await measure(
        labelOf(i.build, `use on ${store} with ${fmtInt(n)} live`),
        i.ticketd,
        useRequests(i.pool, true),
        options.drive,
      ),
    });
    const small = new Map<Instance, number>();
    for (const { i, sample } of await rounds(0, instances, options.rounds, live(scale.small))) {
      const row = ticketdRow(run, 'use-10k', sample.m, store, i.build);
      row.liveTickets = scale.small;
      small.set(i, row.rate);
    }
    for (const i of instances) {
      i.pool.add(await seed(i.target, scale.large - scale.small, MANY_USES));
      i.pool.next = 0;
    }
    for (const { i, sample } of await rounds(1, instances, options.rounds, live(scale.large))) {
      const baseline = { rate: small.get(i) ?? 0, of: `use with ${fmtInt(scale.small)} live` };
      ticketdRow(run, 'use-1m', sample.m, store, i.build, baseline).liveTickets = scale.large;
    }
  } finally {
    for (const i of instances) await stopInstance(i, processes);
  }
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
  const builds = [await currentBuild()];
  if (options.baseline) builds.push(await baselineBuild(options.baseline));
  const d = options.drive;
  progress(
    `${d.connections} connections, warm-up ${d.warmup} s, ${d.duration} s each; stores ${options.stores.join(', ')}; ` +
      `scenarios ${options.scenarios.join(', ')}; builds ${builds.map((b) => b.label).join(', ')}; ` +
      `load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );

  const run: Run = { options, rows: [], ctx: { ceilingRate: 0 } };
  await measureCeiling(run);
  if (options.scenarios.includes('create') || options.scenarios.includes('use')) {
    for (const store of options.stores) await measureLimit(run, store, (builds[0] as Build).seed);
  }
  if (options.stores.includes('sqlite') && options.scenarios.includes('oz-reissue')) await measureOzReference(run);

  const processes: ProcessReport[] = [];
  for (const store of options.stores) {
    await runStore(store, builds, run, processes);
    if (options.scenarios.includes('use-1m')) await runLiveScale(store, builds, run, processes);
  }
  const { rows } = run;
  compare(rows);

  clearStatus();
  console.log(table(rows));
  for (const p of processes) console.log(processLine(p));

  const revision = gitRevision();
  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, Node ${process.version}`;
  writeFileAtomic(
    options.out,
    `${JSON.stringify(
      {
        date: started.toISOString(),
        revision,
        baseline: builds[1]?.label,
        node: process.version,
        cpus: cpu.length,
        cpuModel: cpu[0]?.model,
        loadAverage: { before: loadBefore.map((l) => round(l)), after: loadavg().map((l) => round(l)) },
        options: { ...d, pipelining: 1, rounds: options.rounds, smoke: options.smoke },
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
      `${machine}; revision ${revision ?? '?'}`,
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
