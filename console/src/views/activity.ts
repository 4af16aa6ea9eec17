import { call } from '../api.js';
import { minuteChart } from '../chart.js';
import { h } from '../dom.js';
import type { ActivityView } from '../types.js';

/** How often the live view asks again. */
const REFRESH_MS = 5_000;

/** Tickets per tenant and minute over the last hour, redrawn every few seconds; returns how to stop. */
export async function activityView(root: HTMLElement): Promise<() => void> {
  const charts = h('div', { class: 'charts' });
  root.replaceChildren(
    h('h2', {}, 'Live tickets'),
    h(
      'p',
      { class: 'hint' },
      'Opaque tickets created, used and expired per minute, per tenant, as this ticketd instance saw them (last hour).',
    ),
    charts,
  );
  const draw = async () => {
    const a = await call<ActivityView>('GET', '/activity');
    charts.replaceChildren(
      ...(a.tenants.length === 0
        ? [h('p', { class: 'empty' }, 'No ticket activity in the last hour.')]
        : a.tenants.map((t) => minuteChart(t.tenant, a.since, t.minutes))),
    );
  };
  await draw();
  const timer = setInterval(() => void draw().catch(() => {}), REFRESH_MS);
  return () => clearInterval(timer);
}
