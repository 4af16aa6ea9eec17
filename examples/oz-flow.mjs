// The Oz flow against a running ticketd, with the `hawk` client:
// login → session → user ticket → signed request → reissue.
//
//   TICKETD_URL=http://127.0.0.1:5200 TICKETD_MASTER_TOKEN=... node examples/oz-flow.mjs
//
// It provisions what it needs with the master token (an app through the admin
// API, a profile through the profile API), then walks the flow a mobile app
// and a resource server would. Each step prints one JSON line.
import { randomBytes } from 'node:crypto';
import hawk from 'hawk';

const base = process.env.TICKETD_URL ?? 'http://127.0.0.1:5200';
const master = process.env.TICKETD_MASTER_TOKEN;
if (!master) {
  console.error('set TICKETD_MASTER_TOKEN to the master access token');
  process.exit(2);
}
const step = (name, value) => console.log(JSON.stringify({ step: name, ...value }));

async function call(method, path, { body, form, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (form) {
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(form).toString();
  } else if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = body;
  }
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return { res, text, json: text === '' ? null : JSON.parse(text) };
}

/** A Hawk-signed POST: the Authorization header from hawk's client, the answer's Server-Authorization checked. */
async function signedPost(path, credentials, payload) {
  const body = payload === undefined ? undefined : JSON.stringify(payload);
  const { header, artifacts } = hawk.client.header(`${base}${path}`, 'POST', {
    credentials: { id: credentials.id, key: credentials.key, algorithm: credentials.algorithm },
    ...(credentials.app ? { app: credentials.app } : {}),
    ...(body !== undefined ? { payload: body, contentType: 'application/json' } : {}),
  });
  const { res, text, json } = await call('POST', path, { body, headers: { authorization: header } });
  // Throws unless ticketd signed this very answer with the same credentials.
  hawk.client.authenticate(
    { headers: Object.fromEntries(res.headers) },
    credentials,
    artifacts,
    { payload: text, required: true },
  );
  return json;
}

const suffix = randomBytes(4).toString('hex');

// 0. Provisioning (once per deployment): an app, a profile.
const app = (
  await call('POST', '/admin/v1/apps', {
    headers: { authorization: `Bearer ${master}` },
    body: JSON.stringify({ id: `com.example.mymylet.${suffix}`, scope: ['mylet'], extAttributes: ['dbs'] }),
  })
).json;
step('app', { id: app.id, scope: app.scope });
const credentials = { id: app.id, key: app.key, algorithm: app.algorithm };
const username = `jdoe-${suffix}`;
await call('POST', '/api/1/profile/create', {
  form: {
    accessTokenId: master,
    tenantName: 'default',
    username,
    password: 'correct horse',
    email: `${username}@example.com`,
    attributes: JSON.stringify({ dbs: '2e2ed05a-4f63-4850-9297-5b8384397dd0' }),
  },
});

// 1. The person logs in (the web tier, with its access token): the login ticket id is the session token.
const login = (
  await call('POST', '/api/1/authentication/authenticate', {
    form: { accessTokenId: master, tenantName: 'default', username, password: 'correct horse' },
  })
).json;
step('session', { profileId: login.profileId });

// 2. The app exchanges the session for a user ticket, signing with its own credentials.
const ticket = await signedPost('/v1/ticket', credentials, { session: login.id });
step('user ticket', { keys: Object.keys(ticket), app: ticket.app, user: ticket.user, exp: ticket.exp, ext: ticket.ext });

// 3. The app signs an API call with the user ticket; the resource server asks ticketd about it.
const url = 'https://api.example.com/v1/me';
const { header } = hawk.client.header(url, 'GET', {
  credentials: { id: ticket.id, key: ticket.key, algorithm: ticket.algorithm },
  app: ticket.app,
});
const checked = (
  await call('POST', '/v1/ticket/authenticate', {
    body: JSON.stringify({ method: 'GET', url: '/v1/me', host: 'api.example.com', port: 443, authorization: header }),
  })
).json;
step('signed request', { user: checked.ticket.user, scope: checked.ticket.scope, resource: checked.artifacts.resource });

// 4. Before it expires, the app reissues the ticket, signing with the ticket itself.
const next = await signedPost('/v1/ticket/reissue', { ...ticket, app: ticket.app });
step('reissue', { sameGrant: next.grant === ticket.grant, newKey: next.key !== ticket.key, exp: next.exp });

// 5. Logging out ends the session: the next reissue is refused.
await call('POST', `/api/1/authentication/ticket/${login.id}/invalidate`, { form: { accessTokenId: master } });
try {
  await signedPost('/v1/ticket/reissue', { ...next, app: next.app });
  step('after logout', { refused: false });
} catch (err) {
  step('after logout', { refused: true, answer: String(err.message).split(': ').slice(1).join(': ') });
}
