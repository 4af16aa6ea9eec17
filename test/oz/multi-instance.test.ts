import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hawk from 'hawk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnTicketd, type TicketdProcess } from '../helpers/process.js';

/**
 * Two real ticketd processes on one SQLite file act as one Oz server: a Hawk
 * nonce seen by one is refused by the other (the nonce is in the store), and
 * both seal and unseal with the one Iron password generated at the first
 * start (they start together: putMetaIfAbsent picks one). Both are told the
 * host and port clients sign for (as behind a load balancer), so one header
 * is valid on either.
 */

const MASTER = 'multi-instance-master-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'ticketd-oz-multi-'));
const env = { TICKETD_MASTER_TOKEN: MASTER, TICKETD_OZ_HOST: 'api.example.com', TICKETD_OZ_PORT: '443' };
const instances: TicketdProcess[] = [];
let key = '';
let session = '';

beforeAll(async () => {
  const store = `sqlite:${join(dir, 'shared.db')}`;
  // Both start at once on a new file: each generates an Iron password, the store keeps one.
  instances.push(...(await Promise.all([spawnTicketd({ store, env }), spawnTicketd({ store, env })])));
  const [a] = instances as [TicketdProcess];
  // An app (admin API) and a session (profile API), through the first instance.
  const app = await fetch(`${a.url}/admin/v1/apps`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'com.example.mymylet', scope: ['mylet'] }),
  });
  expect(app.status).toBe(201);
  key = ((await app.json()) as { key: string }).key;
  const form = (params: Record<string, string>) => new URLSearchParams({ accessTokenId: MASTER, ...params }).toString();
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
  const profile = await fetch(`${a.url}/api/1/profile/create`, {
    method: 'POST',
    headers: formHeaders,
    body: form({ tenantName: 'default', username: 'jdoe', password: 'correct horse', email: 'jdoe@example.com' }),
  });
  expect(profile.status).toBe(200);
  const login = await fetch(`${a.url}/api/1/authentication/authenticate`, {
    method: 'POST',
    headers: formHeaders,
    body: form({ tenantName: 'default', username: 'jdoe', password: 'correct horse' }),
  });
  session = ((await login.json()) as { id: string }).id;
}, 60_000);

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') {
    for (const [n, i] of instances.entries()) console.error(`instance ${n + 1}:\n${i.output().slice(-4000)}`);
  }
});

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()));
  rmSync(dir, { recursive: true, force: true });
});

function signed(path: string, credentials: { id: string; key: string; app?: string }, body?: string) {
  return hawk.client.header(`https://api.example.com${path}`, 'POST', {
    credentials: { id: credentials.id, key: credentials.key, algorithm: 'sha256' },
    ...(credentials.app ? { app: credentials.app } : {}),
    ...(body !== undefined ? { payload: body, contentType: 'application/json' } : {}),
  }).header;
}

async function send(instance: TicketdProcess, path: string, authorization: string, body?: string) {
  const res = await fetch(`${instance.url}${path}`, {
    method: 'POST',
    headers: { authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('two ticketd processes on one SQLite file', () => {
  it('a header accepted by one is refused by the other: Invalid nonce', async () => {
    const [a, b] = instances as [TicketdProcess, TicketdProcess];
    const body = JSON.stringify({ session });
    const authorization = signed('/v1/ticket', { id: 'com.example.mymylet', key }, body);
    const first = await send(a, '/v1/ticket', authorization, body);
    expect(first.status).toBe(200);
    const replay = await send(b, '/v1/ticket', authorization, body);
    expect(replay).toEqual({
      status: 401,
      body: { statusCode: 401, error: 'Unauthorized', message: 'Invalid nonce' },
    });
  });

  it('of one header sent to both at once, exactly one is accepted', async () => {
    const [a, b] = instances as [TicketdProcess, TicketdProcess];
    for (let round = 0; round < 5; round++) {
      const authorization = signed('/oz/app', { id: 'com.example.mymylet', key });
      const answers = await Promise.all([a, b, a, b].map((i) => send(i, '/oz/app', authorization)));
      expect(answers.map((r) => r.status).sort()).toEqual([200, 401, 401, 401]);
    }
  });

  it('a ticket issued by one is reissued by the other: one Iron password', async () => {
    const [a, b] = instances as [TicketdProcess, TicketdProcess];
    const body = JSON.stringify({ session });
    const issued = await send(a, '/v1/ticket', signed('/v1/ticket', { id: 'com.example.mymylet', key }, body), body);
    expect(issued.status).toBe(200);
    const ticket = issued.body as { id: string; key: string; app: string; grant: string };
    const reissued = await send(b, '/v1/ticket/reissue', signed('/v1/ticket/reissue', ticket));
    expect(reissued.status).toBe(200);
    expect(reissued.body.grant).toBe(ticket.grant);
  });
});
