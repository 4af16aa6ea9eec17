import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import type { FreshStore } from '../helpers/backends.js';
import { startCreateLoad } from '../helpers/load.js';
import { spawnTicketd, type TicketdProcess } from '../helpers/process.js';
import { storeTargets } from '../helpers/targets.js';

/**
 * Webhooks under faults (docs/events.md, "Nothing lost, nothing blocking"),
 * real processes and a real receiver on loopback: `kill -9` under create
 * load, then a restart: every create answered 200 has its ticket.created
 * delivered; a receiver down for a while gets every event once it is back;
 * three instances on one store deliver each event once (the receiver
 * always answers 200, so once per attempt is once).
 */
const TITLE = 'webhooks under faults';
const MASTER = 'faults-master-token-0123456789abcdef';
// A short attempt timeout makes a short lease (twice it): what the killed process had claimed comes due soon.
const ENV = { TICKETD_MASTER_TOKEN: MASTER, TICKETD_WEBHOOKS_INTERVAL_MS: '100', TICKETD_WEBHOOKS_TIMEOUT_MS: '1000' };
/** How long the deliveries may take to catch up once everything is up again. */
const CATCH_UP_MS = 30_000;

/** Records each verified delivery's event id and ticket reference; answers 200 unless stopped. */
class Receiver {
  readonly ids: string[] = [];
  readonly refs = new Set<string>();
  secret = '';
  forged = 0;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        try {
          const event = new Webhook(this.secret).verify(body, req.headers as Record<string, string>) as {
            data: { ticket: string };
          };
          this.ids.push(String(req.headers['webhook-id']));
          this.refs.add(event.data.ticket);
        } catch {
          this.forged += 1;
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => this.server?.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

const refOf = (ticket: string) => createHash('sha256').update(ticket).digest().subarray(0, 8).toString('hex');

async function subscribe(t: TicketdProcess, receiver: Receiver): Promise<void> {
  const res = await fetch(`${t.url}/admin/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `http://127.0.0.1:${receiver.port}/hook`, events: ['ticket.created'] }),
  });
  expect(res.status).toBe(201);
  receiver.secret = ((await res.json()) as { secret: string }).secret;
}

async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + CATCH_UP_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within ${CATCH_UP_MS} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const missing = (receiver: Receiver, tickets: string[]) => tickets.filter((t) => !receiver.refs.has(refOf(t)));

for (const target of storeTargets(TITLE)) {
  describe(`${TITLE} on ${target.name}`, () => {
    let store: FreshStore | undefined;
    const running: TicketdProcess[] = [];
    const receiver = new Receiver();
    afterAll(async () => {
      await Promise.all(running.map((t) => t.stop('SIGKILL')));
      await receiver.stop();
      await store?.cleanup();
    }, 30_000);

    it('kill -9 under create load: after a restart every answered create has its event; a receiver down gets them all back', async () => {
      store = await target.prepare();
      await receiver.start();
      let t = await spawnTicketd({ store: store.url, env: ENV });
      running.push(t);
      await subscribe(t, receiver);

      const load = startCreateLoad(t.url, 16);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(await t.stop('SIGKILL')).toBeNull();
      await load.stop();
      const answered = load.acknowledged.map((a) => a.ticket);
      expect(answered.length).toBeGreaterThan(200);

      t = await spawnTicketd({ store: store.url, env: ENV, port: t.port });
      running.push(t);
      await until(() => missing(receiver, answered).length === 0, 'every answered create delivered after the restart');
      console.log(
        `[${TITLE} on ${target.name}] ${answered.length} creates answered before kill -9, ` +
          `${receiver.ids.length} deliveries (${receiver.ids.length - new Set(receiver.ids).size} repeats), none missing`,
      );

      // The receiver goes away for a while; events raised meanwhile come once it is back.
      await receiver.stop();
      const more = startCreateLoad(t.url, 4);
      await new Promise((r) => setTimeout(r, 1_500));
      await more.stop();
      await new Promise((r) => setTimeout(r, 1_500));
      await receiver.start();
      const later = more.acknowledged.map((a) => a.ticket);
      expect(later.length).toBeGreaterThan(20);
      await until(() => missing(receiver, later).length === 0, 'every event raised while the receiver was down');
      expect(receiver.forged).toBe(0);
    }, 120_000);

    it('three instances on one store: each event delivered once', async () => {
      const ids = receiver.ids.length;
      const three = await Promise.all([0, 1, 2].map(() => spawnTicketd({ store: store?.url as string, env: ENV })));
      running.push(...three);
      const tickets = await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const t = three[i % 3] as TicketdProcess;
          const res = await fetch(`${t.url}/v1/tickets`, { method: 'POST', body: '{}' });
          return ((await res.json()) as { ticket: string }).ticket;
        }),
      );
      await until(() => missing(receiver, tickets).length === 0, 'every create of the three instances delivered');
      await new Promise((r) => setTimeout(r, 500));
      const delivered = receiver.ids.slice(ids);
      expect(delivered.length).toBe(new Set(delivered).size);
      expect(delivered.length).toBe(300);
    }, 120_000);
  });
}
