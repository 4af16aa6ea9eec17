/** The rows of a benchmark run, the bars of quality.md they are held to, and how they are printed: a table, JSON, an SVG chart. */
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
  | 'use-10k'
  | 'use-1m';

export interface Bar {
  /** Least rate allowed, as a fraction of the ceiling's req/s. */
  ratio?: number;
  /** Greatest p99 allowed, in ms. */
  p99Ms?: number;
  /** Least rate allowed, as a fraction of another row's rate (`baselineRate`). */
  ofBaseline?: number;
}

const BARS: Partial<Record<ScenarioName, Bar>> = {
  create: { ratio: 0.6, p99Ms: 10 },
  use: { ratio: 0.6, p99Ms: 10 },
  'create+use': { ratio: 0.3 },
  'profile-get': { ratio: 0.5 },
  'oz-reissue': { ratio: 0.25 },
  'use-under-logins': { ofBaseline: 0.8 },
  'use-1m': { ofBaseline: 0.9 },
};

/** Of one ticketd process: time to its first answer and peak resident set (quality.md, Memory). */
export const PROCESS_BARS = { startMs: 1000, peakRssMb: 200 };

/**
 * quality.md's bars: all of them on SQLite; on PostgreSQL and Redis the
 * scenarios are printed side by side, with Redis use >= 0.50 of the
 * ceiling, and the comparisons with a baseline of the same run (logins
 * beside, 1,000,000 live tickets) held on every store.
 */
export function barFor(scenario: ScenarioName, store: StoreName): Bar | null {
  if (store === 'sqlite' || scenario === 'ceiling') return BARS[scenario] ?? null;
  if (scenario === 'use-under-logins' || scenario === 'use-1m') return BARS[scenario] ?? null;
  if (store === 'redis' && scenario === 'use') return { ratio: 0.5 };
  return null;
}

export interface Row extends Measured {
  scenario: ScenarioName;
  /** The store ticketd ran on (the ceiling has none: `-`). */
  store: StoreName | '-';
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
  bar: Bar | null;
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

export function toRow(
  scenario: ScenarioName,
  m: Measured,
  ceilingRate: number,
  store: StoreName | '-' = '-',
  baseline?: { rate: number; of: string },
): Row {
  const baselineRate = baseline?.rate;
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
        `${fmtInt(rate)} req/s < ${bar.ofBaseline} x ${fmtInt(baselineRate ?? Number.NaN)} of its baseline`,
      );
    }
    if (bar.p99Ms !== undefined && !(m.p99Ms <= bar.p99Ms)) failures.push(`p99 ${m.p99Ms} ms > ${bar.p99Ms} ms`);
  }
  if (m.non2xx > 0) failures.push(`${m.non2xx} non-2xx`);
  if (m.errors > 0) failures.push(`${m.errors} connection errors/timeouts`);
  return {
    scenario,
    store,
    ...(baseline === undefined ? {} : { baselineRate: round(baseline.rate, 0), baselineOf: baseline.of }),
    unit,
    rate: round(rate, 0),
    ...m,
    ratio: round(ratio),
    bar,
    pass: bar || failures.length > 0 ? failures.length === 0 : null,
    failures,
  };
}

function describeBar(r: Row): string {
  const parts: string[] = [];
  if (r.bar?.ratio !== undefined) parts.push(`>= ${r.bar.ratio.toFixed(2)}`);
  if (r.bar?.p99Ms !== undefined) parts.push(`p99 <= ${r.bar.p99Ms} ms`);
  if (r.bar?.ofBaseline !== undefined) {
    parts.push(
      `>= ${r.bar.ofBaseline.toFixed(2)} x ${fmtInt(r.baselineRate ?? Number.NaN)} (${r.baselineOf ?? 'baseline'})`,
    );
  }
  return parts.join(', ');
}

export function scenarioLabel(r: Pick<Row, 'scenario' | 'unit'>): string {
  return r.unit === 'pairs/s' ? `${r.scenario} (pairs/s)` : r.scenario;
}

export function table(rows: Row[]): string {
  const head = ['scenario', 'store', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'ratio', 'bar', 'result'];
  const body = rows.map((r) => [
    scenarioLabel(r),
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
  const left = 230;
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
      `<text x="${left - 8}" y="${y + 16}" text-anchor="end">${escapeXml(`${scenarioLabel(r)} · ${r.store}`)}</text>`,
    );
    out.push(
      `<rect x="${left}" y="${y + 5}" width="${Math.max(1, x(r.ratio) - left)}" height="${rowH - 10}" fill="${color}" opacity="0.85"/>`,
    );
    if (r.bar?.ratio !== undefined) {
      const bx = x(r.bar.ratio);
      out.push(`<line x1="${bx}" y1="${y + 2}" x2="${bx}" y2="${y + rowH - 2}" stroke="#000" stroke-width="2"/>`);
    }
    const verdict = r.pass === null ? '' : r.pass ? ' · pass' : ' · FAIL';
    const baseline =
      r.bar?.ofBaseline !== undefined && r.baselineRate
        ? ` · ${((100 * r.rate) / r.baselineRate).toFixed(0)}% of baseline (bar ${(100 * r.bar.ofBaseline).toFixed(0)}%)`
        : '';
    out.push(
      `<text x="${left + plot + 8}" y="${y + 16}" fill="#333">${escapeXml(`${fmtInt(r.rate)} ${r.unit}, p99 ${r.p99Ms.toFixed(1)} ms${baseline}${verdict}`)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
