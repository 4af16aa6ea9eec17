// The reference of the oz-reissue bar (docs/performance.md): the `oz` package's own
// reissue endpoint (oz 5.0.3, archived; what the mylet API was built on) on a
// hapi server, beside which ticketd's reissue is measured. One app and one
// grant in memory (no store), the same Iron and Hawk work per request as Oz
// itself does: Hawk verification with a user ticket, the ticket unsealed,
// a new one issued and sealed.
//
// Usage: node bench/oz-reference.cjs N [PORT]; prints {"port":N,"tickets":[...N user tickets]} on stdout once listening.
'use strict';

const Hapi = require('@hapi/hapi');
const Oz = require('oz');

const password = 'a-password-of-at-least-thirty-two-characters-for-iron';
const app = {
  id: 'com.example.reference',
  key: 'an-app-key-of-at-least-thirty-two-characters',
  algorithm: 'sha256',
  scope: ['mylet'],
};
const grant = { id: 'grant-1', app: app.id, user: 'user-1', exp: Date.now() + 30 * 24 * 3600 * 1000, scope: ['mylet'] };

const options = {
  encryptionPassword: password,
  loadAppFunc: async (id) => (id === app.id ? app : null),
  loadGrantFunc: async (id) => (id === grant.id ? { grant } : null),
};

async function main() {
  const server = Hapi.server({ host: '127.0.0.1', port: Number(process.argv[3] ?? 0) });
  server.route({
    method: 'POST',
    path: '/oz/reissue',
    options: { payload: { failAction: 'error' } },
    handler: async (request, h) => h.response(await Oz.endpoints.reissue(request.raw.req, request.payload, options)),
  });
  await server.start();
  const tickets = [];
  for (let i = 0; i < Number(process.argv[2] ?? 100); i++) {
    const t = await Oz.ticket.issue(app, grant, password, {});
    tickets.push({ id: t.id, key: t.key, algorithm: t.algorithm, app: t.app });
  }
  process.stdout.write(`${JSON.stringify({ port: server.info.port, tickets })}\n`);
  process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
