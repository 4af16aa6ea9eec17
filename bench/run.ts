/**
 * `npm run bench`: the speed bars of quality.md. ticketd (compiled, SQLite
 * store, log level info into a file) against the ceiling of a bare node:http
 * server measured in the same run, both driven by autocannon (50 connections,
 * no pipelining, a warm-up, then the timed run). Prints one table on stdout,
 * progress on stderr, and writes the table as JSON (bench/results/latest.json).
 *
 *   npm run bench -- [--duration S] [--warmup S] [--connections N]
 *                    [--scenarios create,use,...] [--stores sqlite,postgres,redis]
 *                    [--all] [--smoke] [--out FILE] [--build | --no-build] [--cpu-prof DIR]
 *
 * Exit status: 0 when every bar holds, 1 when one does not, 2 when the run broke.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon, { type RequestSpec } from 'autocannon';
import { BENCH_MASTER_TOKEN } from './scenarios/api.js';
import { ozReissueRequests, setupOzReissue, type UserTicket } from './scenarios/oz.js';
import { type ProfileFixture, profileGetRequests, setupProfileGet, startLogins } from './scenarios/profile.js';
import { benchStore, STORE_NAMES, type StoreName } from './stores.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const CEILING = join(ROOT, 'bench', 'ceiling.mjs');

const CREATE_BODY = '{"uses":1,"ttl":60,"payload":{"user_id":9001}}';
const PAYLOAD_JSON = '{"user_id":9001}';
const JSON_HEADERS = { 'content-type': 'application/json' };

type ScenarioName = 'ceiling' | 'create' | 'use' | 'create+use' | 'profile-get' | 'oz-reissue' | 'use-under-logins';
const TICKETD_SCENARIOS: ScenarioName[] = [
  'create',
  'use',
  'create+use',
  'profile-get',
  'oz-reissue',
  'use-under-logins',
];
/** The opaque-ticket scenarios: what `--stores` runs on each store unless told otherwise. */
const TICKET_SCENARIOS: ScenarioName[] = ['create', 'use', 'create+use'];
const DEFAULT_SCENARIOS: ScenarioName[] = ['create', 'use', 'create+use', 'profile-get', 'oz-reissue'];
/** Logins per second of the side load of use-under-logins (quality.md). */
const LOGINS_PER_SECOND = 20;

interface Bar {
  /** Least rate allowed, as a fraction of the ceiling's req/s. */
  ratio?: number;
  /** Greatest p99 allowed, in ms. */
  p99Ms?: number;
  /** Least rate allowed, as a fraction of the same scenario's rate without the side load. */
  ofBaseline?: number;
}

const BARS: Partial<Record<ScenarioName, Bar>> = {
  create: { ratio: 0.6, p99Ms: 10 },
  use: { ratio: 0.6, p99Ms: 10 },
  'create+use': { ratio: 0.3 },
  'profile-get': { ratio: 0.5 },
  'oz-reissue': { ratio: 0.25 },
  'use-under-logins': { ofBaseline: 0.8 },
};

/** quality.md's bars on PostgreSQL and Redis: side by side, and Redis use >= 0.50 of the ceiling. */
function barFor(scenario: ScenarioName, store: StoreName): Bar | null {
  if (store === 'sqlite' || scenario === 'ceiling') return BARS[scenario] ?? null;
  if (scenario === 'use-under-logins') return BARS[scenario] ?? null;
  if (store === 'redis' && scenario === 'use') return { ratio: 0.5 };
  return null;
}

interface Row {
  scenario: ScenarioName;
  /** The store ticketd ran on (the ceiling has none: `-`). */
  store: StoreName | '-';
  /** use-under-logins: the use rate without the side load, measured just before. */
  baselineRate?: number;
  /** use-under-logins: what the side load did. */
  sideLoad?: { sent: number; ok: number; failed: number; statuses: Record<string, number> };
  /** What `rate` counts: requests, or create+use pairs. */
  unit: 'req/s' | 'pairs/s';
  rate: number;
  /** Responses counted in the timed run. */
  responses: number;
  /** CPU time the server used per response, in µs (Linux only): steadier than req/s on a busy machine. */
  serverCpuUs: number | undefined;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  status5xx: number;
  statusCodes: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
  ratio: number;
  bar: Bar | null;
  pass: boolean | null;
  /** Why it failed, when it did. */
  failures: string[];
}

// ---- options ---------------------------------------------------------------

type BuildWhen = 'always' | 'when-stale' | 'never';

const HELP = `Usage: npm run bench -- [options]

  --duration S        seconds of each timed run           (default 10; --smoke: 1)
  --warmup S          seconds of warm-up before each run  (default 3; --smoke: 0)
  --connections N     concurrent connections              (default 50)
  --scenarios LIST    of ${TICKETD_SCENARIOS.join(',')} (alias pairs; the ceiling always runs)
                      (default ${DEFAULT_SCENARIOS.join(',')}; with --stores: ${TICKET_SCENARIOS.join(',')})
  --stores LIST       of sqlite,postgres,redis            (default sqlite); PostgreSQL from
                      TICKETD_BENCH_POSTGRES_URL, Redis from TICKETD_BENCH_REDIS_URL
  --all               every scenario on every store
  --smoke             a short run (about 1 s per scenario), for the test suite
  --out FILE          where the JSON goes                 (default bench/results/latest.json)
  --build             rebuild dist/ even when it looks up to date
  --no-build          use dist/ as it is (built only when missing)
  --cpu-prof DIR      run ticketd under node --cpu-prof, writing its profile to DIR`;

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
  const scenarios = new Set<ScenarioName>();
  const defaultScenarios = values.all ? TICKETD_SCENARIOS : values.stores ? TICKET_SCENARIOS : DEFAULT_SCENARIOS;
  for (const raw of (values.scenarios ?? defaultScenarios.join(',')).split(',')) {
    const name = raw.trim() === 'pairs' ? 'create+use' : raw.trim();
    if (name === '' || name === 'ceiling') continue;
    if (!TICKETD_SCENARIOS.includes(name as ScenarioName)) {
      throw new Error(`--scenarios: unknown scenario "${raw}" (known: ${TICKETD_SCENARIOS.join(', ')}, pairs)`);
    }
    scenarios.add(name as ScenarioName);
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
  return {
    duration: num('duration', values.duration, values.smoke ? 1 : 10, 1),
    warmup: num('warmup', values.warmup, values.smoke ? 0 : 3, 0),
    connections: num('connections', values.connections, 50, 1),
    scenarios: TICKETD_SCENARIOS.filter((s) => scenarios.has(s)),
    stores,
    smoke: values.smoke,
    out: resolve(values.out ?? join(ROOT, 'bench', 'results', 'latest.json')),
    build: (values.build ? 'always' : values['no-build'] ? 'never' : 'when-stale') as BuildWhen,
    cpuProf: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
  };
}

type Options = ReturnType<typeof parseOptions>;

// ---- progress --------------------------------------------------------------

const tty = process.stderr.isTTY === true;
let statusLine = false;

function progress(message: string): void {
  if (statusLine) process.stderr.write('\r\x1b[K');
  statusLine = false;
  process.stderr.write(`[bench] ${message}\n`);
}

/** A line that the next one overwrites (only on a terminal). */
function status(message: string): void {
  if (!tty) return;
  process.stderr.write(`\r\x1b[K[bench] ${message}`);
  statusLine = true;
}

// ---- child processes -------------------------------------------------------

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
async function stop(child: ChildProcess, graceMs = 10_000): Promise<void> {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function startCeiling(): Promise<{ child: ChildProcess; url: string }> {
  const child = track(spawn(process.execPath, [CEILING], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n')[0];
      if (text.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`the ceiling server exited (${code}) before listening`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function startTicketd(
  storeUrl: string,
  logPath: string,
  cpuProf: string | undefined,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TICKETD_')) env[k] = v;
  env.TICKETD_LOG_LEVEL = 'info';
  env.TICKETD_MASTER_TOKEN = BENCH_MASTER_TOKEN;
  const nodeArgs = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : [];
  const log = openSync(logPath, 'a');
  const child = track(
    spawn(
      process.execPath,
      [...nodeArgs, MAIN, 'serve', '--listen', `127.0.0.1:${port}`, '--store', storeUrl],
      // One JSON line per request goes to stdout: into a file, never the terminal.
      { stdio: ['ignore', log, 'inherit'], env },
    ),
  );
  closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ticketd exited with ${child.exitCode} before answering`);
    try {
      const res = await fetch(`${url}/v1/ping`);
      if (res.ok) return { child, url };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('ticketd did not answer /v1/ping within 15 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function countLines(path: string): number {
  const text = readFileSync(path);
  let lines = 0;
  for (let i = text.indexOf(0x0a); i !== -1; i = text.indexOf(0x0a, i + 1)) lines++;
  return lines;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux); undefined elsewhere. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = 100;

/** Peak resident set of a process, from /proc (Linux); undefined elsewhere. */
function peakRssMb(pid: number | undefined): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

// ---- build -----------------------------------------------------------------

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Runs `npm run build` when dist/ is missing or (unless told not to look) older than what it is built from. */
function ensureBuilt(when: BuildWhen): void {
  const sources = ['src', 'tsconfig.build.json', 'tsconfig.json', 'package.json'].map((p) => join(ROOT, p));
  const stale =
    when === 'always' ||
    !existsSync(MAIN) ||
    (when === 'when-stale' && Math.max(...sources.map(newestMtime)) > statSync(MAIN).mtimeMs);
  if (!stale) return;
  progress('building (npm run build)');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (r.status === 0) return;
  // tsc still emits JavaScript when it finds type errors; measure that, but say so.
  if (!existsSync(MAIN)) throw new Error(`npm run build failed (${r.status ?? r.signal})`);
  progress(`WARNING: npm run build failed (${r.status ?? r.signal}); measuring what it emitted`);
}

// ---- measuring -------------------------------------------------------------

interface Measured {
  responses: number;
  /** CPU time the server used per response in the timed run, in µs (Linux only). */
  serverCpuUs: number | undefined;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  status5xx: number;
  statusCodes: Record<string, number>;
  errors: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

async function drive(url: string, requests: RequestSpec[], seconds: number, connections: number, label: string) {
  const latencies: number[] = [];
  const instance = autocannon({ url, connections, pipelining: 1, duration: seconds, requests });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
  });
  let elapsed = 0;
  instance.on('tick', ({ counter }: { counter: number }) => {
    elapsed++;
    status(`${label}: ${Math.min(elapsed, seconds)}/${seconds} s, ${counter.toLocaleString('en-US')} req/s`);
  });
  const result = await instance;
  return { result, latencies };
}

async function measure(
  label: string,
  server: { url: string; child: ChildProcess },
  requests: () => RequestSpec[],
  options: Options,
): Promise<Measured> {
  const { url } = server;
  if (options.warmup > 0) {
    progress(`${label}: warm-up ${options.warmup} s`);
    await drive(url, requests(), options.warmup, options.connections, `${label} warm-up`);
  }
  progress(`${label}: measuring ${options.duration} s`);
  const cpuBefore = cpuMs(server.child.pid);
  const { result, latencies } = await drive(url, requests(), options.duration, options.connections, label);
  const cpuAfter = cpuMs(server.child.pid);
  const sorted = Float64Array.from(latencies).sort();
  const statusCodes: Record<string, number> = {};
  let status5xx = 0;
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
    statusCodes[code] = count;
    if (code.startsWith('5')) status5xx += count;
  }
  const m: Measured = {
    responses: latencies.length,
    serverCpuUs:
      cpuBefore === undefined || cpuAfter === undefined || latencies.length === 0
        ? undefined
        : round(((cpuAfter - cpuBefore) * 1000) / latencies.length, 1),
    seconds: result.duration,
    p50Ms: round(percentile(sorted, 0.5)),
    p99Ms: round(percentile(sorted, 0.99)),
    non2xx: result.non2xx,
    status5xx,
    statusCodes,
    errors: result.errors + result.timeouts,
  };
  progress(
    `${label}: ${fmtInt(m.responses / m.seconds)} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, non-2xx ${m.non2xx}` +
      (m.serverCpuUs === undefined ? '' : `, server CPU ${m.serverCpuUs} µs/request`),
  );
  return m;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');

// ---- scenarios -------------------------------------------------------------

const createRequests = (): RequestSpec[] => [
  { method: 'POST', path: '/v1/tickets', headers: JSON_HEADERS, body: CREATE_BODY },
];

/**
 * Each use takes the next ticket of the pool (the cursor is shared by every
 * run on the pool); past its end, a ticket that does not exist (a 404).
 */
function useRequests(pool: string[], cursor = { next: 0 }): () => RequestSpec[] {
  return () => [
    {
      method: 'POST',
      path: '/v1/tickets/use',
      headers: JSON_HEADERS,
      setupRequest: (req) => {
        req.body = `{"ticket":"${pool[cursor.next++] ?? 'AAAAAAAAAAAAAAAAAAAAAAAAAAA'}"}`;
        return req;
      },
    },
  ];
}

/** Each connection creates a ticket, then uses the ticket it was given. */
const pairRequests = (): RequestSpec[] => [
  {
    method: 'POST',
    path: '/v1/tickets',
    headers: JSON_HEADERS,
    body: CREATE_BODY,
    onResponse: (status, body, context) => {
      context.ticket = status === 200 ? (JSON.parse(body) as { ticket: string }).ticket : undefined;
    },
  },
  {
    method: 'POST',
    path: '/v1/tickets/use',
    headers: JSON_HEADERS,
    setupRequest: (req, context) => {
      req.body = `{"ticket":"${String(context.ticket)}"}`;
      return req;
    },
  },
];

function toRow(
  scenario: ScenarioName,
  m: Measured,
  ceilingRate: number,
  store: StoreName | '-' = '-',
  baselineRate?: number,
): Row {
  const unit = scenario === 'create+use' ? 'pairs/s' : 'req/s';
  const rate = m.responses / m.seconds / (unit === 'pairs/s' ? 2 : 1);
  const ratio = ceilingRate > 0 ? rate / ceilingRate : Number.NaN;
  const bar = store === '-' ? null : barFor(scenario, store);
  const failures: string[] = [];
  if (bar) {
    if (bar.ratio !== undefined && !(ratio >= bar.ratio)) {
      failures.push(`ratio ${ratio.toFixed(2)} < ${bar.ratio.toFixed(2)}`);
    }
    if (bar.ofBaseline !== undefined && !(baselineRate !== undefined && rate >= bar.ofBaseline * baselineRate)) {
      failures.push(
        `${fmtInt(rate)} req/s < ${bar.ofBaseline} x ${fmtInt(baselineRate ?? Number.NaN)} without the side load`,
      );
    }
    if (bar.p99Ms !== undefined && !(m.p99Ms <= bar.p99Ms)) failures.push(`p99 ${m.p99Ms} ms > ${bar.p99Ms} ms`);
  }
  if (m.non2xx > 0) failures.push(`${m.non2xx} non-2xx`);
  if (m.errors > 0) failures.push(`${m.errors} connection errors/timeouts`);
  return {
    scenario,
    store,
    ...(baselineRate === undefined ? {} : { baselineRate: round(baselineRate, 0) }),
    unit,
    rate: round(rate, 0),
    responses: m.responses,
    serverCpuUs: m.serverCpuUs,
    seconds: m.seconds,
    p50Ms: m.p50Ms,
    p99Ms: m.p99Ms,
    non2xx: m.non2xx,
    status5xx: m.status5xx,
    statusCodes: m.statusCodes,
    errors: m.errors,
    ratio: round(ratio),
    bar,
    pass: bar || failures.length > 0 ? failures.length === 0 : null,
    failures,
  };
}

// ---- output ----------------------------------------------------------------

function table(rows: Row[]): string {
  const head = ['scenario', 'store', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'ratio', 'bar', 'result'];
  const body = rows.map((r) => [
    r.unit === 'pairs/s' ? `${r.scenario} (pairs/s)` : r.scenario,
    r.store,
    fmtInt(r.rate),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    String(r.non2xx),
    r.ratio.toFixed(2),
    r.bar ? describeBar(r) : '-',
    r.pass === null ? '-' : r.pass ? 'pass' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const numeric = new Set([2, 3, 4, 5, 6]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function describeBar(r: Row): string {
  const parts: string[] = [];
  if (r.bar?.ratio !== undefined) parts.push(`>= ${r.bar.ratio.toFixed(2)}`);
  if (r.bar?.p99Ms !== undefined) parts.push(`p99 <= ${r.bar.p99Ms} ms`);
  if (r.bar?.ofBaseline !== undefined) {
    parts.push(`>= ${r.bar.ofBaseline.toFixed(2)} x ${fmtInt(r.baselineRate ?? Number.NaN)} (use without logins)`);
  }
  return parts.join(', ');
}

function gitRevision(): string | undefined {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${rev}+dirty` : rev;
  } catch {
    return undefined;
  }
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Live tickets one use run (warm-up and timed run) may take: ticketd cannot answer faster than the bare ceiling did. */
function useRunTickets(ceilingRate: number, options: Options): number {
  return Math.ceil(ceilingRate * (options.warmup + options.duration + 2) * 1.25);
}

/** Every scenario of the run on one store: a fresh store, seeded, one ticketd process. */
async function runStore(
  store: StoreName,
  options: Options,
  ceilingRate: number,
): Promise<{ rows: Row[]; info: Record<string, unknown> }> {
  const rows: Row[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'ticketd-bench-'));
  const logPath = join(dir, 'ticketd.log');
  const target = benchStore(store, dir);
  let info: Record<string, unknown> = {};
  try {
    // Enough live tickets that no use in the warm-up or the timed run lacks one.
    const useRuns =
      (options.scenarios.includes('use') ? 1 : 0) + (options.scenarios.includes('use-under-logins') ? 2 : 0);
    let pool: string[] = [];
    const poolSize = useRuns > 0 ? useRunTickets(ceilingRate, options) * useRuns + 1000 : 0;
    if (poolSize > 0) {
      progress(`${store}: seeding ${fmtInt(poolSize)} live tickets for the use scenarios`);
      const t0 = performance.now();
      pool = await target.seed({
        count: poolSize,
        uses: 1,
        ttl: 3600,
        payloadJson: PAYLOAD_JSON,
        onProgress: (n) => status(`seeded ${fmtInt(n)} / ${fmtInt(poolSize)}`),
      });
      progress(`${store}: seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const cursor = { next: 0 };

    const t0 = performance.now();
    const ticketd = await startTicketd(target.url, logPath, options.cpuProf);
    const startMs = Math.round(performance.now() - t0);
    progress(`${store}: ticketd answering at ${ticketd.url} after ${startMs} ms (log: ${logPath})`);
    try {
      const tag = `${store}-${Date.now().toString(36)}`;
      let profile: ProfileFixture | undefined;
      let ozTickets: UserTicket[] | undefined;
      if (options.scenarios.includes('profile-get') || options.scenarios.includes('use-under-logins')) {
        const n = options.smoke ? 200 : 5000;
        progress(`${store}: creating a profile and ${fmtInt(n)} login tickets`);
        profile = await setupProfileGet(ticketd.url, options.scenarios.includes('profile-get') ? n : 0, tag);
      }
      if (options.scenarios.includes('oz-reissue')) {
        progress(`${store}: creating an Oz app, a session and 100 user tickets`);
        ozTickets = await setupOzReissue(ticketd.url, 100, tag);
      }
      for (const scenario of options.scenarios) {
        const label = `${scenario} on ${store}`;
        if (scenario === 'use-under-logins') {
          const requests = useRequests(pool, cursor);
          const base = await measure(`use on ${store} (without logins)`, ticketd, requests, options);
          const baseRate = base.responses / base.seconds;
          const side = startLogins(ticketd.url, (profile as ProfileFixture).username, LOGINS_PER_SECOND);
          const m = await measure(`${label} (${LOGINS_PER_SECOND} logins/s)`, ticketd, requests, options).finally(() =>
            side.stop(),
          );
          const done = await side.stop();
          progress(`${label}: side load sent ${done.sent} logins, ${done.ok} ok, ${done.failed} failed`);
          const row: Row = { ...toRow(scenario, m, ceilingRate, store, baseRate), sideLoad: done };
          if (done.failed > 0 || done.ok === 0) {
            row.failures.push(`side load: ${done.ok} logins ok, ${done.failed} failed`);
            row.pass = false;
          }
          rows.push(row);
          continue;
        }
        const requests =
          scenario === 'create'
            ? createRequests
            : scenario === 'use'
              ? useRequests(pool, cursor)
              : scenario === 'profile-get'
                ? profileGetRequests((profile as ProfileFixture).loginTickets)
                : scenario === 'oz-reissue'
                  ? ozReissueRequests(ticketd.url, ozTickets as UserTicket[])
                  : pairRequests;
        const m = await measure(label, ticketd, requests, options);
        rows.push(toRow(scenario, m, ceilingRate, store));
      }
      info = { startMs, peakRssMb: peakRssMb(ticketd.child.pid) };
    } finally {
      await stop(ticketd.child);
    }
    info = { ...info, logLines: countLines(logPath), exitCode: ticketd.child.exitCode };
    if (options.cpuProf) progress(`CPU profile of ticketd written to ${options.cpuProf}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await target.cleanup().catch((err: unknown) => progress(`${store}: cleanup failed: ${String(err)}`));
  }
  return { rows, info };
}

// ---- main ------------------------------------------------------------------

async function main(): Promise<number> {
  const options = parseOptions();
  const started = new Date();
  const loadBefore = loadavg();
  ensureBuilt(options.build);
  progress(
    `${options.connections} connections, warm-up ${options.warmup} s, ${options.duration} s each; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );

  const ceiling = await startCeiling();
  let ceilingRun: Measured;
  try {
    ceilingRun = await measure('ceiling', ceiling, createRequests, options);
  } finally {
    await stop(ceiling.child);
  }
  const ceilingRate = ceilingRun.responses / ceilingRun.seconds;
  const rows: Row[] = [toRow('ceiling', ceilingRun, ceilingRate)];

  const ticketdInfo: Record<string, Record<string, unknown>> = {};
  for (const store of options.stores) {
    const { rows: storeRows, info } = await runStore(store, options, ceilingRate);
    rows.push(...storeRows);
    ticketdInfo[store] = info;
  }

  if (statusLine) process.stderr.write('\r\x1b[K');
  console.log(table(rows));
  for (const [store, info] of Object.entries(ticketdInfo)) {
    console.log(`ticketd on ${store}: peak RSS ${info.peakRssMb ?? '?'} MB`);
  }

  writeJson(options.out, {
    date: started.toISOString(),
    revision: gitRevision(),
    node: process.version,
    cpus: cpus().length,
    loadAverage: { before: loadBefore.map((l) => round(l)), after: loadavg().map((l) => round(l)) },
    options: {
      connections: options.connections,
      pipelining: 1,
      warmupSeconds: options.warmup,
      durationSeconds: options.duration,
      smoke: options.smoke,
    },
    ticketd: ticketdInfo,
    rows,
  });
  progress(`results written to ${options.out}`);
  return rows.every((r) => r.pass !== false) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    progress(`failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(2);
  },
);
