/**
 * `oz-reissue` (issue 5): POST /v1/ticket/reissue signed with Hawk with a user
 * ticket. Set-up through the API with the master token: an app (admin API), a
 * profile, a session (authenticate), user tickets (POST /v1/ticket signed with
 * the app's credentials). Each timed request is signed in setupRequest with a
 * fresh nonce and ts (hawk.client.header), round-robin over a pool of tickets.
 */
import { randomBytes } from 'node:crypto';
import type { RequestSpec } from 'autocannon';
import hawk from 'hawk';
import { BENCH_MASTER_TOKEN, call, createProfile, inParallel, login } from './api.js';

export interface UserTicket {
  id: string;
  key: string;
  algorithm: string;
  app: string;
}

export async function setupOzReissue(base: string, pool: number, tag: string): Promise<UserTicket[]> {
  const { json: app } = await call(base, 'POST', '/admin/v1/apps', {
    headers: { authorization: `Bearer ${BENCH_MASTER_TOKEN}` },
    body: JSON.stringify({ id: `com.example.bench.${tag}.${randomBytes(3).toString('hex')}`, scope: ['mylet'] }),
  });
  const appCredentials = { id: app.id as string, key: app.key as string, algorithm: app.algorithm as string };
  const username = `oz-${tag}`;
  await createProfile(base, username);
  const session = await login(base, username);
  const body = JSON.stringify({ session });
  return inParallel(pool, 16, async () => {
    const { header } = hawk.client.header(`${base}/v1/ticket`, 'POST', {
      credentials: appCredentials,
      payload: body,
      contentType: 'application/json',
    });
    const { json } = await call(base, 'POST', '/v1/ticket', { body, headers: { authorization: header } });
    return { id: json.id, key: json.key, algorithm: json.algorithm, app: json.app } as UserTicket;
  });
}

/** Round-robin over `tickets`, each request signed for `path` (ticketd's mylet route, or Oz's own). */
export function ozReissueRequests(
  base: string,
  tickets: UserTicket[],
  path = '/v1/ticket/reissue',
): () => RequestSpec[] {
  const url = `${base}${path}`;
  let next = 0;
  return () => [
    {
      method: 'POST',
      path,
      setupRequest: (req) => {
        const t = tickets[next++ % tickets.length] as UserTicket;
        const { header } = hawk.client.header(url, 'POST', {
          credentials: { id: t.id, key: t.key, algorithm: t.algorithm },
          app: t.app,
        });
        req.headers = { ...req.headers, authorization: header };
        return req;
      },
    },
  ];
}
