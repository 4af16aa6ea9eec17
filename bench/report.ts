/** The rows of a benchmark run, the bars of docs/performance.md they are held to, and how they are printed: a table, JSON, an SVG chart. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Measured } from './measure.js';
import { fmtInt, round } from './progress.js';
import type { StoreName } from './stores.js';

export type ScenarioName =
  | 'ceiling'
  | 'create'
  | 'use'
  | 'create+use'
  | 'profile-get'
  | 'oz-reissue'
  | 'use-under-logins'
  | 'create-webhook'
  | 'use-webhook'
  | 'use-10k'
  | 'use-1m';

/**
 * A bar of docs/performance.md as it applies to one row of this run: the least rate
 * and the greatest p99 allowed, already worked out from the rows it is
 * relative to (the ceiling, the limit server, the Oz reference, another
 * scenario), and how it reads in the table.
 */
export interface Bar {
  minRate?: number;
  maxP99Ms?: number;
  /** The bar's rate as a fraction of the ceiling (the chart's tick). */
  ratio?: number;
  text: string;
}

/** The rows of this run a row's bar may be relative to. */
export interface BarContext {
  ceilingRate: number;
  /** The limit server's create and use on each store (docs/performance.md: SQLite create and use are held to it). */
  limits?: Partial<Record<StoreName, { create?: Row; use?: Row }>>;
  /** The reference oz server's reissue. */
  ozReference?: Row;
  /** use-under-logins: use without logins; use-1m: use with 10,000 live tickets. */
  baseline?: { rate: number; of: string };
}

/** Of one ticketd process: time to its first answer and peak resident set (docs/performance.md, "Memory"). */
export const PROCESS_BARS = { startMs: 1000, peakRssMb: 200 };

const ofCeiling = (share: number, ctx: BarContext): Bar => ({
  minRate: share * ctx.ceilingRate,
  ratio: share,
  text: `>= ${share.toFixed(2)} of the ceiling`,
});

function ofRow(share: number, row: Row | undefined, what: string, ctx: BarContext, p99Times?: number): Bar | null {
  if (!row) return null;
  const bar: Bar = {
    minRate: share * row.rate,
    ratio: (share * row.rate) / ctx.ceilingRate,
    text: `>= ${share.toFixed(2)} x ${what} (${fmtInt(row.rate)})`,
  };
  if (p99Times !== undefined) {
    bar.maxP99Ms = round(p99Times * row.p99Ms);
    bar.text += `, p99 <= ${p99Times} x ${what}'s (${bar.maxP99Ms} ms)`;
  }
  return bar;
}

/**
 * docs/performance.md's bar of a ticketd row. SQLite: create and use against the
 * limit server (>= 0.95 of its rate, p99 <= 2x its p99), create+use pairs
 * against the limit server's creates (>= 0.45), profile-get >= 0.50 of the
 * ceiling, oz-reissue >= 1.5x the reference oz server. PostgreSQL: create and
 * use >= 0.30 of the ceiling. Redis: use >= 0.50. Every store: use beside 20
 * logins/s >= 0.80 of use alone, use with 1,000,000 live tickets >= 0.90 of
 * use with 10,000, create and use with a webhook endpoint subscribed >= 0.85
 * of without.
 */
export function barFor(scenario: ScenarioName, store: StoreName, ctx: BarContext): Bar | null {
  if (
    scenario === 'use-under-logins' ||
    scenario === 'use-1m' ||
    scenario === 'create-webhook' ||
    scenario === 'use-webhook'
  ) {
    const share = scenario === 'use-1m' ? 0.9 : scenario === 'use-under-logins' ? 0.8 : 0.85;
    const b = ctx.baseline;
    return b
      ? {
          minRate: share * b.rate,
          ratio: (share * b.rate) / ctx.ceilingRate,
          text: `>= ${share.toFixed(2)} x ${fmtInt(b.rate)} (${b.of})`,
        }
      : null;
  }
  if (store === 'postgres' && (scenario === 'create' || scenario === 'use')) return ofCeiling(0.3, ctx);
  if (store === 'redis' && scenario === 'use') return ofCeiling(0.5, ctx);
  if (store !== 'sqlite') return null;
  switch (scenario) {
    case 'create':
    case 'use':
      return ofRow(0.95, ctx.limits?.sqlite?.[scenario], 'limit', ctx, 2);
    case 'create+use':
      return ofRow(0.45, ctx.limits?.sqlite?.create, 'limit create', ctx);
    case 'profile-get':
      return ofCeiling(0.5, ctx);
    case 'oz-reissue':
      return ofRow(1.5, ctx.ozReference, 'oz on hapi', ctx);
    default:
      return null;
  }
}

export interface Row extends Measured {
  scenario: ScenarioName;
  /** The store the server ran on (`-`: none). */
  store: StoreName | '-';
  /** What answered: `node:http` (the ceiling), `limit`, `oz+hapi`, `ticketd`, or `ticketd@<rev>` (a baseline build). */
  server: string;
  /** use-under-logins: the use rate without the side load; use-1m: the use rate with 10,000 live tickets. */
  baselineRate?: number;
  /** What the baseline was, e.g. `use without logins`. */
  baselineOf?: string;
  /** use-under-logins: what the side load did. */
  sideLoad?: { sent: number; ok: number; failed: number; statuses: Record<string, number> };
  /** use-10k and use-1m: live tickets in the store while measuring. */
  liveTickets?: number;
  /** What `rate` counts: requests, or create+use pairs. */
  unit: 'req/s' | 'pairs/s';
  rate: number;
  ratio: number;
  /** create and use of ticketd: this rate as a fraction of the limit server's on the same store. */
  ofLimit?: number;
  bar: Bar | null;
  /** With --baseline: this row's rate as a fraction of the same scenario on the baseline build. */
  vsBaseline?: number;
  pass: boolean | null;
  /** Why it failed, when it did. */
  failures: string[];
}

/** What one ticketd process did over its runs, held to PROCESS_BARS. */
export interface ProcessReport {
  /** What it served: a store, and for the 1,000,000-ticket run which one. */
  label: string;
  startMs: number;
  peakRssMb: number | undefined;
  logLines?: number;
  exitCode?: number | null;
  pass: boolean;
  failures: string[];
}

export function processReport(label: string, startMs: number, peakRssMb: number | undefined): ProcessReport {
  const failures: string[] = [];
  if (!(startMs < PROCESS_BARS.startMs)) failures.push(`start-up ${startMs} ms >= ${PROCESS_BARS.startMs} ms`);
  if (peakRssMb !== undefined && !(peakRssMb < PROCESS_BARS.peakRssMb)) {
    failures.push(`peak RSS ${peakRssMb} MB >= ${PROCESS_BARS.peakRssMb} MB`);
  }
  return { label, startMs, peakRssMb, pass: failures.length === 0, failures };
}

/** `bar`: from barFor (null for rows held to no bar: the ceiling, references, baseline builds). */
export function toRow(
  scenario: ScenarioName,
  m: Measured,
  ctx: BarContext,
  where: { store: StoreName | '-'; server: string },
  bar: Bar | null = null,
): Row {
  const unit = scenario === 'create+use' ? 'pairs/s' : 'req/s';
  const rate = m.responses / m.seconds / (unit === 'pairs/s' ? 2 : 1);
  const ratio = ctx.ceilingRate > 0 ? rate / ctx.ceilingRate : Number.NaN;
  const failures: string[] = [];
  if (bar?.minRate !== undefined && !(rate >= bar.minRate)) {
    failures.push(`${fmtInt(rate)} ${unit} < ${fmtInt(bar.minRate)}`);
  }
  if (bar?.maxP99Ms !== undefined && !(m.p99Ms <= bar.maxP99Ms))
    failures.push(`p99 ${m.p99Ms} ms > ${bar.maxP99Ms} ms`);
  if (m.non2xx > 0) failures.push(`${m.non2xx} non-2xx`);
  if (m.errors > 0) failures.push(`${m.errors} connection errors/timeouts`);
  const b = ctx.baseline;
  const limit =
    where.server !== 'limit' && where.store !== '-' && (scenario === 'create' || scenario === 'use')
      ? ctx.limits?.[where.store]?.[scenario]
      : undefined;
  return {
    scenario,
    ...where,
    ...(b === undefined ? {} : { baselineRate: round(b.rate, 0), baselineOf: b.of }),
    unit,
    rate: round(rate, 0),
    ...m,
    ratio: round(ratio),
    ...(limit && limit.rate > 0 ? { ofLimit: round(rate / limit.rate) } : {}),
    bar,
    pass: bar || failures.length > 0 ? failures.length === 0 : null,
    failures,
  };
}

export function scenarioLabel(r: Pick<Row, 'scenario' | 'unit'>): string {
  return r.unit === 'pairs/s' ? `${r.scenario} (pairs/s)` : r.scenario;
}

export function table(rows: Row[]): string {
  const versus = rows.some((r) => r.vsBaseline !== undefined);
  const ofLimit = rows.some((r) => r.ofLimit !== undefined);
  const head = ['scenario', 'store', 'server', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'ratio'];
  if (ofLimit) head.push('of limit');
  if (versus) head.push('vs base');
  head.push('bar', 'result');
  const body = rows.map((r) => {
    const cells = [
      scenarioLabel(r),
      r.store,
      r.server,
      fmtInt(r.rate),
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      String(r.non2xx),
      r.ratio.toFixed(2),
    ];
    if (ofLimit) cells.push(r.ofLimit === undefined ? '-' : r.ofLimit.toFixed(2));
    if (versus)
      cells.push(
        r.vsBaseline === undefined ? '-' : `${r.vsBaseline >= 1 ? '+' : ''}${((r.vsBaseline - 1) * 100).toFixed(1)}%`,
      );
    cells.push(r.bar ? r.bar.text : '-', r.pass === null ? '-' : r.pass ? 'pass' : 'FAIL');
    return cells;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const numeric = new Set([3, 4, 5, 6, 7, 8, 9].slice(0, 5 + Number(ofLimit) + Number(versus)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export function processLine(p: ProcessReport): string {
  const rss = p.peakRssMb === undefined ? '?' : String(p.peakRssMb);
  return (
    `ticketd on ${p.label}: start-up ${p.startMs} ms, peak RSS ${rss} MB ` +
    `(bars < ${PROCESS_BARS.startMs} ms, < ${PROCESS_BARS.peakRssMb} MB: ${p.pass ? 'pass' : `FAIL, ${p.failures.join('; ')}`})`
  );
}

/** Writes through a temporary file, so that a reader never sees half a file. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

const escapeXml = (s: string) =>
  s.replace(/[<>&"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot' }[c]};`);

/**
 * A horizontal bar chart of the run: each row's rate as a fraction of the
 * ceiling, the bar it is held to as a tick (green: held, red: not held,
 * grey: no bar), and the rate, p99 and verdict beside it.
 */
export function chartSvg(rows: Row[], title: string, subtitle: string): string {
  const shown = rows.filter((r) => r.scenario !== 'ceiling');
  const ceiling = rows.find((r) => r.scenario === 'ceiling');
  const left = 320;
  const plot = 460;
  const right = 400;
  const rowH = 26;
  const top = 70;
  const width = left + plot + right;
  const height = top + shown.length * rowH + 50;
  const max = Math.max(1, ...shown.map((r) => r.ratio), ...shown.map((r) => r.bar?.ratio ?? 0));
  const x = (v: number) => left + (Math.min(v, max) / max) * plot;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="16" y="44" fill="#555">${escapeXml(subtitle)}</text>`,
  ];
  for (let t = 0; t <= max + 1e-9; t += 0.25) {
    const gx = x(t);
    out.push(`<line x1="${gx}" y1="${top - 8}" x2="${gx}" y2="${top + shown.length * rowH}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${gx}" y="${top + shown.length * rowH + 16}" text-anchor="middle" fill="#555">${t.toFixed(2)}</text>`,
    );
  }
  out.push(
    `<text x="${left + plot / 2}" y="${top + shown.length * rowH + 36}" text-anchor="middle" fill="#333">` +
      `rate / ceiling (${escapeXml(fmtInt(ceiling?.rate ?? Number.NaN))} req/s, bare node:http)</text>`,
  );
  shown.forEach((r, i) => {
    const y = top + i * rowH;
    const color = r.pass === null ? '#9e9e9e' : r.pass ? '#2e7d32' : '#c62828';
    out.push(
      `<text x="${left - 8}" y="${y + 16}" text-anchor="end">${escapeXml(`${scenarioLabel(r)} · ${r.store}${r.server === 'ticketd' ? '' : ` · ${r.server}`}`)}</text>`,
    );
    out.push(
      `<rect x="${left}" y="${y + 5}" width="${Math.max(1, x(r.ratio) - left)}" height="${rowH - 10}" fill="${color}" opacity="0.85"/>`,
    );
    if (r.bar?.ratio !== undefined) {
      const bx = x(r.bar.ratio);
      out.push(`<line x1="${bx}" y1="${y + 2}" x2="${bx}" y2="${y + rowH - 2}" stroke="#000" stroke-width="2"/>`);
    }
    const verdict = r.pass === null ? '' : r.pass ? ' · pass' : ' · FAIL';
    const baseline = r.baselineRate ? ` · ${((100 * r.rate) / r.baselineRate).toFixed(0)}% of ${r.baselineOf}` : '';
    out.push(
      `<text x="${left + plot + 8}" y="${y + 16}" fill="#333">${escapeXml(`${fmtInt(r.rate)} ${r.unit}, p99 ${r.p99Ms.toFixed(1)} ms${baseline}${verdict}`)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
