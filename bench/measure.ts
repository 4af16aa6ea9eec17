/** One timed autocannon run against a server: rate, latency percentiles, status codes, the server's CPU per answer. */
import autocannon, { type RequestSpec } from 'autocannon';
import { cpuMs, type Server } from './processes.js';
import { fmtInt, progress, round, status } from './progress.js';

export interface DriveOptions {
  /** Seconds of warm-up before the timed run (not counted). */
  warmup: number;
  /** Seconds of the timed run. */
  duration: number;
  connections: number;
}

export interface Measured {
  responses: number;
  /** CPU time the server used per response in the timed run, in µs (Linux only). */
  serverCpuUs: number | undefined;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  status5xx: number;
  statusCodes: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
}

/** The `p` quantile (0-1) of sorted values: the smallest value at or above that share of them. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
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

/** Drives every server at once, the connections shared out among them; one result for all. */
async function driveAll(
  servers: Server[],
  requests: () => RequestSpec[],
  seconds: number,
  connections: number,
  label: string,
) {
  if (servers.length === 1) return drive((servers[0] as Server).url, requests(), seconds, connections, label);
  const each = Math.max(1, Math.floor(connections / servers.length));
  const runs = await Promise.all(servers.map((s) => drive(s.url, requests(), seconds, each, label)));
  const codes: Record<string, { count: number }> = {};
  for (const r of runs) {
    for (const [code, { count }] of Object.entries(r.result.statusCodeStats)) {
      codes[code] = { count: (codes[code]?.count ?? 0) + count };
    }
  }
  return {
    latencies: runs.flatMap((r) => r.latencies),
    result: {
      duration: Math.max(...runs.map((r) => r.result.duration)),
      statusCodeStats: codes,
      non2xx: runs.reduce((n, r) => n + r.result.non2xx, 0),
      errors: runs.reduce((n, r) => n + r.result.errors, 0),
      timeouts: runs.reduce((n, r) => n + r.result.timeouts, 0),
    },
  };
}

/**
 * A warm-up, then the timed run; `requests()` is called once for each. With
 * `others`, several ticketd processes on one store are driven at once (the
 * connections shared out), and the CPU is theirs together.
 */
export async function measure(
  label: string,
  server: Server,
  requests: () => RequestSpec[],
  options: DriveOptions,
  others: Server[] = [],
): Promise<Measured> {
  const servers = [server, ...others];
  if (options.warmup > 0) {
    progress(`${label}: warm-up ${options.warmup} s`);
    await driveAll(servers, requests, options.warmup, options.connections, `${label} warm-up`);
  }
  progress(`${label}: measuring ${options.duration} s`);
  const cpuOf = () => {
    const all = servers.map((s) => cpuMs(s.child.pid));
    return all.some((c) => c === undefined) ? undefined : all.reduce((a, b) => (a as number) + (b as number), 0);
  };
  const cpuBefore = cpuOf();
  const { result, latencies } = await driveAll(servers, requests, options.duration, options.connections, label);
  const cpuAfter = cpuOf();
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
