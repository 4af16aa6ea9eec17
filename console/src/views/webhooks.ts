import { call, enc } from '../api.js';
import { confirmed, form, h, list, notify, showOnce, table, when } from '../dom.js';
import type { DeliveryView, WebhookView, WebhookWithSecretView } from '../types.js';

const SECRET_NOTE =
  'The endpoint verifies signatures with this secret (Standard Webhooks); this is the only time it is shown.';

/** Webhook endpoints (docs/events.md): create, enable or disable, rotate the secret, see deliveries, delete. */
export async function webhooksView(root: HTMLElement, open?: string): Promise<void> {
  const endpoints = await call<WebhookView[]>('GET', '/webhooks');
  const shown = open ? endpoints.find((e) => e.id === open) : undefined;
  root.replaceChildren(
    h('h2', {}, 'Webhooks'),
    h(
      'p',
      { class: 'hint' },
      'Each endpoint receives its tenant’s events of the types it names, signed, at least once.',
    ),
    table(['id', 'tenant', 'url', 'events', 'enabled', 'created', ''], endpoints, (e) => [
      h('code', {}, e.id),
      e.tenant,
      e.url,
      e.events.join(' '),
      e.enabled ? 'yes' : 'no',
      when(e.createdOn),
      h(
        'span',
        { class: 'actions', 'data-webhook': e.id },
        h('button', { onclick: () => webhooksView(root, e.id).catch(notify) }, 'Deliveries'),
        h(
          'button',
          {
            onclick: async () => {
              await call('PATCH', `/webhooks/${enc(e.id)}`, { enabled: !e.enabled }).catch(notify);
              await webhooksView(root, open);
            },
          },
          e.enabled ? 'Disable' : 'Enable',
        ),
        h(
          'button',
          {
            onclick: async () => {
              if (!confirmed(`Give ${e.id} a new secret? The old one keeps signing for 24 hours.`)) return;
              const rotated = await call<WebhookWithSecretView>('POST', `/webhooks/${enc(e.id)}/secret`, {}).catch(
                notify,
              );
              if (rotated) showOnce(`New secret of ${e.id}`, rotated.secret, SECRET_NOTE);
            },
          },
          'Rotate secret',
        ),
        h(
          'button',
          {
            class: 'danger',
            onclick: async () => {
              if (!confirmed(`Delete ${e.id}? Its pending deliveries are dropped.`)) return;
              await call('DELETE', `/webhooks/${enc(e.id)}`).catch(notify);
              await webhooksView(root);
            },
          },
          'Delete',
        ),
      ),
    ]),
    shown ? await deliveries(shown) : '',
    form(
      'New endpoint',
      [
        { name: 'url', label: 'url', required: true, placeholder: 'https://hooks.example.com/ticketd' },
        { name: 'tenant', label: 'tenant', value: 'default', required: true },
        { name: 'events', label: 'events (comma-separated; ticket.* or * for all)', value: '*', required: true },
        { name: 'description', label: 'description' },
      ],
      'Create endpoint',
      async (v) => {
        const made = await call<WebhookWithSecretView>('POST', '/webhooks', {
          url: v.url,
          tenant: v.tenant,
          events: list(v.events ?? ''),
          ...(v.description ? { description: v.description } : {}),
        });
        showOnce(`Secret of ${made.id}`, made.secret, SECRET_NOTE);
        await webhooksView(root);
      },
    ),
  );
}

async function deliveries(e: WebhookView): Promise<HTMLElement> {
  const rows = await call<DeliveryView[]>('GET', `/webhooks/${enc(e.id)}/deliveries`);
  return h(
    'section',
    { class: 'card', 'data-deliveries': e.id },
    h('h3', {}, `Deliveries to ${e.url}`),
    table(
      ['event', 'type', 'status', 'attempts', 'next attempt', 'last status', 'last error', 'created'],
      rows,
      (d) => [
        h('code', {}, d.eventId),
        d.type,
        h('span', { class: `status ${d.status}` }, d.status),
        d.attempts,
        when(d.nextAttemptAt),
        d.lastStatus ?? '—',
        d.lastError ?? '—',
        when(d.createdAt),
      ],
      'no delivery in the last day',
    ),
  );
}
