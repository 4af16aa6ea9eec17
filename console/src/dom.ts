/** A few DOM helpers: the console needs no framework. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat())
    if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

export const when = (ms: number | null | undefined): string =>
  ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '—';

/** A table of rows; `cells` gives each row's cells in the column order. */
export function table<T>(columns: string[], rows: T[], cells: (row: T) => Child[], empty = 'nothing yet'): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', {}, c)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          cells(r).map((c) => h('td', {}, c)),
        ),
      ),
    ),
  );
}

/** A form whose fields come back as strings by name. */
export function form(
  title: string,
  fields: { name: string; label: string; type?: string; value?: string; placeholder?: string; required?: boolean }[],
  submit: string,
  onSubmit: (values: Record<string, string>) => Promise<void>,
): HTMLElement {
  const el = h(
    'form',
    { class: 'card', 'data-form': title },
    h('h3', {}, title),
    fields.map((f) =>
      h(
        'label',
        {},
        h('span', {}, f.label),
        h('input', {
          name: f.name,
          type: f.type ?? 'text',
          value: f.value,
          placeholder: f.placeholder,
          required: f.required,
          autocomplete: 'off',
        }),
      ),
    ),
    h('button', { type: 'submit' }, submit),
  );
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    const values: Record<string, string> = {};
    for (const [k, v] of new FormData(el)) values[k] = String(v);
    onSubmit(values).catch(notify);
  });
  return el;
}

/** A line at the top of the page: what happened, or what went wrong. */
export function notify(what: unknown, kind: 'ok' | 'error' = 'error'): void {
  const bar = document.getElementById('notice');
  if (!bar) return;
  bar.className = `notice ${what instanceof Error || kind === 'error' ? 'error' : 'ok'}`;
  bar.textContent = what instanceof Error ? what.message : String(what);
}

/** Shows a secret once, in a dialog the user closes: a new app key, a new access token. */
export function showOnce(title: string, secret: string, note: string): void {
  const dialog = h(
    'dialog',
    { class: 'once' },
    h('h3', {}, title),
    h('p', {}, note),
    h('code', { class: 'secret' }, secret),
    h('form', { method: 'dialog' }, h('button', {}, 'I have copied it')),
  );
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

export const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export const confirmed = (question: string): boolean => window.confirm(question);
