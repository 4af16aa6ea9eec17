import { call, enc } from '../api.js';
import { confirmed, form, h, list, notify, table, when } from '../dom.js';
import type { TenantView } from '../types.js';

const SETTINGS = [
  ['ticketMax', 'live tickets at most (0: none)'],
  ['ticketMaxPayloadLength', 'payload bytes at most (0: none)'],
  ['loginTicketMaxAge', 'session lifetime, s'],
  ['persistentLoginMaxAge', 'persistent login lifetime, s'],
  ['failedLoginAttemptsBeforeDelay', 'failed logins before a delay'],
  ['failedLoginAttemptsBeforeLock', 'failed logins before a lock'],
  ['lockTime', 'lock time, s'],
] as const;

/** Numbers from the form fields that were filled in. */
function settingsOf(values: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name] of SETTINGS) if (values[name]?.trim()) out[name] = Number(values[name]);
  if (values.availableRoles?.trim()) out.availableRoles = list(values.availableRoles);
  return out;
}

export async function tenantsView(root: HTMLElement): Promise<void> {
  const tenants = await call<TenantView[]>('GET', '/tenants');
  const editor = h('div');
  const edit = (t: TenantView) => {
    editor.replaceChildren(
      form(
        `Settings of ${t.name}`,
        [
          ...SETTINGS.map(([name, label]) => ({ name, label, type: 'number', value: String(t[name]) })),
          { name: 'availableRoles', label: 'available roles (comma-separated)', value: t.availableRoles.join(', ') },
        ],
        'Save settings',
        async (values) => {
          await call('PATCH', `/tenants/${enc(t.name)}`, settingsOf(values));
          notify(`Tenant ${t.name} saved`, 'ok');
          await tenantsView(root);
        },
      ),
    );
  };
  root.replaceChildren(
    h('h2', {}, 'Tenants'),
    table(['name', 'ticketMax', 'payload max', 'session (s)', 'lock after', 'created', ''], tenants, (t) => [
      h('strong', {}, t.name),
      t.ticketMax,
      t.ticketMaxPayloadLength,
      t.loginTicketMaxAge,
      t.failedLoginAttemptsBeforeLock,
      when(t.createdAt),
      h(
        'span',
        { class: 'actions' },
        h('button', { onclick: () => edit(t) }, 'Edit'),
        t.name === 'default'
          ? null
          : h(
              'button',
              {
                class: 'danger',
                onclick: async () => {
                  if (!confirmed(`Delete tenant ${t.name} with everything in it?`)) return;
                  await call('DELETE', `/tenants/${enc(t.name)}`).catch(notify);
                  await tenantsView(root);
                },
              },
              'Delete',
            ),
      ),
    ]),
    editor,
    form(
      'New tenant',
      [
        { name: 'name', label: 'name', required: true, placeholder: 'shop' },
        ...SETTINGS.map(([name, label]) => ({ name, label, type: 'number', placeholder: 'default' })),
        { name: 'availableRoles', label: 'available roles (comma-separated)' },
      ],
      'Create tenant',
      async (values) => {
        await call('POST', '/tenants', { name: values.name, ...settingsOf(values) });
        notify(`Tenant ${values.name} created`, 'ok');
        await tenantsView(root);
      },
    ),
  );
}
