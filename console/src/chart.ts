import type { ActivityView } from './types.js';

type Series = ActivityView['tenants'][number]['minutes'];

const SVG = 'http://www.w3.org/2000/svg';
const KINDS = [
  ['created', '#1f6feb'],
  ['used', '#2da44e'],
  ['expired', '#d4731b'],
] as const;

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * One tenant's tickets per minute: created, used and expired as three
 * lines over the window, the current minute at the right, with the scale
 * on the left and the time below.
 */
export function minuteChart(tenant: string, since: number, minutes: Series): SVGSVGElement {
  const width = 640;
  const height = 200;
  const left = 44;
  const right = 12;
  const top = 28;
  const bottom = 26;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...minutes.flatMap((m) => [m.created, m.used, m.expired]));
  const x = (i: number) => left + (minutes.length === 1 ? plotW : (i / (minutes.length - 1)) * plotW);
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const svg = el('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'chart',
    role: 'img',
    'aria-label': `Tickets of ${tenant} per minute`,
    'data-tenant': tenant,
  }) as SVGSVGElement;
  svg.append(el('text', { x: left, y: 16, class: 'chart-title' }, tenant));
  let lx = left + 140;
  for (const [kind, color] of KINDS) {
    const total = minutes.reduce((n, m) => n + m[kind], 0);
    svg.append(el('rect', { x: lx, y: 7, width: 10, height: 10, fill: color }));
    svg.append(el('text', { x: lx + 14, y: 16, class: 'legend' }, `${kind} ${total}`));
    lx += 120;
  }
  for (const v of [0, max / 2, max]) {
    svg.append(el('line', { x1: left, x2: width - right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(el('text', { x: left - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, String(Math.round(v))));
  }
  for (let i = 0; i < minutes.length; i += Math.max(1, Math.round(minutes.length / 6))) {
    const t = new Date(since + i * 60_000);
    const label = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
    svg.append(el('text', { x: x(i), y: height - 8, class: 'tick', 'text-anchor': 'middle' }, label));
  }
  for (const [kind, color] of KINDS) {
    const points = minutes.map((m, i) => `${x(i).toFixed(1)},${y(m[kind]).toFixed(1)}`).join(' ');
    svg.append(el('polyline', { points, fill: 'none', stroke: color, 'stroke-width': 2, 'data-kind': kind }));
  }
  return svg;
}
