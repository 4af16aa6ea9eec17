import { call, enc } from '../api.js';
import { confirmed, form, h, list, notify, showOnce, table, when } from '../dom.js';
import type { AppView, AppWithKeyView } from '../types.js';

const KEY_NOTE = 'The app signs with this Hawk key; this is the only time it is shown.';

export async function appsView(root: HTMLElement): Promise<void> {
  const apps = await call<AppView[]>('GET', '/apps');
  root.replaceChildren(
    h('h2', {}, 'Oz apps'),
    table(['id', 'tenant', 'scope', 'delegate', 'ext attributes', 'created', ''], apps, (a) => [
      h('strong', {}, a.id),
      a.tenant,
      a.scope.join(' '),
      a.delegate ? 'yes' : 'no',
      a.extAttributes.join(', '),
      when(a.createdOn),
      h(
        'span',
        { class: 'actions', 'data-app': a.id },
        h(
          'button',
          {
            onclick: async () => {
              if (!confirmed(`Give ${a.id} a new key? The old one stops working.`)) return;
              const rotated = await call<AppWithKeyView>('POST', `/apps/${enc(a.id)}/key`, {}).catch(notify);
              if (rotated) showOnce(`New key of ${a.id}`, rotated.key, KEY_NOTE);
            },
          },
          'Rotate key',
        ),
        h(
          'button',
          {
            class: 'danger',
            onclick: async () => {
              if (!confirmed(`Delete ${a.id} and its grants?`)) return;
              await call('DELETE', `/apps/${enc(a.id)}`).catch(notify);
              await appsView(root);
            },
          },
          'Delete',
        ),
      ),
    ]),
    form(
      'New app',
      [
        { name: 'id', label: 'id', required: true, placeholder: 'com.example.mymylet' },
        { name: 'tenant', label: 'tenant', value: 'default', required: true },
        { name: 'scope', label: 'scope (comma-separated)', placeholder: 'mylet' },
        { name: 'extAttributes', label: 'profile attributes it sees (comma-separated)' },
      ],
      'Create app',
      async (v) => {
        const app = await call<AppWithKeyView>('POST', '/apps', {
          id: v.id,
          tenant: v.tenant,
          scope: list(v.scope ?? ''),
          extAttributes: list(v.extAttributes ?? ''),
        });
        showOnce(`Key of ${app.id}`, app.key, KEY_NOTE);
        await appsView(root);
      },
    ),
  );
}
