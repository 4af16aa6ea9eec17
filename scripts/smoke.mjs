#!/usr/bin/env node
/**
 * A smoke run of an installed or built ticketd under the Node running this
 * script (.ci/run runs it on each supported Node): start it on a fresh
 * SQLite file, create and use an opaque ticket, log a profile in, get an Oz
 * user ticket and reissue it, stop it with SIGTERM. Exits non-zero on the
 * first thing that goes wrong.
 *
 *   node scripts/smoke.mjs [COMMAND...]   (default: this Node on dist/ticketd.mjs)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import hawk from 'hawk';

const MASTER = 'smoke-master-token-0123456789abcdef';
const BIN = fileURLToPath(new URL('../dist/ticketd.mjs', import.meta.url));
// The Node flags of the bin's shebang (#!/usr/bin/env -S node FLAGS), as the installed command runs it.
const shebang = /^#!\/usr\/bin\/env -S node(.*)$/.exec(readFileSync(BIN, 'utf8').split('\n')[0] ?? '');
const flags = (shebang?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
const command = process.argv.length > 2 ? process.argv.slice(2) : [process.execPath, ...flags, BIN];

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'ticketd-smoke-'));
const url = `http://127.0.0.1:${port}`;
const env = { ...process.env, TICKETD_MASTER_TOKEN: MASTER, TICKETD_LOG_LEVEL: 'warn' };
const child = spawn(
  command[0],
  [...command.slice(1), 'serve', '--listen', `127.0.0.1:${port}`, '--store', `sqlite:${join(dir, 'ticketd.db')}`],
  {
    cwd: dir,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

function check(ok, what, detail) {
  if (!ok) throw new Error(`smoke: ${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
  console.log(`smoke: ${what}: ok`);
}

async function call(method, path, body, headers = {}) {
  const form = typeof body === 'string';
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body === undefined
        ? {}
        : { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : form ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

try {
  const started = Date.now();
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() - started > 15_000) throw new Error('smoke: not ready within 15 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const version = (await call('GET', '/v1/ping')).status;
  check(version === 200, `started under Node ${process.version} (${command.join(' ')})`);

  const created = await call('POST', '/v1/tickets', { uses: 1, ttl: 60, payload: { user: 1 } });
  check(created.status === 200 && typeof created.json.ticket === 'string', 'ticket created', created);
  const used = await call('POST', '/v1/tickets/use', { ticket: created.json.ticket });
  check(used.status === 200 && used.json.payload?.user === 1, 'ticket used, payload back', used);
  const again = await call('POST', '/v1/tickets/use', { ticket: created.json.ticket });
  check(again.status === 404, 'a used-up ticket refused', again);

  const q = (params) => new URLSearchParams({ accessTokenId: MASTER, ...params }).toString();
  const profile = await call(
    'POST',
    '/api/1/profile/create',
    q({
      tenantName: 'default',
      username: 'smoke',
      password: 'smoke-password-1',
      email: 'smoke@example.com',
      enabled: 'true',
    }),
  );
  check(profile.status === 200 && profile.json.username === 'smoke', 'profile created', profile);
  const login = await call(
    'POST',
    '/api/1/authentication/authenticate',
    q({ tenantName: 'default', username: 'smoke', password: 'smoke-password-1' }),
  );
  check(login.status === 200 && typeof login.json.id === 'string', 'profile logged in', login);

  const auth = { authorization: `Bearer ${MASTER}` };
  const app = await call(
    'POST',
    '/admin/v1/apps',
    { id: 'com.example.smoke', tenant: 'default', scope: ['smoke'] },
    auth,
  );
  check(app.status === 201 && typeof app.json.key === 'string', 'Oz app created', app.status);
  const sign = (path, credentials, extra = {}) =>
    hawk.client.header(`${url}${path}`, 'POST', { credentials: { ...credentials, algorithm: 'sha256' }, ...extra })
      .header;
  const appCreds = { id: 'com.example.smoke', key: app.json.key };
  const user = await call(
    'POST',
    '/v1/ticket',
    { session: login.json.id },
    { authorization: sign('/v1/ticket', appCreds) },
  );
  check(user.status === 200 && typeof user.json.id === 'string', 'Oz user ticket issued', user.status);
  const reissued = await call('POST', '/v1/ticket/reissue', undefined, {
    authorization: sign('/v1/ticket/reissue', { id: user.json.id, key: user.json.key }, { app: 'com.example.smoke' }),
  });
  check(reissued.status === 200 && reissued.json.id !== user.json.id, 'Oz user ticket reissued', reissued.status);

  child.kill('SIGTERM');
  const exit = await exited;
  check(exit.code === 0, 'stopped on SIGTERM with exit code 0', exit);
} catch (err) {
  child.kill('SIGKILL');
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
