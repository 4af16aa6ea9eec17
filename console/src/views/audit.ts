import { call } from '../api.js';
import { form, h, table, when } from '../dom.js';
import type { AuditPageView } from '../types.js';

interface Filter {
  tenant?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  before?: string | undefined;
}

/** The audit log (docs/admin.md, "Audit log"), newest first, filtered, a page at a time. */
export async function auditView(root: HTMLElement, filter: Filter = {}): Promise<void> {
  const q = new URLSearchParams({ limit: '50' });
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  const page = await call<AuditPageView>('GET', `/audit?${q}`);
  const { before: _, ...kept } = filter;
  root.replaceChildren(
    h('h2', {}, 'Audit log'),
    h(
      'p',
      { class: 'hint' },
      'Every change made on the admin API, the Crafter management routes and the command line; kept 90 days.',
    ),
    form(
      'Filter',
      [
        { name: 'tenant', label: 'tenant', value: filter.tenant ?? '' },
        { name: 'actor', label: 'actor', value: filter.actor ?? '', placeholder: 'cli, token:9f1c2b7e' },
        { name: 'action', label: 'action', value: filter.action ?? '', placeholder: 'profile.delete' },
      ],
      'Show',
      async (v) => auditView(root, { tenant: v.tenant, actor: v.actor, action: v.action }),
    ),
    table(['at', 'actor', 'address', 'action', 'tenant', 'target', 'outcome'], page.records, (r) => [
      when(r.at),
      h('code', {}, r.actor),
      r.address ?? '—',
      r.action,
      r.tenant ?? '—',
      r.target ?? '—',
      h('span', { class: r.outcome === 'ok' ? 'status delivered' : 'status failed' }, r.outcome),
    ]),
    page.next
      ? h('button', { onclick: () => void auditView(root, { ...kept, before: page.next ?? undefined }) }, 'Older')
      : '',
  );
}
