import http from 'node:http';

/** A ticket whose create was answered 200, and the payload it was given. */
export interface Acknowledged {
  ticket: string;
  n: number;
}

export interface CreateLoad {
  /** Creates answered 200 so far. */
  acknowledged: Acknowledged[];
  /** Answers other than 200, by status. */
  refused: Map<number, number>;
  /** Connection errors (refused, reset, hang-up), by code. */
  failures: Map<string, number>;
  /** Stops sending; resolves when every client is done (its request in flight answered or failed). */
  stop(): Promise<void>;
}

function post(agent: http.Agent, url: URL, body: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: '/v1/tickets',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
        res.on('error', fail);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', fail);
    req.end(body);
  });
}

/**
 * `clients` keep-alive connections each creating tickets back to back (each
 * with a payload naming it) until stopped; a client whose connection fails
 * waits a little and goes on, so that the load survives a restart.
 */
export function startCreateLoad(base: string, clients = 32): CreateLoad {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const acknowledged: Acknowledged[] = [];
  const refused = new Map<number, number>();
  const failures = new Map<string, number>();
  let running = true;
  let n = 0;
  const client = async () => {
    while (running) {
      const mine = n++;
      try {
        const res = await post(agent, url, JSON.stringify({ uses: 1, ttl: 0, payload: { n: mine } }));
        if (res.status === 200)
          acknowledged.push({ ticket: (JSON.parse(res.body) as { ticket: string }).ticket, n: mine });
        else refused.set(res.status, (refused.get(res.status) ?? 0) + 1);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        failures.set(code, (failures.get(code) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const done = Promise.all(Array.from({ length: clients }, client));
  return {
    acknowledged,
    refused,
    failures,
    stop: async () => {
      running = false;
      await done;
      agent.destroy();
    },
  };
}

/**
 * Uses every acknowledged ticket once on `base` (at most `parallel` at a
 * time) and returns those that were not answered 200 with their own payload.
 */
export async function unusable(base: string, tickets: Acknowledged[], parallel = 32): Promise<string[]> {
  const bad: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < tickets.length; i = next++) {
        const t = tickets[i] as Acknowledged;
        const res = await fetch(`${base}/v1/tickets/use`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ticket: t.ticket }),
        });
        const text = await res.text();
        if (res.status !== 200 || text !== `{"uses":0,"payload":{"n":${t.n}}}`)
          bad.push(`${t.ticket}: ${res.status} ${text}`);
      }
    }),
  );
  return bad;
}
